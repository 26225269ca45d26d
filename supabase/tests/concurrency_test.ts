// SQL behaviour that needs two sessions at once (pgTAP runs in one), against the test
// stack's database that `npm test` starts (DB_URL, as the database owner).
import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const steps = (tag: string) => [{ name: `${tag}1`, event_name: 'pageview' }, { name: `${tag}2`, event_name: 'signup' }];

Deno.test('two funnel saves at once: the second waits for the first and wins, no key collision', async () => {
  const a = postgres(url, { max: 1, onnotice: () => {} });
  const b = postgres(url, { max: 1, onnotice: () => {} });
  const watch = postgres(url, { max: 1, onnotice: () => {} });
  const [p] = await a`insert into crm.projects (name) values ('concurrency test') returning id`;
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The first save stays uncommitted until the second one has started.
    const first = a.begin(async (tx) => {
      await tx`select public.set_crm_funnel_steps(${p!.id}, ${a.json(steps('A'))})`;
      await held;
    });
    await sleep(200);
    const second = b`select public.set_crm_funnel_steps(${p!.id}, ${b.json(steps('B'))})`.execute();
    await sleep(300);
    const [waiting] = await watch`select count(*)::int as n from pg_stat_activity
                                  where wait_event_type = 'Lock' and query like '%set_crm_funnel_steps%'`;
    assert.equal(waiting!.n, 1, 'the second save waits on the first one\'s lock');
    release();
    await first;
    await second; // before the project row was locked, this failed with 23505
    const rows = await a`select name from crm.funnel_steps where project_id = ${p!.id} order by step_order`;
    assert.deepEqual(rows.map((r) => r.name), ['B1', 'B2']);
  } finally {
    await a`delete from crm.projects where id = ${p!.id}`;
    await a.end();
    await b.end();
    await watch.end();
  }
});

/** A project (made by the owner connection) and a helper that builds one-visitor batches for it. */
async function ingestProject(sql: postgres.Sql, settings: Record<string, unknown> = {}) {
  const [p] = await sql`insert into crm.projects (name, settings) values ('concurrency ingest', ${sql.json(settings as postgres.JSONValue)})
                        returning id, public_key`;
  const item = (visitor: string, path = '/', ipHash = 'ip-a') => ({
    batch: {
      project: p!.public_key, sent_at: Date.now(), visitor_id: visitor, session_id: crypto.randomUUID(),
      events: [{ id: crypto.randomUUID(), type: 'pageview', ts: Date.now(), path }],
    },
    context: { ip_hash: ipHash, user_agent: 'test' },
  });
  return { id: p!.id as string, item };
}

/** Waits until the current minute has at least `seconds` left, so a burst stays inside one rate-limit window. */
async function inOneWindow(seconds = 15) {
  const left = 60 - new Date().getUTCSeconds();
  if (left < seconds) await sleep(left * 1000 + 200);
}

Deno.test('rate limits are exact under concurrency: 100 one-event calls at once against limits of 20 store 20', async () => {
  const owner = postgres(url, { max: 1, onnotice: () => {} });
  const pool = postgres(url, { max: 20, onnotice: () => {} });
  try {
    for (const limit of ['rate_limit_project_per_minute', 'rate_limit_ip_per_minute']) {
      const p = await ingestProject(owner, { [limit]: 20 });
      try {
        await inOneWindow();
        const results = await Promise.all(Array.from({ length: 100 }, () =>
          pool`call crm.ingest_call(${JSON.stringify([p.item(crypto.randomUUID())])}::text::json, null)`
            .then(([r]) => r!.results[0] as { status: number; retry_after?: number })));
        const statuses = results.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 202).length, 20, `${limit}: exactly 20 admitted`);
        assert.equal(statuses.filter((s) => s === 429).length, 80, `${limit}: the rest refused`);
        assert.ok(results.every((r) => r.status === 202 || (r.retry_after! >= 1 && r.retry_after! <= 60)), 'a 429 says when to retry');
        const [{ n }] = await owner`select count(*)::int as n from crm.user_events where project_id = ${p.id}`;
        assert.equal(n, 20, `${limit}: exactly 20 stored`);
      } finally {
        await owner`delete from crm.projects where id = ${p.id}`;
      }
    }
  } finally {
    await owner.end();
    await pool.end();
  }
});

