// "Where visitors come from" on the CRM page, in real Chromium against the test stack: the
// range picker (URL, reports, the daily chart, funnel and cards, reload), a source row
// filtering the page (chip, URL, the other tables, the map, the daily chart, funnel and
// cards narrow), the world map drawn from the site's own files, and the pages table
// (normalised paths, a row filters by page). A fresh project with sessions of known
// referrer / UTM / country / page views, so every figure is exact.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { connectDb, createMember, createProject, type Sql } from './support/db';
import { stackEnv } from './support/env';

const env = stackEnv();
const dashboardUrl = process.env.DASHBOARD_URL!;
const shots = join(process.env.VIBE_SCREENSHOTS ?? join(process.cwd(), '.local', 'screenshots'));
const PASSWORD = 'acquisition-pw';

let sql: Sql;
let browser: Browser;
let page: Page;
let projectId: string;
const offHost: string[] = [];
/** The report RPCs the page sent, in order, with their arguments. */
const rpcCalls: { fn: string; args: Record<string, unknown> }[] = [];
const atlas: string[] = [];
const consoleErrors: string[] = [];

interface Visit {
  daysAgo: number;
  referrer?: string;
  utm?: Record<string, string>;
  country: string;
  device: string;
  /** The paths of its page views, 20 s apart (as the tracker sends them); default one view of /. */
  pages?: string[];
}

/** A visitor with one session (as ingest would store it), then the rollup the reports read. */
async function visit(projectId: string, v: Visit): Promise<void> {
  const [u] = await sql`
    insert into crm.site_users (project_id, id, first_seen_at, last_seen_at, created_at)
    values (${projectId}, gen_random_uuid(), now() - make_interval(days => ${v.daysAgo}), now() - make_interval(days => ${v.daysAgo}),
            now() - make_interval(days => ${v.daysAgo}))
    returning id`;
  await sql`insert into crm.anonymous_ids (project_id, anonymous_id, user_id) values (${projectId}, ${u!.id}, ${u!.id})`;
  const [s] = await sql`
    insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, ended_at, is_online, current_page,
                                   entry_page, page_views, device_type, browser, os, referrer, utm, country)
    select ${projectId}, gen_random_uuid(), ${u!.id}, t, t + interval '1 minute', t + interval '1 minute', false, '/', '/', 1,
           ${v.device}, 'Chrome', 'Linux', ${v.referrer ?? null}, ${v.utm ? sql.json(v.utm) : null}, ${v.country}
    from (select (current_date - ${v.daysAgo}::integer)::timestamp at time zone 'UTC' + interval '10 hours' as t) x
    returning id, started_at`;
  await sql`
    insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, page)
    select ${projectId}, ${s!.started_at}::timestamptz + make_interval(secs => 20 * (i - 1)), gen_random_uuid(), now(), ${s!.id}, ${u!.id},
           'pageview', (${v.pages ?? ['/']}::text[])[i]
    from generate_series(1, ${(v.pages ?? ['/']).length}::integer) i`;
}

