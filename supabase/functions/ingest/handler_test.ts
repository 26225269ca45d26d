// The HTTP contract of the ingest handler, with the SQL call recorded in memory.
// (The end-to-end path through the gateway into Postgres has its own test.)
import assert from 'node:assert/strict';
import { createHandler, type HandlerDeps } from './handler.ts';
import type { IngestResult } from './result.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const id = (n: number) => `7d0f1a52-6c1e-4c1f-9a53-${String(n).padStart(12, '0')}`;
const batch = (events: unknown[]) => ({ project: 'pk_test0000001', sent_at: Date.now(), visitor_id: id(900), session_id: id(901), events });
const pv = (n: number) => ({ id: id(n), ts: Date.now(), type: 'pageview', path: `/p${n}` });

function setup(answer: (b: Record<string, unknown>) => IngestResult | Promise<IngestResult> = () => ({ status: 202, accepted: 1, duplicates: 0, rejected: [] })) {
  const calls: { batch: Record<string, unknown>; context: Record<string, unknown> }[] = [];
  const deps: HandlerDeps = {
    ipSecret: 'test-secret',
    ingest: async (b, context) => {
      calls.push({ batch: b, context });
      return await answer(b);
    },
    tracker: async () => ({ body: new TextEncoder().encode('/*vibe*/'), etag: '"abc"' }),
  };
  return { handler: createHandler(deps), calls };
}

const post = (body: string, headers: Record<string, string> = {}) =>
  new Request('http://localhost/ingest', {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME, origin: 'https://shop.example', 'x-forwarded-for': '203.0.113.9', ...headers },
  });

Deno.test('a text/plain batch is enriched and passed to SQL once; the answer is 202 with CORS', async () => {
  const { handler, calls } = setup();
  const res = await handler(post(JSON.stringify(batch([pv(1)])), { 'cf-ipcountry': 'NL' }));
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
  assert.equal(calls.length, 1);
  const ctx = calls[0]!.context;
  assert.equal(ctx.origin, 'https://shop.example');
  assert.equal(ctx.country, 'NL');
  assert.equal(ctx.device_type, 'desktop');
  assert.equal(ctx.browser, 'Chrome');
  assert.match(String(ctx.ip_hash), /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(ctx).includes('203.0.113.9'), 'raw ip must not reach SQL');
});

Deno.test('bad input gets clear 4xx answers, never a 500, and never reaches SQL', async () => {
  const { handler, calls } = setup();
  const cases: [Request, number, string][] = [
    [post('{not json'), 400, 'invalid_batch'],
    [post(JSON.stringify({ project: 'nope', sent_at: 1, events: [pv(1)] })), 400, 'invalid_batch'],
    [post(JSON.stringify(batch(Array.from({ length: 101 }, (_, i) => pv(i))))), 413, 'too_large'],
    [post('x'.repeat(70_000)), 413, 'too_large'],
    [post(new TextDecoder('latin1').decode(new Uint8Array([0xff, 0xfe]))), 400, 'invalid_batch'],
    [new Request('http://localhost/ingest', { method: 'PUT', body: '{}' }), 405, 'method_not_allowed'],
    [post(''), 400, 'invalid_batch'],
    [new Request('http://localhost/ingest', { method: 'POST' }), 400, 'invalid_batch'],
    // A declared length is read natively, and the size is checked again after reading.
    [post('x'.repeat(70_000), { 'content-length': '10' }), 413, 'too_large'],
    [new Request('http://localhost/ingest', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
      body: new ReadableStream({ start: (c) => c.error(new Error('connection reset')) }),
    }), 400, 'invalid_batch'],
  ];
  for (const [req, status, code] of cases) {
    const res = await handler(req);
    assert.equal(res.status, status, code);
    assert.equal((await res.json()).error, code);
  }
  assert.equal(calls.length, 0);
});

