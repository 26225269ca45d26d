import assert from 'node:assert/strict';
import { assertPortFree, portIsFree } from './proc.ts';

Deno.test('a port in use is refused with a message naming the port and its holder', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    assert.equal(portIsFree(port), false);
    await assert.rejects(assertPortFree(port, 'PostgreSQL'), (err: Error) => {
      assert.match(err.message, new RegExp(`port ${port} \\(PostgreSQL\\) is already in use by deno \\(pid ${Deno.pid}\\)`));
      return true;
    });
  } finally {
    listener.close();
  }
  assert.equal(portIsFree(port), true);
  await assertPortFree(port, 'PostgreSQL');
});
