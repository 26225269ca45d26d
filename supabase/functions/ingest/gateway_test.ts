// The ingest function through the local gateway (as `/functions/v1/ingest` is reached
// in production) into Postgres, on the test stack that `npm test` starts.
import assert from 'node:assert/strict';
import { createClient } from 'npm:@supabase/supabase-js@2.119.1';
import postgres from 'npm:postgres@3.4.9';
import { connect, withDeadline } from '../_shared/db.ts';
import { sqlAuthTrust } from './sql.ts';

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
    assert.equal(foreign.headers.get('access-control-allow-origin'), null, 'a refused origin gets no CORS grant');
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
    const form = await fetch(URL_, {
      method: 'POST', body: JSON.stringify(batch(p.key, [pageview()])),
      headers: { 'user-agent': CHROME, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal((await form.json()).error, 'unsupported_media_type');
  });
});

Deno.test('through the gateway: spoofed address headers choose neither the per-IP rate-limit bucket nor the cookieless id', async () => {
  await withProject(async (sql, p) => {
    await sql`update crm.projects set settings = settings || '{"privacy_mode": "cookieless", "rate_limit_ip_per_minute": 10}' where id = ${p.id}`;
    const statuses: number[] = [];
    for (const ip of ['6.6.6.1', '6.6.6.2', '6.6.6.3', '6.6.6.4']) {
      const events = Array.from({ length: 5 }, (_, i) => pageview(`/${ip}/${i}`));
      const res = await fetch(URL_, {
        method: 'POST',
        body: JSON.stringify({ project: p.key, sent_at: Date.now(), events }),
        headers: {
          'content-type': 'text/plain', 'user-agent': CHROME, origin: ORIGIN,
          'x-forwarded-for': ip, 'x-real-ip': ip, 'cf-connecting-ip': ip, 'true-client-ip': ip,
        },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [202, 202, 429, 429], 'one bucket of 10 events for all four "addresses"');
    const visitors = await sql`select distinct user_id from crm.user_events where project_id = ${p.id}`;
    assert.equal(visitors.length, 1, 'one cookieless visitor: the id comes from the real address');
  });
});

Deno.test('through the gateway: 100 one-event batches at once against limits of 20 store exactly 20, the rest get 429 with Retry-After', async () => {
  for (const limit of ['rate_limit_project_per_minute', 'rate_limit_ip_per_minute']) {
    await withProject(async (sql, p) => {
      await sql`update crm.projects set settings = settings || ${sql.json({ [limit]: 20 })} where id = ${p.id}`;
      // The burst stays inside one one-minute window.
      const left = 60 - new Date().getUTCSeconds();
      if (left < 15) await new Promise((r) => setTimeout(r, left * 1000 + 200));
      const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const res = await post(batch(p.key, [pageview(`/burst${i}`)]));
        await res.body?.cancel();
        return { status: res.status, retryAfter: res.headers.get('retry-after'), exposed: res.headers.get('access-control-expose-headers') };
      }));
      assert.equal(answers.filter((a) => a.status === 202).length, 20, `${limit}: 20 accepted`);
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(refused.length, 80, `${limit}: 80 refused`);
      assert.ok(refused.every((a) => Number(a.retryAfter) >= 1 && Number(a.retryAfter) <= 60), 'each 429 says when to retry');
      assert.match(refused[0]!.exposed ?? '', /Retry-After/i, 'and the page may read it');
      const [{ n }] = await sql`select count(*)::int as n from crm.user_events where project_id = ${p.id}`;
      assert.equal(n, 20, `${limit}: exactly 20 stored`);
    });
  }
});

/** A custom event whose props are exactly `bytes` of compact JSON: {"k":"xxx…"}. */
const propsEvent = (bytes: number) => ({
  id: crypto.randomUUID(), type: 'event', ts: Date.now(), path: '/', name: 'big', props: { k: 'x'.repeat(bytes - 8) },
});

