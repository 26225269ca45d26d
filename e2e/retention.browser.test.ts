// The Retentie page in real Chromium against the test stack's seeded demo data: the nav
// entry, the cohort heatmap with its cohorts, week → month changing the request, a heatmap
// cell listing its people (and one opening the user detail), the CSV of the cohort table,
// the curve, stickiness and lifecycle drawn, and a phone in dark mode without sideways scroll.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { connectDb, type Sql } from './support/db';
import { stackEnv } from './support/env';

const env = stackEnv();
const dashboardUrl = process.env.DASHBOARD_URL!;
const shots = join(process.env.VIBE_SCREENSHOTS ?? join(process.cwd(), '.local', 'screenshots'));
const DEMO = { email: 'demo@vibe-crm.dev', password: 'demo-password', key: 'pk_demo0000000000000000' };

let sql: Sql;
let browser: Browser;
let page: Page;
let projectId: string;
/** The RPCs the page sent, in order, with their arguments. */
const rpcCalls: { fn: string; args: Record<string, unknown> }[] = [];
const lastArgs = (fn: string) => rpcCalls.filter((c) => c.fn === fn).at(-1)?.args;
/** A UTC day n days before today, as the range bar and the RPCs spell it. */
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const attr = (testId: string, name: string) => page.getByTestId(testId).first().getAttribute(name);

async function openRetention(p: Page): Promise<void> {
  await p.goto(dashboardUrl);
  await p.getByTestId('login-email').fill(DEMO.email);
  await p.getByTestId('login-password').fill(DEMO.password);
  await p.getByTestId('login-submit').click();
  await p.getByTestId('nav-retention').click();
  await p.getByTestId('page-retention').waitFor();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  sql = connectDb(env.dbUrl);
  const [p] = await sql`select id from crm.projects where public_key = ${DEMO.key}`;
  projectId = p!.id;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (r) => {
    const fn = /\/rest\/v1\/rpc\/(\w+)$/.exec(new URL(r.url()).pathname)?.[1];
    if (fn) rpcCalls.push({ fn, args: r.postDataJSON() ?? {} });
  });
  await openRetention(page);
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
});

describe('the Retentie page', () => {
  it('shows the demo cohorts as a heatmap, weekly over the page’s 30 days', async () => {
    await page.getByTestId('cohort-heatmap').locator('.apexcharts-heatmap-rect').first().waitFor();
    expect(Number(await attr('cohort-heatmap', 'data-cohorts'))).toBeGreaterThan(1);
    expect(await page.getByTestId('cohort-row').count()).toBe(Number(await attr('cohort-heatmap', 'data-cohorts')));
    expect(lastArgs('get_retention_cohorts')).toEqual({ p_project_id: projectId, p_from: daysAgo(29), p_to: daysAgo(0), p_filter: {}, p_period: 'week' });
    // a cell per period each cohort has reached, the rest of the triangle left blank
    const rects = page.getByTestId('cohort-heatmap').locator('.apexcharts-heatmap-rect');
    expect(await rects.and(page.locator('[val]')).count()).toBe(await page.getByTestId('cohort-cell').count());
    const blank = rects.and(page.locator(':not([val])')).first();
    expect(await blank.evaluate((el) => getComputedStyle(el).fill)).toBe('rgba(0, 0, 0, 0)');
    // offset 0 is the whole cohort: 100% of its size
    const first = page.getByTestId('cohort-row').first();
    expect(await first.getByTestId('cohort-cell').first().getAttribute('data-retained')).toBe(await first.getAttribute('data-size'));
    // the other three reports drew too
    await page.getByTestId('retention-curve-chart').locator('svg').first().waitFor();
    expect(await attr('retention-curve-chart', 'data-days')).toBe('1,7,14,30');
    await page.getByTestId('stickiness-chart').locator('svg').first().waitFor();
    expect(Number(await attr('stickiness-chart', 'data-points'))).toBe(30);
    await page.getByTestId('lifecycle-chart').locator('svg').first().waitFor();
    expect(lastArgs('get_lifecycle')).toEqual({ p_project_id: projectId, p_period: 'week', p_filter: {} });
  });

  it('switching to months changes the request and the columns', async () => {
    await page.getByTestId('cohorts-period-month').click();
    await expect.poll(() => lastArgs('get_retention_cohorts')?.p_period).toBe('month');
    await expect.poll(() => attr('cohorts', 'data-period')).toBe('month');
    await page.getByTestId('cohort-heatmap').locator('.apexcharts-heatmap-rect').first().waitFor();
    expect(await page.getByTestId('cohort-table').locator('thead th').nth(2).innerText()).toBe('M0');
  });

  it('a heatmap cell lists the people of that cohort, and one opens their detail', async () => {
    // The top row is the oldest cohort (drawn last); its offset 0 holds everyone in it.
    const cohorts = Number(await attr('cohort-heatmap', 'data-cohorts'));
    const oldest = page.getByTestId('cohort-row').first();
    const [start, size] = [await oldest.getAttribute('data-cohort'), Number(await oldest.getAttribute('data-size'))];
    await page.locator(`[data-testid=cohort-heatmap] .apexcharts-heatmap-rect[i="${cohorts - 1}"][j="0"]`).click();
    await page.getByTestId('cohort-users-list').waitFor();
    expect(lastArgs('list_retention_cohort_users')).toEqual({
      p_project_id: projectId, p_from: daysAgo(29), p_to: daysAgo(0), p_filter: {}, p_period: 'month',
      p_cohort_start: start, p_period_offset: 0, p_limit: 50, p_offset: 0,
    });
    // The list counts the people themselves; the cohort's size is theirs unless the cohorts were sampled.
    const total = Number(await attr('cohort-users-list', 'data-total'));
    if ((await page.getByTestId('cohorts-sampled').count()) === 0) expect(total).toBe(size);
    expect(await page.getByTestId('cohort-user').count()).toBe(Math.min(total, 50));
    const user = page.getByTestId('cohort-user').first();
    const id = await user.getAttribute('data-user-id');
    await user.click();
    await page.getByTestId('user-detail-profile').waitFor();
    expect(lastArgs('get_site_user_detail')).toEqual({ p_project_id: projectId, p_user_id: id });
    await page.getByTestId('user-detail-close').click();
  });

  it('the CSV download is the cohort table: header, a row per cohort, RFC 4180 line ends', async () => {
    const downloading = page.waitForEvent('download');
    await page.getByTestId('cohorts-csv').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`retention-month-${daysAgo(29)}-${daysAgo(0)}.csv`);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toMatch(/^cohort_start,cohort_size,month_0(,month_\d+)*$/);
    const rows = await page.getByTestId('cohort-row').evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.cohort, (tr as HTMLElement).dataset.size]));
    expect(lines.slice(1, -1).map((l) => l.split(',').slice(0, 3))).toEqual(rows.map(([c, s]) => [c, s, `${s} (100%)`]));
  });

  it('fits a phone (390 px) in dark mode', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 900 }, colorScheme: 'dark' });
    const phone = await context.newPage();
    await openRetention(phone);
    expect(await phone.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await phone.getByTestId('cohort-heatmap').locator('.apexcharts-heatmap-rect').first().waitFor();
    await phone.getByTestId('lifecycle-chart').locator('svg').first().waitFor();
    await phone.getByTestId('stickiness-chart').locator('svg').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(shots, 'retention-phone-dark.png'), fullPage: true });
    await context.close();
  });
});
