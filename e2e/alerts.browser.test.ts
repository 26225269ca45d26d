// Settings → Alerts in real Chromium against the test stack: the demo owner creates an event
// rule with the dashboard channel and sees it listed, sees the server's refusal of a bad
// webhook URL beside the form, pauses the rule, sends a test and sees the toast arrive live
// and a delivered row in the rule's log, edits and deletes it; a viewer sees rules read-only;
// a phone in dark mode without sideways scroll.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { connectDb, createMember, type Sql } from './support/db';
import { stackEnv } from './support/env';

const env = stackEnv();
const dashboardUrl = process.env.DASHBOARD_URL!;
const shots = join(process.env.VIBE_SCREENSHOTS ?? join(process.cwd(), '.local', 'screenshots'));
const DEMO = { email: 'demo@vibe-crm.dev', password: 'demo-password', key: 'pk_demo0000000000000000' };
const tag = crypto.randomUUID().slice(0, 8);
const NAME = `E2E grote betaling ${tag}`;
const EDITED = `E2E heel grote betaling ${tag}`;

let sql: Sql;
let browser: Browser;
let page: Page;
let projectId: string;
let alertId: string;
const consoleErrors: string[] = [];
/** The RPCs the page sent, in order, with their arguments. */
const rpcCalls: { fn: string; args: Record<string, unknown> }[] = [];
const lastArgs = (fn: string) => rpcCalls.filter((c) => c.fn === fn).at(-1)?.args;

async function openAlerts(p: Page, email = DEMO.email, password = DEMO.password): Promise<void> {
  await p.goto(dashboardUrl);
  await p.getByTestId('login-email').fill(email);
  await p.getByTestId('login-password').fill(password);
  await p.getByTestId('login-submit').click();
  await p.getByTestId('nav-settings').click();
  await p.getByTestId('settings-alerts').waitFor();
}

const ruleRow = (p: Page = page) => p.locator(`[data-testid=alert-rule][data-alert-id="${alertId}"]`);
const stored = async () => (await sql`select name, kind::text, condition, channels, cooldown_minutes, enabled from crm.alerts where id = ${alertId}`)[0];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  sql = connectDb(env.dbUrl);
  const [p] = await sql`select id from crm.projects where public_key = ${DEMO.key}`;
  projectId = p!.id;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => {
    const fn = /\/rest\/v1\/rpc\/(\w+)$/.exec(new URL(r.url()).pathname)?.[1];
    if (fn) rpcCalls.push({ fn, args: r.postDataJSON() ?? {} });
  });
  await openAlerts(page);
});

afterAll(async () => {
  // A failed run leaves no rule behind in the demo project.
  if (sql) await sql`delete from crm.alerts where project_id = ${projectId} and name like ${`E2E %${tag}`}`;
  await browser?.close();
  await sql?.end();
});