Deno.test('erasure and ingest of one person take turns: whichever commits first, nothing is left behind', async () => {
  const a = postgres(url, { max: 1, onnotice: () => {} });
  const b = postgres(url, { max: 1, onnotice: () => {} });
  const p = await ingestProject(a);
  const left = async (visitor: string) => {
    const [r] = await a`select (select count(*) from crm.site_users u join crm.anonymous_ids x on x.user_id = u.id
                                where x.project_id = ${p.id} and x.anonymous_id = ${visitor})::int as users,
                               (select count(*) from crm.user_events e where e.project_id = ${p.id})::int as events,
                               (select count(*) from crm.site_sessions s where s.project_id = ${p.id})::int as sessions`;
    return r!;
  };
  try {
    // 1. Ingest first (uncommitted), then the erasure: the erasure waits, then deletes what ingest stored.
    const v1 = crypto.randomUUID();
    await a`select crm.ingest_batches(${JSON.stringify([p.item(v1, '/first')])}::text::json)`;
    const [u1] = await a`select user_id from crm.anonymous_ids where project_id = ${p.id} and anonymous_id = ${v1}`;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const ingest = a.begin(async (tx) => {
      const [r] = await tx`select crm.ingest_batches(${JSON.stringify([p.item(v1, '/second')])}::text::json) -> 0 as r`;
      await held;
      return r!.r;
    });
    await sleep(200);
    const erase = b`select public.delete_site_user(${p.id}, ${u1!.user_id})`.execute();
    await sleep(300);
    release();
    assert.equal((await ingest).status, 202);
    await erase;
    assert.deepEqual(await left(v1), { users: 0, events: 0, sessions: 0 }, 'the erasure took what ingest stored meanwhile');

    // 2. The erasure first (uncommitted), then ingest: ingest waits, then sees the erasure and stores nothing.
    const v2 = crypto.randomUUID();
    await a`select crm.ingest_batches(${JSON.stringify([p.item(v2, '/first')])}::text::json)`;
    const [u2] = await a`select user_id from crm.anonymous_ids where project_id = ${p.id} and anonymous_id = ${v2}`;
    let release2!: () => void;
    const held2 = new Promise<void>((r) => (release2 = r));
    const erasure = b.begin(async (tx) => {
      await tx`select public.delete_site_user(${p.id}, ${u2!.user_id})`;
      await held2;
    });
    await sleep(200);
    const late = a`select crm.ingest_batches(${JSON.stringify([p.item(v2, '/late')])}::text::json) -> 0 as r`.execute();
    await sleep(300);
    release2();
    await erasure;
    const [{ r }] = await late;
    assert.equal(r.status, 202);
    assert.equal(r.accepted, 0);
    assert.deepEqual(r.rejected.map((x: { reason: string }) => x.reason), ['erased']);
    assert.deepEqual(await left(v2), { users: 0, events: 0, sessions: 0 });

    // 3. Live traffic: calls for one person while they are erased answer 202 or a
    //    retryable 503, and nothing of theirs survives the erasure.
    const v3 = crypto.randomUUID();
    await a`select crm.ingest_batches(${JSON.stringify([p.item(v3, '/first')])}::text::json)`;
    const [u3] = await a`select user_id from crm.anonymous_ids where project_id = ${p.id} and anonymous_id = ${v3}`;
    const pool = postgres(url, { max: 6, onnotice: () => {} });
    try {
      const traffic = Array.from({ length: 40 }, (_, i) =>
        sleep(i * 5).then(() => pool`call crm.ingest_call(${JSON.stringify([p.item(v3, `/t${i}`)])}::text::json, null)`)
          .then(([row]) => row!.results[0].status as number));
      await sleep(60);
      await b`select public.delete_site_user(${p.id}, ${u3!.user_id})`;
      const statuses = await Promise.all(traffic);
      assert.ok(statuses.every((s) => s === 202 || s === 503), `only 202 or 503: ${statuses}`);
      assert.deepEqual(await left(v3), { users: 0, events: 0, sessions: 0 }, 'nothing of an erased person is left');
    } finally {
      await pool.end();
    }
  } finally {
    await a`delete from crm.projects where id = ${p.id}`;
    await a.end();
    await b.end();
  }
});
