// Debian's Chromium signed in to the dev stack's dashboard as the seed's demo owner,
// for the scripts that look at the dashboard (bench:dashboard, docs:screenshots).
import { chromium } from 'playwright-core';

export const dashboardUrl = process.env.DASHBOARD_URL ?? 'http://127.0.0.1:4321';

/** A browser and a page on the CRM page, signed in, the metric cards shown. */
export async function openDashboard() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(dashboardUrl);
  await page.getByTestId('login-email').fill('demo@vibe-crm.dev');
  await page.getByTestId('login-password').fill('demo-password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('metric-total_users-value').waitFor();
  return { browser, page };
}