describe('Settings → Alerts', () => {
  it('creates an event rule with the dashboard channel and lists it', async () => {
    await page.getByTestId('alert-new').click();
    await page.getByTestId('alert-form-name').fill(NAME);
    await page.getByTestId('alert-form-kind').selectOption('event');
    await page.getByTestId('alert-form-event').fill('payment_success');
    await page.getByTestId('alert-form-with-prop').check();
    await page.getByTestId('alert-form-prop').fill('amount');
    await page.getByTestId('alert-form-op').selectOption('gt');
    await page.getByTestId('alert-form-value').fill('100');
    // a new rule starts with the dashboard channel
    expect(await page.getByTestId('alert-form-channel-type').inputValue()).toBe('dashboard');
    await page.getByTestId('alert-form-save').click();
    await page.getByTestId('alert-form').waitFor({ state: 'detached' });
    expect(lastArgs('create_crm_alert')).toEqual({
      p_project_id: projectId, p_name: NAME, p_kind: 'event',
      p_condition: { event: 'payment_success', prop: 'amount', op: 'gt', value: '100' },
      p_channels: [{ type: 'dashboard' }], p_cooldown_minutes: 10, p_enabled: true,
    });
    const [row] = await sql`select id from crm.alerts where project_id = ${projectId} and name = ${NAME}`;
    alertId = row!.id;
    await ruleRow().waitFor();
    expect(await ruleRow().getByTestId('alert-rule-kind').innerText()).toBe('Event');
    expect(await ruleRow().getByTestId('alert-rule-channels').innerText()).toBe('Dashboard');
    expect(await ruleRow().getByTestId('alert-rule-last-fired').innerText()).toBe('nog nooit');
    expect(await ruleRow().getAttribute('data-enabled')).toBe('true');
    await page.getByTestId('settings-alerts').screenshot({ path: join(shots, 'alerts.png') });
  });

  it('shows the server’s refusal of a channel beside the form, in its words', async () => {
    await page.getByTestId('alert-new').click();
    await page.getByTestId('alert-form-name').fill(`E2E geweigerd ${tag}`);
    await page.getByTestId('alert-form-event').fill('signup');
    await page.getByTestId('alert-form-channel-type').selectOption('webhook');
    await page.getByTestId('alert-form-channel-target').fill('ftp://example.com/hook');
    await page.getByTestId('alert-form-save').click();
    const error = page.getByTestId('alert-form-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/^Ongeldige invoer: .*ftp:\/\/example\.com\/hook/);
    await page.keyboard.press('Escape');
    await page.getByTestId('alert-form').waitFor({ state: 'detached' });
    expect((await sql`select count(*)::int as n from crm.alerts where name = ${`E2E geweigerd ${tag}`}`)[0]!.n).toBe(0);
  });

  it('pauses the rule with its switch', async () => {
    // The switch shows the stored state: it flips once the server has saved it.
    await ruleRow().getByTestId('alert-rule-enabled').click();
    await expect.poll(() => ruleRow().getAttribute('data-enabled')).toBe('false');
    expect(await ruleRow().getByTestId('alert-rule-enabled').isChecked()).toBe(false);
    expect(lastArgs('update_crm_alert')).toEqual({ p_alert_id: alertId, p_enabled: false });
    expect((await stored())!.enabled).toBe(false);
  });

  it('sends a test: the toast arrives live and the log shows it delivered', async () => {
    await expect.poll(() => page.getByTestId('live-status').getAttribute('data-status')).toBe('live');
    await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
    await ruleRow().getByTestId('alert-rule-test').click();
    expect(await ruleRow().getByTestId('alert-rule-test-queued').innerText()).toBe('1 bezorging klaargezet');
    const toast = page.locator(`[data-testid=alert-toast][data-alert-id="${alertId}"]`);
    await toast.waitFor({ timeout: 10_000 });
    expect(await toast.innerText()).toContain(NAME);
    expect(await toast.locator('.badge').innerText()).toBe('test');
    await page.screenshot({ path: join(shots, 'alert-toast.png') });
    expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
    await ruleRow().getByTestId('alert-rule-log').click();
    const delivery = page.getByTestId('alert-delivery').first();
    await delivery.waitFor();
    expect(lastArgs('list_crm_alert_deliveries')).toEqual({ p_alert_id: alertId });
    expect(await delivery.getAttribute('data-status')).toBe('delivered');
    expect(await delivery.getAttribute('data-channel')).toBe('dashboard');
    expect(await delivery.innerText()).toContain('bezorgd');
    await page.getByTestId('alert-log-close').click();
  });

  it('edits the rule: the form holds what is stored, the kind stays', async () => {
    await ruleRow().getByTestId('alert-rule-edit').click();
    expect(await page.getByTestId('alert-form-name').inputValue()).toBe(NAME);
    expect(await page.getByTestId('alert-form-kind').isDisabled()).toBe(true);
    expect(await page.getByTestId('alert-form-value').inputValue()).toBe('100');
    expect(await page.getByTestId('alert-form-enabled').isChecked()).toBe(false);
    await page.getByTestId('alert-form-name').fill(EDITED);
    await page.getByTestId('alert-form-value').fill('250');
    await page.getByTestId('alert-form-cooldown').fill('30');
    await page.getByTestId('alert-form-save').click();
    await page.getByTestId('alert-form').waitFor({ state: 'detached' });
    await expect.poll(() => ruleRow().getByTestId('alert-rule-name').innerText()).toBe(EDITED);
    expect(await stored()).toEqual({
      name: EDITED, kind: 'event', condition: { event: 'payment_success', prop: 'amount', op: 'gt', value: '250' },
      channels: [{ type: 'dashboard' }], cooldown_minutes: 30, enabled: false,
    });
  });

  it('a viewer sees the rule and its log, and nothing to change', async () => {
    const viewer = await createMember(sql, projectId, 'viewer', 'viewer-pw');
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const p = await context.newPage();
    try {
      await openAlerts(p, viewer.email, 'viewer-pw');
      await ruleRow(p).waitFor();
      expect(await ruleRow(p).getByTestId('alert-rule-state').innerText()).toBe('gepauzeerd');
      for (const id of ['alert-new', 'alert-rule-edit', 'alert-rule-test', 'alert-rule-delete', 'alert-rule-enabled', 'webhook-secret']) {
        expect(await p.getByTestId(id).count(), id).toBe(0);
      }
      await ruleRow(p).getByTestId('alert-rule-log').click();
      await p.getByTestId('alert-delivery').first().waitFor();
    } finally {
      await context.close();
      await sql`delete from auth.users where id = ${viewer.userId}`;
    }
  });

  it('fits a phone (390 px) in dark mode', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 900 }, colorScheme: 'dark' });
    const phone = await context.newPage();
    await openAlerts(phone);
    expect(await phone.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await ruleRow(phone).waitFor();
    await phone.getByTestId('webhook-secret-value').waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.getByTestId('settings-alerts').screenshot({ path: join(shots, 'alerts-phone-dark.png') });
    await ruleRow(phone).getByTestId('alert-rule-edit').click();
    await phone.getByTestId('alert-form').waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(shots, 'alert-form-phone-dark.png') });
    await context.close();
  });

  it('deletes the rule after a confirm', async () => {
    page.once('dialog', (d) => void d.accept());
    await ruleRow().getByTestId('alert-rule-delete').click();
    await ruleRow().waitFor({ state: 'detached' });
    expect(lastArgs('delete_crm_alert')).toEqual({ p_alert_id: alertId });
    expect(await stored()).toBeUndefined();
  });

  it('logged no console errors on the way (but the refused create’s 400)', () => {
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
