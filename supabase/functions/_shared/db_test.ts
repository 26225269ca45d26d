import assert from 'node:assert/strict';
import { connect, reconnectBackoff } from './db.ts';

Deno.test('reconnecting waits at most half a second, however many attempts failed', () => {
  assert.equal(reconnectBackoff(1), 0.1);
  assert.equal(reconnectBackoff(20), 0.5);
});

Deno.test('while Postgres is down, every query fails within a second (the function answers 503 at once)', async () => {
  // A port nobody listens on: each connection attempt is refused at once.
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const sql = connect(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, 1);
  try {
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      await assert.rejects(sql`select 1`);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `attempt ${i + 1} took ${Math.round(ms)} ms`);
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
});
