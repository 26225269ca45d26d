// Zero-code identity for a site on Supabase Auth, end to end in Chromium: the page signs
// a user in with the real supabase-js against the test stack, the tag carries
// data-supabase-auth, and the visitor becomes the verified person whose external id is
// the auth user's id, across devices; signing out starts a new anonymous visitor.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanContext, launchChromium } from './support/browser';
import { connectDb, createAuthUser, createProject, type Sql, type TestProject, waitFor } from './support/db';
import { stackEnv } from './support/env';
import { startSite } from './support/site-server';

const env = stackEnv();
const PASSWORD = 'correct-horse-battery';
let sql: Sql;
let browser: Browser;
let project: TestProject;
let site: Awaited<ReturnType<typeof startSite>>;
let user: { id: string; email: string };

/** supabase-js's own browser build (global `supabase`), served by the fixture site. */
function supabaseJsBundle(): string {
  const pkg = createRequire(import.meta.url).resolve('@supabase/supabase-js/package.json');
  return readFileSync(join(dirname(pkg), 'dist', 'umd', 'supabase.js'), 'utf8');
}

/** A site that keeps its supabase-js session where supabase-js keeps it by default, with the tag's option on. */
const page = () => `<!doctype html><html><head><meta charset="utf-8"><title>Auth shop</title>
<script src="/supabase.js"></script>
<script>window.sb = supabase.createClient(${JSON.stringify(env.apiUrl)}, ${JSON.stringify(env.anonKey)})</script>
<script defer src="${env.apiUrl}/functions/v1/ingest/vibe.js" data-project="${project.publicKey}"
  data-api="${env.apiUrl}/functions/v1/ingest" data-allow-localhost data-supabase-auth></script>
</head><body><h1>Auth shop</h1></body></html>`;

beforeAll(async () => {
  sql = connectDb(env.dbUrl);
  site = await startSite(page, { '/supabase.js': supabaseJsBundle() });
  project = await createProject(sql, 'e2e supabase auth', [site.origin]);
  const ann = await createAuthUser(sql, 'ann', PASSWORD);
  user = { id: ann.userId, email: ann.email };
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (project) await sql`delete from crm.projects where id = ${project.id}`;
  if (user) await sql`delete from auth.users where id = ${user.id}`;
  await sql?.end();
});

