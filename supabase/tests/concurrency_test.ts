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