const rows = (testId: string) => page.getByTestId(`${testId}-row`);
/** A UTC day n days before today, as the range picker and the RPCs spell it. */
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
/** The arguments of the page's last call of an RPC (undefined before the first). */
const lastArgs = (fn: string) => rpcCalls.filter((c) => c.fn === fn).at(-1)?.args;
/** What the daily chart, the funnel and the cards ask for a range and filter (the report contract). */
const contract = (from: string, to: string, filter: Record<string, string> = {}) => ({ p_project_id: projectId, p_from: from, p_to: to, p_filter: filter });
const RANGE_RPCS = ['get_daily_active_users', 'calculate_funnel_conversion', 'get_crm_metrics'];
/** An attribute of an element the page shows (waits for the element). */
const attr = (testId: string, name: string) => page.getByTestId(testId).first().getAttribute(name);
/** The daily chart's figures as drawn: days, this period's and the previous period's actives. */
async function dau() {
  const sum = (s: string | null) => (s ?? '').split(',').reduce((n, v) => n + Number(v), 0);
  return {
    points: Number(await attr('dau-chart', 'data-points')),
    from: await attr('dau-chart', 'data-from'),
    active: sum(await attr('dau-chart', 'data-active')),
    prevActive: sum(await attr('dau-chart', 'data-prev-active')),
  };
}
/** The funnel's first step (visitors): users now and in the previous period. */
const firstStep = async () => {
  const step = page.locator('[data-testid=funnel-step][data-step="1"]');
  return [Number(await step.getAttribute('data-users')), Number(await step.getAttribute('data-prev-users'))];
};
/** The range cards' visitors: shown now and in the previous period. */
const visitorsCard = async () => [await page.getByTestId('metric-visitors-value').innerText(), await attr('metric-visitors-previous', 'data-previous')];
/** value → visitors of a report table, as the page shows them (data attributes of each row). */
async function table(testId: string): Promise<Record<string, number>> {
  await page.getByTestId(testId).waitFor();
  return Object.fromEntries(
    await rows(testId).evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.value, Number((tr as HTMLElement).dataset.visitors)])),
  );
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  sql = connectDb(env.dbUrl);
  const project = await createProject(sql, `Acquisition ${crypto.randomUUID().slice(0, 6)}`, ['https://shop.example']);
  projectId = project.id;
  const { email } = await createMember(sql, project.id, 'viewer', PASSWORD);
  const hn = { referrer: 'https://news.ycombinator.com/item?id=1', country: 'NL', device: 'desktop', pages: ['/?ref=hn', '/pricing/'] };
  const mail = { utm: { source: 'newsletter', medium: 'email', campaign: 'winter' }, country: 'DE', device: 'mobile', pages: ['/blog/post?utm_source=newsletter#top'] };
  for (let i = 0; i < 3; i++) await visit(project.id, { daysAgo: 1, ...hn });
  for (let i = 0; i < 2; i++) await visit(project.id, { daysAgo: 2, ...mail });
  await visit(project.id, { daysAgo: 3, country: 'US', device: 'desktop' });
  // Older than 7 days, inside 30: only the 30-day view has them.
  for (let i = 0; i < 4; i++) await visit(project.id, { daysAgo: 20, referrer: 'https://www.google.com/', country: 'FR', device: 'desktop' });
  await sql`select crm.refresh_user_days(${project.id}, current_date - 60, current_date)`;
  // And what the 5-minute job keeps (with main's crm.acquisition_rollup, the preset ranges
  // read it): run it now so it cannot run halfway through the inserts above mid-test.
  await sql`select crm.job_user_days()`;

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on('request', (r) => new URL(r.url()).hostname !== '127.0.0.1' && offHost.push(r.url()));
  page.on('request', (r) => {
    const fn = /\/rest\/v1\/rpc\/(\w+)$/.exec(new URL(r.url()).pathname)?.[1];
    if (fn) rpcCalls.push({ fn, args: r.postDataJSON() ?? {} });
  });
  page.on('response', (r) => r.url().includes('countries-110m') && atlas.push(`${r.status()} ${r.url()}`));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(dashboardUrl);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('report-bar').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
});

