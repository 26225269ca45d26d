// The tracker in real Chromium against the test stack: snippet → ingest function
// (through the gateway) → Postgres rows, including flaky networks and outages.
import { createHmac } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanContext, launchChromium } from './support/browser';
import { connectDb, createMember, createProject, type Sql, type TestProject, waitFor } from './support/db';
import { stackEnv } from './support/env';
import { snippetPage, startIngestProxy, startSite } from './support/site-server';

const env = stackEnv();
let sql: Sql;
let browser: Browser;
let project: TestProject;
let site: Awaited<ReturnType<typeof startSite>>;
let proxy: Awaited<ReturnType<typeof startIngestProxy>>;

beforeAll(async () => {
  sql = connectDb(env.dbUrl);
  proxy = await startIngestProxy(`${env.apiUrl}/functions/v1/ingest`);
  let title = 'Fixture';
  site = await startSite(() =>
    snippetPage({ title, scriptUrl: `${env.apiUrl}/functions/v1/ingest/vibe.js`, project: project.publicKey, api: proxy.url })
  );
  project = await createProject(sql, 'e2e tracker', [site.origin]);
  title = 'Fixture shop';
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await site?.close();
  if (project) await sql`delete from crm.projects where id = ${project.id}`;
  await sql?.end();
});

/** The visitor and session ids the tracker keeps in this page's storage. */
async function trackerIds(page: Page): Promise<{ visitor: string; session: string }> {
  const ids = await waitFor('tracker ids in storage', () =>
    page.evaluate(() => ({ v: localStorage.getItem('vibe_v'), s: sessionStorage.getItem('vibe_s') }))
      .then(({ v, s }) => (v && s ? { v, s } : null))
  );
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
  return { visitor: ids.v.match(uuid)![0], session: ids.s.match(uuid)![0] };
}

const eventCount = async (name: string) =>
  Number((await sql`select count(*) from crm.user_events where project_id = ${project.id} and name = ${name}`)[0]!.count);