Deno.test('through the gateway: props of exactly 4096 bytes are stored, one byte more is rejected as oversize', async () => {
  await withProject(async (sql, p) => {
    const [limits] = await sql`select (crm.event_limits() ->> 'props_bytes')::int as props`;
    const atLimit = propsEvent(limits!.props);
    assert.equal(new TextEncoder().encode(JSON.stringify(atLimit.props)).length, limits!.props);
    const over = propsEvent(limits!.props + 1);
    const res = await post(batch(p.key, [atLimit, over]));
    assert.equal(res.status, 202);
    const body = await res.json();
    assert.equal(body.accepted, 1);
    assert.deepEqual(body.rejected, [{ index: 1, id: over.id, reason: 'oversize', message: `props is ${limits!.props + 1} bytes of JSON, over ${limits!.props}` }]);
    const stored = await sql`select id from crm.user_events where project_id = ${p.id} and type = 'event'`;
    assert.deepEqual(stored.map((r) => r.id), [atLimit.id]);
  });
});

Deno.test('through the gateway: no rejection is silent — refusals of SQL and of the function reach get_ingest_health', async () => {
  await withProject(async (sql, p) => {
    await (await post(batch(p.key, [pageview(), { id: crypto.randomUUID(), type: 'teleport', ts: Date.now() }]))).body?.cancel();
    await (await fetch(URL_, { method: 'POST', body: `{"project":"${p.key}","events":[`, headers: { 'user-agent': CHROME } })).body?.cancel();
    await (await fetch(URL_, { method: 'POST', body: JSON.stringify(batch(p.key, [pageview()])), headers: { 'user-agent': 'curl/8.4.0' } })).body?.cancel();
    let row: Record<string, unknown> | undefined;
    // The function reports its own refusals every 2 s.
    for (let i = 0; i < 40; i++) {
      [row] = await sql`select * from public.get_ingest_health(${p.id}, 1)`;
      if (Number(row!.bot_dropped) > 0 && (row!.refused as Record<string, number>).invalid_batch) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(Number(row!.accepted), 1);
    assert.deepEqual(row!.rejected, { unknown_type: 1 });
    assert.equal(Number(row!.bot_dropped), 1);
    assert.deepEqual(row!.refused, { invalid_batch: 1 });
    assert.deepEqual((row!.last_rejections as { reason: string }[]).map((r) => r.reason), ['invalid_batch', 'unknown_type']);
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

Deno.test('through the pooler, a statement that outlives its deadline is cancelled (57014, answered 503)', async () => {
  const sql = connect(env('POOLER_URL'), 1);
  try {
    const started = performance.now();
    await assert.rejects(withDeadline(sql`select pg_sleep(5)`, 200), (e: { code?: string }) => e.code === '57014');
    assert.ok(performance.now() - started < 2000, 'cancelled well before the statement would have ended');
    const [ok] = await sql`select 1 as one`;
    assert.equal(ok!.one, 1, 'the connection stays usable after the cancel');
    const [busy] = await sql`select count(*)::int as n from pg_stat_activity
                              where query like 'select pg_sleep(5)%' and state = 'active'`;
    assert.equal(busy!.n, 0, 'the statement was stopped in Postgres, not just abandoned by the client');
  } finally {
    await sql.end();
  }
});

Deno.test('the pooler refuses a startup parameter it does not know; the function sends none', async () => {
  const refused = postgres(env('POOLER_URL'), { max: 1, prepare: false, connection: { statement_timeout: 1000 } });
  try {
    await assert.rejects(refused`select 1`, /unsupported startup parameter/);
  } finally {
    await refused.end({ timeout: 1 });
  }
  const sql = connect(env('POOLER_URL'), 1);
  try {
    const [row] = await sql`select current_user as who, current_setting('application_name') as app`;
    assert.deepEqual({ ...row }, { who: 'postgres', app: 'vibe-ingest' });
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

Deno.test("the project's Supabase Auth trust, read by public key through crm.ingest_auth_trust and kept for its TTL", async () => {
  await withProject(async (sql, p) => {
    let clock = 0;
    const trust = sqlAuthTrust(sql, 60_000, () => clock);
    const first = await trust(p.key);
    assert.equal(first?.jwks_url, null, "this Supabase project's own users by default");
    assert.ok(Array.isArray(first?.refused_networks));
    const other = 'https://otherref.supabase.co/auth/v1/.well-known/jwks.json';
    await sql`update crm.projects set settings = settings || ${sql.json({ auth_jwks_url: other })} where id = ${p.id}`;
    clock = 59_999;
    assert.equal((await trust(p.key))?.jwks_url, null, 'kept within the TTL (SQL checks each verdict against the setting anyway)');
    clock = 60_000;
    assert.equal((await trust(p.key))?.jwks_url, other, 'read again after it');
    assert.equal(await trust('pk_nosuchproject000000'), null, 'an unknown key has no trust');
  });
});