describe('acquisition on the CRM page', () => {
  it('defaults to 30 days; choosing 7 dagen updates the URL, the reports, the daily chart, funnel and cards, and survives a reload', async () => {
    expect(await table('channels-table')).toEqual({ organic_search: 4, social: 3, email: 2, direct: 1 });
    expect(await page.getByTestId('range-30d').getAttribute('aria-pressed')).toBe('true');
    // The page as it opens: the cards are the weekly ones; chart and funnel ask for the 30 days.
    await expect.poll(() => attr('metric-grid', 'data-mode')).toBe('weekly');
    expect(lastArgs('get_crm_metrics')).toEqual({ p_project_id: projectId });
    await expect.poll(() => lastArgs('get_daily_active_users')).toEqual(contract(daysAgo(29), daysAgo(0)));
    await expect.poll(() => lastArgs('calculate_funnel_conversion')).toEqual(contract(daysAgo(29), daysAgo(0)));
    await expect.poll(() => firstStep()).toEqual([10, 0]);

    await page.getByTestId('range-7d').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('7d');
    await expect.poll(() => table('channels-table')).toEqual({ social: 3, email: 2, direct: 1 });
    for (const fn of RANGE_RPCS) await expect.poll(() => lastArgs(fn), { message: fn }).toEqual(contract(daysAgo(6), daysAgo(0)));
    await expect.poll(() => dau().then((d) => [d.points, d.from])).toEqual([7, daysAgo(6)]);
    // Google's 4 visitors were 20 days ago: neither in these 7 days nor in the 7 before.
    await expect.poll(() => firstStep()).toEqual([6, 0]);
    await expect.poll(() => attr('metric-grid', 'data-mode')).toBe('range');
    await expect.poll(() => visitorsCard()).toEqual(['6', '0']);
    expect(await page.getByTestId('metric-visitors-trend').innerText()).toBe('nieuw');
    expect(await page.getByTestId('dau-range').count()).toBe(0); // no "last N days" caveat any more

    await page.reload();
    await page.getByTestId('report-bar').waitFor();
    expect(await page.getByTestId('range-7d').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => table('channels-table')).toEqual({ social: 3, email: 2, direct: 1 });
    await expect.poll(() => table('geo-table')).toEqual({ NL: 3, DE: 2, US: 1 });
    await expect.poll(() => visitorsCard()).toEqual(['6', '0']);
  });

  it('a custom range is what the daily chart, funnel and cards ask for; back on 30 dagen the weekly cards return', async () => {
    await page.getByTestId('range-custom').click();
    const today = daysAgo(0);
    const from = daysAgo(9);
    await page.getByTestId('range-from').fill(from);
    await page.getByTestId('range-to').fill(today);
    await page.getByTestId('range-apply').click();
    await expect.poll(() => page.url()).toContain(`from=${from}&to=${today}`);
    for (const fn of RANGE_RPCS) await expect.poll(() => lastArgs(fn), { message: fn }).toEqual(contract(from, today));
    await expect.poll(() => dau().then((d) => [d.points, d.from])).toEqual([10, from]);
    await expect.poll(() => firstStep()).toEqual([6, 0]);
    await expect.poll(() => visitorsCard()).toEqual(['6', '0']);
    await page.getByTestId('range-30d').click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await expect.poll(() => attr('metric-grid', 'data-mode')).toBe('weekly');
    await page.getByTestId('metric-total_users-value').waitFor();
    expect(lastArgs('get_crm_metrics')).toEqual({ p_project_id: projectId });
  });

  it('clicking a source filters the page: chip, URL, and the other tables and the map narrow', async () => {
    expect(await table('sources-source')).toEqual({ 'google.com': 4, 'news.ycombinator.com': 3, newsletter: 2, '': 1 });
    await rows('sources-source').filter({ hasText: 'news.ycombinator.com' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('f.source')).toBe('news.ycombinator.com');
    await page.getByTestId('filter-chip').filter({ hasText: 'news.ycombinator.com' }).waitFor();
    await expect.poll(() => table('channels-table')).toEqual({ social: 3 });
    await expect.poll(() => table('tech-device')).toEqual({ desktop: 3 });
    await expect.poll(() => table('geo-table')).toEqual({ NL: 3 });
    await expect.poll(() => page.locator('[data-testid=map-country][data-iso=DE]').getAttribute('data-visitors')).toBe('0');
    // The daily chart, funnel and cards narrow too: HN's 3 visitors, all yesterday, none before.
    const hn = contract(daysAgo(29), daysAgo(0), { source: 'news.ycombinator.com' });
    for (const fn of RANGE_RPCS) await expect.poll(() => lastArgs(fn), { message: fn }).toEqual(hn);
    await expect.poll(() => dau()).toEqual({ points: 30, from: daysAgo(29), active: 3, prevActive: 0 });
    await expect.poll(() => firstStep()).toEqual([3, 0]);
    await expect.poll(() => visitorsCard()).toEqual(['3', '0']);
    await page.screenshot({ path: join(shots, 'acquisition-filtered.png'), fullPage: true });
    await page.getByTestId('filter-chip-remove-source').click();
    await expect.poll(() => new URL(page.url()).searchParams.has('f.source')).toBe(false);
    await expect.poll(() => table('geo-table')).toEqual({ FR: 4, NL: 3, DE: 2, US: 1 });
    await expect.poll(() => attr('metric-grid', 'data-mode')).toBe('weekly');
    await expect.poll(() => firstStep()).toEqual([10, 0]);
  });

  it('the map is drawn from the site itself, shades countries with visitors, and a country click filters', async () => {
    const nl = page.locator('[data-testid=map-country][data-iso=NL]');
    await expect.poll(() => nl.getAttribute('data-visitors')).toBe('3');
    expect(await nl.evaluate((el) => getComputedStyle(el).fill)).not.toBe(
      await page.locator('[data-testid=map-country][data-iso=BR]').evaluate((el) => getComputedStyle(el).fill),
    );
    expect(await page.getByTestId('geo-table-row').filter({ hasText: 'Nederland' }).getAttribute('data-visitors')).toBe('3');
    // DB-IP's license: the page that shows countries links to db-ip.com
    expect(await page.getByTestId('geo-attribution').locator('a').getAttribute('href')).toBe('https://db-ip.com');
    await page.locator('[data-testid=map-country][data-iso=DE]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('f.country')).toBe('DE');
    await expect.poll(() => table('sources-source')).toEqual({ newsletter: 2 });
    await page.getByTestId('sources-tab-utm_campaign').click();
    await expect.poll(() => table('sources-utm_campaign')).toEqual({ winter: 2 });
    await page.goBack(); // Back undoes the filter: the URL is the state
    await expect.poll(() => table('geo-table')).toEqual({ FR: 4, NL: 3, DE: 2, US: 1 });
    expect(offHost).toEqual([]);
    expect(atlas.length).toBeGreaterThan(0);
    for (const a of atlas) expect(a, "the atlas comes from the site itself").toMatch(new RegExp(`^(200|304) ${new URL(dashboardUrl).origin}/_astro/`));
    expect(consoleErrors).toEqual([]);
  });

  it('the pages table shows normalised paths; a page click filters the page by it', async () => {
    // /: HN's 3 + the direct 1 + Google's 4 (30 days); /pricing/ and the newsletter's query and hash normalised away.
    // /pricing: 3 views, never entered, left 3 times, 40 s each (viewed 20 s in, the session ends at 60 s).
    await expect.poll(() => table('pages-table')).toEqual({ '/': 8, '/pricing': 3, '/blog/post': 2 });
    const pricing = rows('pages-table').filter({ hasText: '/pricing' });
    expect(await pricing.locator('td').allInnerTexts()).toEqual(['/pricing', '3', expect.any(String), '3', '0', '3', '0:40']);
    await pricing.click();
    await expect.poll(() => new URL(page.url()).searchParams.get('f.page')).toBe('/pricing');
    await page.getByTestId('filter-chip').filter({ hasText: '/pricing' }).waitFor();
    await expect.poll(() => table('pages-table')).toEqual({ '/pricing': 3 });
    await page.getByTestId('filter-chip-remove-page').click();
    await expect.poll(() => table('pages-table')).toEqual({ '/': 8, '/pricing': 3, '/blog/post': 2 });
  });

  it('fits a phone (390 px) without horizontal scrolling, in dark mode too, with the range cards', async () => {
    await page.setViewportSize({ width: 390, height: 900 });
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('range-7d').click();
    await expect.poll(() => attr('metric-grid', 'data-mode')).toBe('range');
    await expect.poll(() => firstStep()).toEqual([6, 0]);
    await page.getByTestId('dau-chart').locator('svg').first().waitFor();
    await page.getByTestId('geo-table').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(shots, 'acquisition-phone-dark.png'), fullPage: true });
  });
});
