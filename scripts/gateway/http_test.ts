import assert from 'node:assert/strict';
import { BadJson, BodyTimeout, BodyTooLarge, readBody, readJson } from './http.ts';

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://x/', { method: 'POST', body, headers });

/** A body that sends one chunk and then nothing, like a client that stalls halfway. */
function stalled(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"a":'));
    },
  });
}

Deno.test('bodies within the limit are read whole', async () => {
  assert.deepEqual(await readJson(post('{"a":1}'), 100), { a: 1 });
  assert.equal(await readJson(post(''), 100), undefined);
  assert.equal((await readBody(post('x'.repeat(100)), 100)).byteLength, 100);
});

Deno.test('oversize bodies are refused, by declared length or while streaming', async () => {
  await assert.rejects(readBody(post('x'.repeat(101)), 100), BodyTooLarge);
  const chunks = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(64));
    },
  });
  await assert.rejects(readBody(post(chunks), 1000), BodyTooLarge);
});

Deno.test('a body that stops arriving is given up on', async () => {
  await assert.rejects(readBody(post(stalled()), 1000, 50), BodyTimeout);
  // also when it declared its length (read natively, not chunk by chunk)
  await assert.rejects(readBody(post(stalled(), { 'content-length': '500' }), 1000, 50), BodyTimeout);
});

Deno.test('a declared length is read natively and the size is checked again after reading', async () => {
  assert.equal((await readBody(post('x'.repeat(100), { 'content-length': '100' }), 100)).byteLength, 100);
  await assert.rejects(readBody(post('x'.repeat(101), { 'content-length': '10' }), 100), BodyTooLarge);
});

Deno.test('malformed JSON is BadJson', async () => {
  await assert.rejects(readJson(post('{"a":'), 100), BadJson);
});