/** A new browser (device) on the site; its tracker's visitor id once the first page view is queued. */
async function openDevice(): Promise<{ page: Page; visitor: string; close: () => Promise<void> }> {
  const context = await humanContext(browser);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${site.origin}/`);
  const visitor = await visitorId(page);
  return { page, visitor, close: () => context.close() };
}

const visitorId = (page: Page) =>
  waitFor('the tracker\'s visitor id', () => page.evaluate(() => JSON.parse(localStorage.getItem('vibe_v') ?? 'null') as string | null));

/** Whose a visitor id is, once ingest has seen it. */
const ownerOf = async (visitor: string) =>
  (await sql`select user_id from crm.anonymous_ids where project_id = ${project.id} and anonymous_id = ${visitor}`)[0]?.user_id as
    | string
    | undefined;

async function signIn(page: Page) {
  const error = await page.evaluate(
    async ([email, password]) => (await (window as any).sb.auth.signInWithPassword({ email, password })).error?.message ?? null,
    [user.email, PASSWORD],
  );
  expect(error).toBeNull();
}

describe('data-supabase-auth in Chromium', () => {
  let personId: string;

  it('signing in with supabase-js makes the visitor the verified person whose external id is the auth user id', async () => {
    const device = await openDevice();
    // Anonymous history first.
    await waitFor('the anonymous visitor', () => ownerOf(device.visitor));
    expect(await ownerOf(device.visitor)).toBe(device.visitor);
    const before = await sql`select external_id, verified from crm.site_users where project_id = ${project.id} and id = ${device.visitor}`;
    expect(before[0]).toMatchObject({ external_id: null, verified: false });

    await signIn(device.page);
    const person = await waitFor('the person of the auth user', async () =>
      (await sql`select id, external_id, email, email_verified, verified from crm.site_users
                 where project_id = ${project.id} and external_id = ${user.id}`)[0]);
    expect(person).toMatchObject({ external_id: user.id, email: user.email, email_verified: true, verified: true });
    personId = person.id;
    expect(await ownerOf(device.visitor)).toBe(personId);
    // The anonymous page view joined the person; each token (a refresh makes a new one) is one identify.
    const events = await sql`select type, count(*)::int as n from crm.user_events where project_id = ${project.id} and user_id = ${personId} group by type`;
    expect(Object.fromEntries(events.map((e) => [e.type, e.n]))).toMatchObject({ pageview: 1, identify: expect.any(Number) });
    expect(events.length).toBe(2);
    const [identify] = await sql`select properties from crm.user_events where project_id = ${project.id} and user_id = ${personId} and type = 'identify' limit 1`;
    expect(identify!.properties).toEqual({ verified: true, via: 'supabase_auth' });
    // The token left the page's queue once sent, and the server kept no trace of it.
    const token = await device.page.evaluate(() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => /^sb-.+-auth-token$/.test(k))!)!).access_token as string);
    await waitFor('an empty queue', () => device.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('vibe_q')).every((k) => localStorage.getItem(k) === '[]')));
    const tail = `%${token.slice(-20)}%`;
    const traces = await sql`select (select count(*)::int from crm.user_events where project_id = ${project.id}
                                     and (properties::text like ${tail} or page like ${tail})) +
                                    (select count(*)::int from crm.ingest_counters where project_id = ${project.id}
                                     and last_rejections::text like ${tail}) as n`;
    expect(traces[0]!.n).toBe(0);

    // A forged token (this one, re-signed by nobody) goes through the real function and is refused with its reason.
    const [head, body] = token.split('.');
    await device.page.evaluate((t) => (window as any).vibeIdentify({ token: t }), `${head}.${body}.${'A'.repeat(43)}`);
    const refused = await waitFor('the refusal', async () =>
      (await sql`select r ->> 'message' as message from crm.ingest_counters c, jsonb_array_elements(c.last_rejections) r
                 where c.project_id = ${project.id} and r ->> 'reason' = 'bad_token'`)[0]);
    expect(refused.message).toMatch(/^bad signature: /);

    // Signing out: the tracker starts a new anonymous visitor, who is not the person.
    const signedOut = await device.page.evaluate(async () => (await (window as any).sb.auth.signOut()).error?.message ?? null);
    expect(signedOut).toBeNull();
    const next = await waitFor('a new visitor id', async () => {
      const v = await visitorId(device.page);
      return v !== device.visitor ? v : null;
    });
    await device.page.evaluate(() => history.pushState({}, '', '/after-sign-out'));
    await waitFor('the new visitor', () => ownerOf(next));
    expect(await ownerOf(next)).toBe(next);
    const [anon] = await sql`select external_id, verified from crm.site_users where project_id = ${project.id} and id = ${next}`;
    expect(anon).toMatchObject({ external_id: null, verified: false });
    const [page] = await sql`select user_id from crm.user_events where project_id = ${project.id} and page = '/after-sign-out'`;
    expect(page!.user_id).toBe(next);
    await device.close();
  });

  it('the same user signing in on another device joins the same person, with that device\'s history', async () => {
    const device = await openDevice();
    await waitFor('the second device\'s visitor', () => ownerOf(device.visitor));
    await signIn(device.page);
    await waitFor('the merge', async () => (await ownerOf(device.visitor)) === personId);
    const people = await sql`select count(*)::int as n from crm.site_users where project_id = ${project.id} and external_id = ${user.id}`;
    expect(people[0]!.n).toBe(1);
    const [row] = await sql`select count(*)::int as n from crm.user_events e join crm.anonymous_ids a
                              on a.project_id = e.project_id and a.user_id = e.user_id
                              where e.project_id = ${project.id} and a.anonymous_id = ${device.visitor} and e.type = 'pageview'`;
    expect(row!.n).toBeGreaterThanOrEqual(2); // the first device's page view and this one's, both the person's
    await device.close();
  });
});
