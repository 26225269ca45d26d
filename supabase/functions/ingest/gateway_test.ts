// The ingest function through the local gateway (as `/functions/v1/ingest` is reached
// in production) into Postgres, on the test stack that `npm test` starts.
import assert from 'node:assert/strict';
import { createClient } from 'npm:@supabase/supabase-js@2.119.1';
import { connect } from '../_shared/db.ts';

const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run through \`npm test\`, which starts the test stack`);
  return v;
};
const API = env('API_URL');
const URL_ = `${API}/functions/v1/ingest`;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ORIGIN = 'https://shop.e2e.test';

/** One project per test run, allowing only ORIGIN; removed at the end. */
async function withProject(fn: (sql: ReturnType<typeof connect>, p: { id: string; key: string }) => Promise<void>) {
  const sql = connect(env('DB_URL'), 2);
  const [row] = await sql`insert into crm.projects (name, allowed_origins) values ('gateway test', ${[ORIGIN]}) returning id, public_key`;
  try {
    await fn(sql, { id: row!.id, key: row!.public_key });
  } finally {
    await sql`delete from crm.projects where id = ${row!.id}`;
    await sql.end();
  }
}

const batch = (key: string, events: Record<string, unknown>[]) => ({
  project: key, sent_at: Date.now(), visitor_id: crypto.randomUUID(), session_id: crypto.randomUUID(), events,
});
const pageview = (path = '/') => ({ id: crypto.randomUUID(), type: 'pageview', ts: Date.now(), path });
const post = (body: unknown, origin = ORIGIN) =>
  fetch(URL_, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain', 'user-agent': CHROME, origin } });

Deno.test('through the gateway: stored once, a replay is a duplicate, a foreign origin is refused', async () => {
  await withProject(async (sql, p) => {
    const b = batch(p.key, [pageview('/a'), { id: crypto.randomUUID(), type: 'event', ts: Date.now(), path: '/a', name: 'signup', props: { plan: 'pro' } }]);
    const first = await post(b);
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal((await first.json()).accepted, 2);
    const again = await post(b);
    assert.equal(again.status, 202);
    assert.equal((await again.json()).duplicates, 2);
    const [{ n }] = await sql`select count(*)::int as n from crm.user_events where project_id = ${p.id}`;
    assert.equal(n, 2);
    const foreign = await post(batch(p.key, [pageview()]), 'https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal((await foreign.json()).error, 'origin_not_allowed');
  });
});

Deno.test('through the gateway: bad input gets 4xx JSON, never a 500', async () => {
  await withProject(async (_sql, p) => {
    const cases: [BodyInit, number][] = [
      ['{nope', 400],
      [JSON.stringify(batch(p.key, Array.from({ length: 101 }, () => pageview()))), 413],
      [JSON.stringify(batch('pk_doesnotexist0000', [pageview()])), 400],
    ];
    for (const [body, status] of cases) {
      const res = await fetch(URL_, { method: 'POST', body, headers: { 'user-agent': CHROME, origin: ORIGIN } });
      assert.equal(res.status, status, String(body).slice(0, 60));
      assert.ok((await res.json()).error);
    }
  });
});

Deno.test('through the gateway: concurrent single-event requests are all stored, each once', async () => {
  await withProject(async (sql, p) => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => post(batch(p.key, [pageview(`/c${i}`)]))));
    assert.deepEqual(results.map((r) => r.status), Array(25).fill(202));
    await Promise.all(results.map((r) => r.body?.cancel()));
    const [{ n }] = await sql`select count(*)::int as n from crm.user_events where project_id = ${p.id}`;
    assert.equal(n, 25);
  });
});

Deno.test('through the gateway: the tracker script with caching headers and ETag', async () => {
  const res = await fetch(`${URL_}/vibe.js`);
  assert.equal(res.status, 200, 'the tracker is built before the suites run');
  assert.match(res.headers.get('content-type')!, /javascript/);
  assert.match(res.headers.get('cache-control')!, /max-age=\d+/);
  const etag = res.headers.get('etag')!;
  assert.ok((await res.text()).length > 500);
  const again = await fetch(`${URL_}/vibe.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  await again.body?.cancel();
});

Deno.test('supabase-js functions.invoke reaches the function (application/json)', async () => {
  await withProject(async (_sql, p) => {
    const supabase = createClient(API, env('ANON_KEY'), { auth: { persistSession: false, autoRefreshToken: false } });
    const { data, error } = await supabase.functions.invoke('ingest', {
      body: batch(p.key, [pageview('/invoke')]),
      headers: { origin: ORIGIN, 'user-agent': CHROME },
    });
    assert.equal(error, null);
    assert.equal(data.status, 202);
    assert.equal(data.accepted, 1);
  });
});

Deno.test('the function\'s connection cancels a statement that outlives its timeout (57014, answered 503)', async () => {
  const sql = connect(env('DB_URL'), 1, 200);
  try {
    const [row] = await sql`show statement_timeout`;
    assert.equal(row!.statement_timeout, '200ms');
    await assert.rejects(sql`select pg_sleep(2)`, (e: { code?: string }) => e.code === '57014');
    const [ok] = await sql`select 1 as one`;
    assert.equal(ok!.one, 1, 'the connection stays usable after the cancel');
  } finally {
    await sql.end();
  }
});

Deno.test('through the gateway: a title cut inside an emoji and a U+0000 are stored (as U+FFFD), not refused', async () => {
  await withProject(async (sql, p) => {
    const ev = { ...pageview('/sale'), title: 'Sale \ud83d' };
    const custom = { id: crypto.randomUUID(), type: 'event', ts: Date.now(), path: '/sale', name: 'click', props: { ['k\u0000']: 'v' } };
    const res = await post(batch(p.key, [ev, custom]));
    assert.equal(res.status, 202);
    assert.equal((await res.json()).accepted, 2);
    const [row] = await sql`select properties ->> 'title' as title from crm.user_events where project_id = ${p.id} and id = ${ev.id}`;
    assert.equal(row!.title, 'Sale \uFFFD');
  });
});