Deno.test('invalid events are rejected one by one; indexes refer to the request', async () => {
  const { handler, calls } = setup(() => ({
    status: 202, accepted: 1, duplicates: 0, rejected: [{ index: 1, id: id(3), reason: 'too_old' }],
  }));
  const events = [pv(1), { id: id(2), ts: 1, type: 'teleport' }, { ...pv(3), ts: 1 }];
  const res = await handler(post(JSON.stringify(batch(events))));
  const body = await res.json();
  assert.equal(res.status, 202);
  assert.equal((calls[0]!.batch.events as unknown[]).length, 2, 'only valid events reach SQL');
  assert.deepEqual(body.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason]), [[1, 'unknown_type'], [2, 'too_old']]);
});

Deno.test('batch-level refusals from SQL become their HTTP status', async () => {
  const { handler } = setup(() => ({ status: 403, error: 'origin_not_allowed', message: 'origin not allowed' }));
  const res = await handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('access-control-allow-origin'), null, 'a refused origin gets no CORS grant');
  const limited = await setup(() => ({ status: 429, error: 'rate_limited', message: 'slow down', retry_after: 7 }))
    .handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '7');
});

Deno.test('a database outage answers 503 with Retry-After so the tracker keeps its events', async () => {
  const { handler } = setup(() => {
    throw new Error('connection refused');
  });
  const res = await handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '5');
});

Deno.test('passing database states and socket errors answer 503 too; a busy result from SQL keeps its Retry-After', async () => {
  for (const code of ['40P01', '53300', '57P01', '57014', 'EPIPE', 'QUEUE_FULL']) {
    const { handler } = setup(() => {
      throw Object.assign(new Error(code), { code });
    });
    assert.equal((await handler(post(JSON.stringify(batch([pv(1)]))))).status, 503, code);
  }
  const busy = await setup(() => ({ status: 503, error: 'unavailable', retry_after: 2, message: 'busy' }))
    .handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(busy.status, 503);
  assert.equal(busy.headers.get('retry-after'), '2');
});

Deno.test('DNT and GPC reach SQL as context.dnt (the project decides); without them there is no dnt', async () => {
  const { handler, calls } = setup();
  await handler(post(JSON.stringify(batch([pv(1)])), { dnt: '1' }));
  await handler(post(JSON.stringify(batch([pv(2)])), { 'sec-gpc': '1' }));
  await handler(post(JSON.stringify(batch([pv(3)]))));
  assert.deepEqual(calls.map((c) => c.context.dnt), [true, true, undefined]);
});

Deno.test('a SQL error (not an outage) is a 500, not a retryable 503', async () => {
  const { handler } = setup(() => {
    throw Object.assign(new Error('division by zero'), { code: '22012' });
  });
  const res = await handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(res.status, 500);
  assert.equal((await res.json()).error, 'internal');
});

Deno.test('bots are answered but not stored', async () => {
  const { handler, calls } = setup();
  const res = await handler(post(JSON.stringify(batch([pv(1)])), { 'user-agent': 'curl/8.0' }));
  assert.equal(res.status, 202);
  assert.equal((await res.json()).ignored, 'bot');
  assert.equal(calls.length, 0);
});

Deno.test('preflight and the tracker script with ETag revalidation', async () => {
  const { handler } = setup();
  const pre = await handler(new Request('http://localhost/ingest', { method: 'OPTIONS', headers: { origin: 'https://a.example' } }));
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-headers')!, /content-type/);
  const js = await handler(new Request('http://localhost/ingest/vibe.js'));
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type')!, /javascript/);
  assert.equal(await js.text(), '/*vibe*/');
  const again = await handler(new Request('http://localhost/ingest/vibe.js', { headers: { 'if-none-match': js.headers.get('etag')! } }));
  assert.equal(again.status, 304);
});

Deno.test('text Postgres cannot store (a lone surrogate, U+0000) reaches SQL as U+FFFD, in keys too', async () => {
  const { handler, calls } = setup();
  const cut = 'Sale \ud83d'; // a title cut in the middle of an emoji
  const ev = { id: id(7), ts: Date.now(), type: 'event', name: 'x\u0000y', props: { ['k\u0000']: cut } };
  assert.equal((await handler(post(JSON.stringify(batch([ev]))))).status, 202);
  const sent = (calls[0]!.batch.events as Record<string, unknown>[])[0]!;
  assert.equal(sent.name, 'x\uFFFDy');
  assert.deepEqual(sent.props, { ['k\uFFFD']: 'Sale \uFFFD' });
});
