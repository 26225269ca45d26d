// Gateway conformance under Deno: the shared supabase-js cases (cases.ts), plus the
// Postgres-restart case, which needs the stack's cluster helpers (Deno only).
import assert from 'node:assert/strict';
import { startCluster, stopCluster } from '../../stack/cluster.ts';
import { stackConfig } from '../../stack/config.ts';
import { cases } from './cases.ts';
import { type Fixtures, setupFixtures, superuser, teardownFixtures, testEnv } from './fixtures.ts';
import { client, dispose, join, sleep } from './helpers.ts';

const env = testEnv();
// Fixtures once for the file; the last test drops them (and checks that it did).
let fx: Fixtures | null = null;
const fixtures = async () => (fx ??= await setupFixtures(env, 'deno'));

// supabase-js keeps sockets and timers between awaits by design; each case disposes its clients.
const opts = { sanitizeOps: false, sanitizeResources: false };

for (const c of cases) {
  Deno.test({
    name: `gateway (deno): ${c.name}`,
    ...opts,
    fn: async () => c.fn({ env, fx: await fixtures() }),
  });
}

Deno.test({
  name: 'gateway (deno): a Postgres restart mid-subscription is survived',
  ...opts,
  fn: async () => {
    const f = await fixtures();
    const c = client(env, { key: env.serviceRoleKey });
    const j = await join(c, f.room, { private: true });
    assert.equal(j.first, 'SUBSCRIBED');
    const cfg = stackConfig('test');
    assert.equal(await stopCluster(cfg), true, 'the test cluster was running');
    const down = await client(env).rpc('gwtest_add', { a: 1 });
    assert.equal(down.status, 503, 'requests while Postgres is down get 503');
    assert.equal(down.error?.code, 'PGRST001');
    const health = await fetch(`${env.apiUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).database, 'unreachable');
    // Longer than the LISTEN watchdog's period, so a dead listener is noticed and replaced.
    await sleep(7000);
    await startCluster(cfg);
    let r = await client(env).rpc('gwtest_add', { a: 1 });
    for (let i = 0; i < 50 && r.error; i++) {
      await sleep(200);
      r = await client(env).rpc('gwtest_add', { a: 1 });
    }
    assert.equal(r.data, 11, 'rpc is served again without restarting the gateway');
    // LISTEN comes back on its own; the hub catches up on rows inserted meanwhile.
    const sql = superuser(env);
    try {
      await sql`select realtime.send('{"after":"restart"}'::jsonb, 'after-restart', ${f.room}, true)`;
    } finally {
      await sql.end({ timeout: 2 });
    }
    const m = await j.messages.next(
      (m) => m.event === 'after-restart',
      15_000,
      'a broadcast after the restart',
    );
    assert.equal(m.payload.after, 'restart');
    await dispose(c);
  },
});

Deno.test({
  name: 'gateway (deno): conformance fixtures are dropped afterwards',
  ...opts,
  fn: async () => {
    await teardownFixtures(env);
    const sql = superuser(env);
    try {
      const [row] =
        await sql`select count(*)::int as n from pg_proc where proname like 'gwtest\_%'`;
      assert.equal(row!.n, 0);
    } finally {
      await sql.end({ timeout: 2 });
    }
  },
});
