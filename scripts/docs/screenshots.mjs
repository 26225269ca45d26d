// `npm run docs:screenshots`: makes docs/*.png from the running dev stack (started by
// scripts/stack/with-stack.sh when needed, with demo traffic), logged in as the seed's
// demo owner, in Debian's Chromium: the CRM page, a user's detail, the integration
// dialog, the Retentie page, the settings page and its Alerts panel (after a test of the seed's
// rule: the live toast, then the rule's delivery log). Run it after a change to any of them, and commit the files.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDashboard } from '../stack/dashboard-browser.mjs';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
mkdirSync(out, { recursive: true });

const { browser, page } = await openDashboard();
const shot = async (page, name, opts = {}) => {
  const path = join(out, name);
  await page.screenshot({ path, ...opts });
  console.log(`• ${path}`);
};
try {
  await page.getByTestId('dau-chart').locator('svg').first().waitFor();
  // Demo traffic puts visitors in the live table within a minute of a start.
  await page.getByTestId('active-user-row').first().waitFor({ timeout: 90_000 });
  await page.waitForTimeout(1500); // the chart's entry animation
  await shot(page, 'dashboard.png', { fullPage: true });

  await page.getByTestId('active-user-row').first().click();
  await page.getByRole('dialog').getByTestId('user-detail-sessions').waitFor();
  await shot(page, 'user-detail.png');
  await page.keyboard.press('Escape');

  await page.getByTestId('open-integration').click();
  await page.getByTestId('integration-snippet').waitFor();
  await page.getByTestId('integration-first-event').waitFor();
  await shot(page, 'integration.png');
  await page.keyboard.press('Escape');

  // Retentie over 90 days: a dozen weekly cohorts of the seed's decay
  await page.getByTestId('nav-retention').click();
  await page.getByTestId('page-retention').waitFor();
  await page.getByTestId('range-90d').click();
  await page.getByTestId('cohort-table').waitFor();
  await page.getByTestId('retention-curve-chart').locator('svg').first().waitFor();
  await page.waitForTimeout(1500); // the charts' entry animation
  await shot(page, 'retention.png', { fullPage: true });

  await page.getByTestId('nav-settings').click();
  await page.getByTestId('ingest-figures').waitFor();
  await page.getByTestId('settings-supabase-auth-save').waitFor();
  await page.getByTestId('alert-rule').first().waitFor(); // not its spinner
  await shot(page, 'settings.png', { fullPage: true });

  // The Alerts panel after "Send test" on the seed's rule: the live toast (top right)
  // and the rule's queue; then its delivery log.
  const rule = page.getByTestId('alert-rule').first();
  await rule.getByTestId('alert-rule-test').click();
  await page.getByTestId('alert-toast').first().waitFor();
  await page.getByTestId('settings-alerts').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(300);
  await shot(page, 'alerts.png');
  await rule.getByTestId('alert-rule-log').click();
  await page.getByTestId('alert-delivery').first().waitFor();
  await shot(page, 'alert-log.png');
} finally {
  await browser.close();
}
