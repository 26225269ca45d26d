import assert from 'node:assert/strict';
import {
  decodeBinary,
  decodeText,
  encodeBroadcast,
  encodeText,
  ProtocolError,
} from './protocol.ts';

/** A kind-3 frame exactly as realtime-js's serializer builds it. */
function clientPush(
  joinRef: string,
  ref: string,
  topic: string,
  event: string,
  payload: Uint8Array,
  encoding: number,
  meta = '',
) {
  const e = new TextEncoder();
  const parts = [joinRef, ref, topic, event, meta].map((s) => e.encode(s));
  const head = [3, ...parts.map((p) => p.length), encoding];
  const out = new Uint8Array(
    head.length + parts.reduce((n, p) => n + p.length, 0) + payload.length,
  );
  out.set(head);
  let at = head.length;
  for (const p of [...parts, payload]) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test('vsn 2.0.0 text frames are arrays; vsn 1.0.0 frames are objects', () => {
  const f = decodeText('["1","2","realtime:room","phx_join",{"config":{}}]', '2.0.0');
  assert.deepEqual(f, {
    joinRef: '1',
    ref: '2',
    topic: 'realtime:room',
    event: 'phx_join',
    payload: { config: {} },
  });
  const g = decodeText(
    '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"9","join_ref":null}',
    '1.0.0',
  );
  assert.deepEqual(g, {
    joinRef: null,
    ref: '9',
    topic: 'phoenix',
    event: 'heartbeat',
    payload: {},
  });
  assert.equal(encodeText(f, '2.0.0'), '["1","2","realtime:room","phx_join",{"config":{}}]');
  assert.deepEqual(JSON.parse(encodeText(g, '1.0.0')), {
    topic: 'phoenix',
    event: 'heartbeat',
    payload: {},
    ref: '9',
    join_ref: null,
  });
});

Deno.test('malformed text frames raise ProtocolError, never anything else', () => {
  for (
    const bad of [
      '',
      'nope',
      '[1,2,3]',
      '{"topic":1}',
      '[null,null,"t","e",[1]]',
      'null',
      '["a","b","t","e","str"]',
    ]
  ) {
    assert.throws(() => decodeText(bad, '2.0.0'), ProtocolError, bad);
  }
  assert.throws(() => decodeText('["1","2","t","e",{}]', '1.0.0'), ProtocolError);
});

Deno.test('binary client broadcasts (kind 3) decode with JSON and raw payloads', () => {
  const json = clientPush(
    '4',
    '5',
    'realtime:room',
    'cursor',
    new TextEncoder().encode('{"x":1}'),
    1,
    '{"persist":true}',
  );
  const f = decodeBinary(json);
  assert.equal(f.joinRef, '4');
  assert.equal(f.ref, '5');
  assert.equal(f.topic, 'realtime:room');
  assert.equal(f.event, 'broadcast');
  assert.deepEqual(f.payload, { type: 'broadcast', event: 'cursor', payload: { x: 1 } });
  assert.deepEqual(f.message.meta, { persist: true });
  const raw = decodeBinary(
    clientPush('', '6', 'realtime:é', 'bytes', new Uint8Array([0, 255, 7]), 0),
  );
  assert.equal(raw.joinRef, null);
  assert.equal(raw.topic, 'realtime:é');
  assert.deepEqual([...raw.message.raw!], [0, 255, 7]);
});

Deno.test('truncated or unknown binary frames raise ProtocolError', () => {
  const good = clientPush('1', '2', 'realtime:t', 'e', new TextEncoder().encode('{}'), 1);
  assert.throws(() => decodeBinary(good.subarray(0, 10)), ProtocolError);
  assert.throws(() => decodeBinary(new Uint8Array([4, 0, 0, 0, 0, 0, 0])), ProtocolError);
  assert.throws(
    () => decodeBinary(new Uint8Array([3, 0, 0, 0, 0, 0, 9])),
    ProtocolError,
    'unknown encoding',
  );
  assert.throws(
    () => decodeBinary(clientPush('1', '2', 't', 'e', new TextEncoder().encode('{nope'), 1)),
    ProtocolError,
  );
});

Deno.test('broadcasts to subscribers: JSON as text frames, raw as binary kind 4 (vsn 2 only)', () => {
  const text = encodeBroadcast('realtime:room', {
    event: 'x',
    payload: { a: 1 },
    meta: { id: 'u1' },
  }, '2.0.0');
  assert.deepEqual(JSON.parse(text as string), [null, null, 'realtime:room', 'broadcast', {
    type: 'broadcast',
    event: 'x',
    payload: { a: 1 },
    meta: { id: 'u1' },
  }]);
  const bin = encodeBroadcast('realtime:t', {
    event: 'ev',
    payload: null,
    raw: new Uint8Array([1, 2]),
  }, '2.0.0') as Uint8Array;
  assert.deepEqual([...bin], [
    4,
    10,
    2,
    0,
    0,
    ...new TextEncoder().encode('realtime:t'),
    ...new TextEncoder().encode('ev'),
    1,
    2,
  ]);
  assert.equal(
    encodeBroadcast(
      'realtime:t',
      { event: 'ev', payload: null, raw: new Uint8Array([1]) },
      '1.0.0',
    ),
    null,
  );
});