async function newPage(context?: BrowserContext): Promise<{ context: BrowserContext; page: Page }> {
  const ctx = context ?? await humanContext(browser);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${site.origin}/`);
  return { context: ctx, page };
}

describe('tracker snippet in Chromium', () => {
  it('a page view creates the user, the session and the event', async () => {
    const { context, page } = await newPage();
    const { visitor, session } = await trackerIds(page);
    const row = await waitFor('the session row', async () =>
      (await sql`
        select s.user_id, s.current_page, s.page_views, s.device_type, s.browser, a.anonymous_id
        from crm.site_sessions s join crm.anonymous_ids a on a.project_id = s.project_id and a.user_id = s.user_id
        where s.project_id = ${project.id} and s.id = ${session}`)[0]);
    expect(row.anonymous_id).toBe(visitor);
    expect(row.current_page).toBe('/');
    expect(row.device_type).toBe('desktop');
    expect(row.browser).toMatch(/Chrom/);
    const events = await sql`select type, page from crm.user_events where project_id = ${project.id} and session_id = ${session}`;
    expect(events.map((e) => [e.type, e.page])).toEqual([['pageview', '/']]);
    await context.close();
  });

  it('SPA navigation records page views and moves the current page', async () => {
    const { context, page } = await newPage();
    const { session } = await trackerIds(page);
    await page.evaluate(() => history.pushState({}, '', '/app/step-2'));
    await page.evaluate(() => history.replaceState({}, '', '/app/step-3'));
    await waitFor('two page views', async () =>
      Number((await sql`select count(*) from crm.user_events where session_id = ${session} and type = 'pageview'`)[0]!.count) >= 2);
    await page.goBack(); // popstate back to '/'
    const pages = await waitFor('three page views', async () => {
      const rows = await sql`select page from crm.user_events where session_id = ${session} and type = 'pageview' order by occurred_at`;
      return rows.length >= 3 ? rows.map((r) => r.page) : null;
    });
    expect(pages[0]).toBe('/');
    expect(pages).toContain('/app/step-3');
    const [s] = await sql`select current_page from crm.site_sessions where id = ${session}`;
    expect(s!.current_page).toBe(pages.at(-1));
    await context.close();
  });

  it('props and metadata of exactly the limit are stored; one byte more is refused in the page with a warning, and counted nowhere', async () => {
    const [row] = await sql`select crm.event_limits() as l`;
    const l = row!.l;
    const { context, page } = await newPage();
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await trackerIds(page);
    const tag = crypto.randomUUID().slice(0, 8);
    // {"k":"é…"}: 8 bytes of JSON around the value, é is two bytes of UTF-8.
    const sized = (bytes: number) => ({ k: 'é' + 'x'.repeat(bytes - 10) });
    await page.evaluate(([t, atLimit, over, meta, metaOver]) => {
      const w = window as any;
      w.vibeTrack(`fits-${t}`, atLimit);
      w.vibeTrack(`over-${t}`, over);
      w.vibeIdentify({ name: `Meta ${t}`, metadata: meta });
      w.vibeIdentify({ name: `Over ${t}`, metadata: metaOver });
    }, [tag, sized(l.props_bytes), sized(l.props_bytes + 1), sized(l.metadata_bytes), sized(l.metadata_bytes + 1)] as const);
    const stored = await waitFor('the event at the limit', async () =>
      (await sql`select octet_length(properties::text) - 1 as bytes from crm.user_events
                 where project_id = ${project.id} and name = ${`fits-${tag}`}`)[0]);
    expect(stored.bytes).toBe(l.props_bytes); // jsonb adds one space after the colon
    await waitFor('the identify at the limit', async () =>
      (await sql`select 1 from crm.site_users where project_id = ${project.id} and name = ${`Meta ${tag}`}`).length > 0);
    await page.waitForTimeout(1500); // one more send cycle: nothing else may arrive
    expect(await eventCount(`over-${tag}`)).toBe(0);
    expect((await sql`select 1 from crm.site_users where project_id = ${project.id} and name = ${`Over ${tag}`}`).length).toBe(0);
    expect(warnings).toEqual([
      `vibe: props over ${l.props_bytes} B, dropped`,
      `vibe: metadata over ${l.metadata_bytes} B, dropped`,
    ]);
    await context.close();
  });

  it('a signed identify merges the visitor into the known user; an unsigned one cannot take it over', async () => {
    const email = `known-${crypto.randomUUID().slice(0, 6)}@shop.example`;
    const [known] = await sql`
      insert into crm.site_users (project_id, id, email, name, segment, verified, email_verified)
      values (${project.id}, gen_random_uuid(), ${email}, 'Known Customer', 'premium', true, true) returning id`;
    const signature = createHmac('sha256', project.identitySecret).update(email).digest('hex');

    const a = await newPage();
    const { session } = await trackerIds(a.page);
    await a.page.evaluate(([e, s]) => (window as any).vibeIdentify({ email: e, signature: s }), [email, signature]);
    await waitFor('the session to belong to the known user', async () =>
      (await sql`select user_id from crm.site_sessions where id = ${session}`)[0]?.user_id === known!.id);
    await a.context.close();

    const b = await newPage();
    const { session: other } = await trackerIds(b.page);
    await b.page.evaluate((e) => (window as any).vibeIdentify({ email: e, name: 'Impostor', segment: 'churned' }), email);
    await waitFor('the unsigned identify to be processed', async () =>
      Number((await sql`select count(*) from crm.user_events where session_id = ${other} and type = 'identify'`)[0]!.count) === 1);
    const [s] = await sql`select user_id from crm.site_sessions where id = ${other}`;
    expect(s!.user_id).not.toBe(known!.id);
    const [k] = await sql`select name, segment, verified from crm.site_users where project_id = ${project.id} and id = ${known!.id}`;
    expect(k).toEqual({ name: 'Known Customer', segment: 'premium', verified: true });
    await b.context.close();
  });

  it('events made offline are sent once the browser is back online', async () => {
    const { context, page } = await newPage();
    await trackerIds(page);
    await context.setOffline(true);
    await page.evaluate(() => (window as any).vibeTrack('offline_evt', { n: 1 }));
    await new Promise((r) => setTimeout(r, 2000));
    expect(await eventCount('offline_evt')).toBe(0);
    await context.setOffline(false);
    await waitFor('the offline event', async () => (await eventCount('offline_evt')) === 1, 30_000);
    await context.close();
  });

  it('with the ingest endpoint down for 10 s during traffic, every event is stored exactly once', async () => {
    const { context, page } = await newPage();
    await trackerIds(page);
    const sent: number[] = [];
    const track = async (n: number) => {
      await page.evaluate((i) => (window as any).vibeTrack('outage_evt', { n: i }), n);
      sent.push(n);
    };
    for (let n = 1; n <= 3; n++) await track(n);
    await proxy.down();
    for (let n = 4; n <= 13; n++) {
      await track(n);
      await new Promise((r) => setTimeout(r, 1000)); // ten seconds of traffic while down
    }
    await proxy.up();
    for (let n = 14; n <= 16; n++) await track(n);
    const rows = await waitFor('all outage events', async () => {
      const r = await sql`select properties ->> 'n' as n from crm.user_events where project_id = ${project.id} and name = 'outage_evt'`;
      return r.length >= sent.length ? r : null;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 3000)); // late duplicates would show up now
    const final = await sql`select properties ->> 'n' as n from crm.user_events where project_id = ${project.id} and name = 'outage_evt'`;
    expect(final.length).toBe(sent.length);
    expect(new Set(final.map((r) => Number(r.n)))).toEqual(new Set(sent));
    expect(rows.length).toBe(sent.length);
    await context.close();
  });

  it('events of a page closed during the outage arrive with the next page view', async () => {
    const context = await humanContext(browser);
    await proxy.down();
    const first = await newPage(context);
    await first.page.evaluate(() => (window as any).vibeTrack('closed_page_evt', { n: 1 }));
    await new Promise((r) => setTimeout(r, 500));
    await first.page.close({ runBeforeUnload: true });
    await proxy.up();
    expect(await eventCount('closed_page_evt')).toBe(0);
    await newPage(context);
    await waitFor('the event of the closed page', async () => (await eventCount('closed_page_evt')) === 1, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await eventCount('closed_page_evt')).toBe(1);
    await context.close();
  });

  it("the dashboard's realtime topic receives session_started for a new visitor", async () => {
    const password = 'e2e-password-1';
    const member = await createMember(sql, project.id, 'viewer', password);
    const supabase = createClient(env.apiUrl, env.anonKey, { auth: { persistSession: false } });
    const { data, error } = await supabase.auth.signInWithPassword({ email: member.email, password });
    expect(error).toBeNull();
    await supabase.realtime.setAuth(data.session!.access_token);
    const received: Record<string, unknown>[] = [];
    const channel = supabase.channel(`crm:${project.id}`, { config: { private: true } })
      .on('broadcast', { event: 'session_started' }, (msg) => received.push(msg.payload));
    await new Promise<void>((resolve, reject) =>
      channel.subscribe((status) => (status === 'SUBSCRIBED' ? resolve() : status === 'CHANNEL_ERROR' ? reject(new Error(status)) : null))
    );
    const { context, page } = await newPage();
    const { session } = await trackerIds(page);
    await waitFor('session_started for the new session', async () => received.some((p) => p.session_id === session), 15_000);
    await supabase.removeAllChannels();
    await context.close();
  });
});
