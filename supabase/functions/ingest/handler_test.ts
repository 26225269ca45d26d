// The HTTP contract of the ingest handler, with the SQL call and the refusal reports
// recorded in memory. (The end-to-end path through the gateway into Postgres has its own test.)
import assert from 'node:assert/strict';
import { KeysUnavailable } from './auth.ts';
import { createHandler, type HandlerDeps } from './handler.ts';
import type { IngestResult } from './result.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const id = (n: number) => `7d0f1a52-6c1e-4c1f-9a53-${String(n).padStart(12, '0')}`;
const KEY = 'pk_test0000001';
const batch = (events: unknown[]) => ({ project: KEY, sent_at: Date.now(), visitor_id: id(900), session_id: id(901), events });
const pv = (n: number) => ({ id: id(n), ts: Date.now(), type: 'pageview', path: `/p${n}` });

function setup(
  answer: (b: string) => IngestResult | Promise<IngestResult> = () => ({ status: 202, accepted: 1, duplicates: 0, rejected: [] }),
  extra: Partial<HandlerDeps> = {},
) {
  const calls: { batch: string; context: Record<string, unknown> }[] = [];
  const refused: [string, string, string][] = [];
  const deps: HandlerDeps = {
    ipSecret: 'test-secret',
    ingest: async (b, context) => {
      calls.push({ batch: b, context });
      return await answer(b);
    },
    refusals: { record: (project, error, message) => void refused.push([project, error, message]), flush: async () => {} },
    tracker: async () => ({ body: new TextEncoder().encode('/*vibe*/'), etag: '"abc"' }),
    ...extra,
  };
  return { handler: createHandler(deps), calls, refused };
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://localhost/ingest', {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': CHROME, origin: 'https://shop.example', 'cf-connecting-ip': '203.0.113.9', ...headers },
  });

Deno.test('a batch goes to SQL once, as the very text the client sent, with the enrichment; the answer is 202 with CORS', async () => {
  const { handler, calls } = setup();
  // Spaces and key order as a hand-written client might send them: passed on untouched.
  const text = `{"project": "${KEY}",  "sent_at": ${Date.now()}, "events": [ ${JSON.stringify(pv(1))} ]}`;
  const res = await handler(post(text, { 'cf-ipcountry': 'NL' }));
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.batch, text);
  const ctx = calls[0]!.context;
  assert.equal(ctx.origin, 'https://shop.example');
  assert.equal(ctx.country, 'NL');
  assert.equal(ctx.device_type, 'desktop');
  assert.equal(ctx.browser, 'Chrome');
  assert.match(String(ctx.ip_hash), /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(ctx).includes('203.0.113.9'), 'raw ip must not reach SQL');
});

Deno.test('without a country header, the country of the client ip reaches SQL, and the ip itself does not', async () => {
  const { handler, calls } = setup();
  // 81.0.64.0-81.0.127.255 is HU in the embedded DB-IP table (geo/country-of-ip_test.ts).
  const res = await handler(post(JSON.stringify(batch([pv(1)])), { 'cf-connecting-ip': '81.0.64.7' }));
  assert.equal(res.status, 202);
  const ctx = calls[0]!.context;
  assert.equal(ctx.country, 'HU');
  assert.match(String(ctx.ip_hash), /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(ctx).includes('81.0.64.7'), 'raw ip must not reach SQL');
  // The default test address is a documentation one (203.0.113.9): no country.
  await handler(post(JSON.stringify(batch([pv(2)]))));
  assert.equal(calls[1]!.context.country, null);
});

Deno.test('events are not judged here: SQL owns the rules, and its answer (reasons and messages) is passed on', async () => {
  const rejected = [{ index: 1, id: id(2), reason: 'unknown_type', message: 'teleport is not an event type' }];
  const { handler, calls } = setup(() => ({ status: 202, accepted: 1, duplicates: 0, rejected, visitor_id: id(900) }));
  const events = [pv(1), { id: id(2), ts: 1, type: 'teleport' }, { ...pv(3), props: { big: 'x'.repeat(5000) } }];
  const res = await handler(post(JSON.stringify(batch(events))));
  assert.equal(res.status, 202);
  assert.equal((JSON.parse(calls[0]!.batch).events as unknown[]).length, 3, 'every event reaches SQL');
  assert.deepEqual(await res.json(), { status: 202, accepted: 1, duplicates: 0, rejected, visitor_id: id(900) });
});

Deno.test('transport faults get clear 4xx answers, never a 500, and never reach SQL', async () => {
  const { handler, calls } = setup();
  const cases: [Request, number, string][] = [
    [post('{not json'), 400, 'invalid_batch'],
    [post('x'.repeat(70_000)), 413, 'too_large'],
    [post(new Uint8Array([0xff, 0xfe])), 400, 'invalid_batch'],
    [new Request('http://localhost/ingest', { method: 'PUT', body: '{}' }), 405, 'method_not_allowed'],
    [post(''), 400, 'invalid_batch'],
    [post(null), 400, 'invalid_batch'],
    // A declared length is read natively, and the size is checked again after reading.
    [post('x'.repeat(70_000), { 'content-length': '10' }), 413, 'too_large'],
    [new Request('http://localhost/ingest', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
      body: new ReadableStream({ start: (c) => c.error(new Error('connection reset')) }),
    }), 400, 'invalid_batch'],
    [post(JSON.stringify(batch([pv(1)])), { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
    [new Request('http://localhost/ingest', { method: 'POST', body: new Blob([JSON.stringify(batch([pv(1)]))]) }), 415, 'unsupported_media_type'],
  ];
  for (const [req, status, code] of cases) {
    const res = await handler(req);
    assert.equal(res.status, status, code);
    assert.equal((await res.json()).error, code);
  }
  assert.equal(calls.length, 0);
});

Deno.test('application/json is accepted as well as text/plain', async () => {
  const { handler, calls } = setup();
  const res = await handler(post(JSON.stringify(batch([pv(1)])), { 'content-type': 'application/json' }));
  assert.equal(res.status, 202);
  assert.equal(calls.length, 1);
});

Deno.test('the function\'s own refusals are reported for the project whose key the body names', async () => {
  const { handler, refused } = setup();
  await handler(post(`{"project":"${KEY}","sent_at":1,"events":[`));
  await handler(post(JSON.stringify(batch([pv(1)])), { 'content-type': 'multipart/form-data' }));
  await handler(post(JSON.stringify({ ...batch([pv(1)]), pad: 'x'.repeat(70_000) }), { 'content-length': '71000' }));
  await handler(post(JSON.stringify(batch([pv(1)])), { 'user-agent': 'curl/8.0' }));
  await handler(post('{"no": "key"'));
  assert.deepEqual(refused.map(([p, e]) => [p, e]), [
    [KEY, 'invalid_batch'], [KEY, 'unsupported_media_type'], [KEY, 'too_large'], [KEY, 'bot'],
  ]);
  assert.equal(refused[0]![2], 'body is not JSON');
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
  const invalid = await setup(() => ({ status: 400, error: 'invalid_batch', message: 'sent_at must be the send time in ms since the epoch' }))
    .handler(post(JSON.stringify({ project: KEY, events: [pv(1)] })));
  assert.equal(invalid.status, 400);
  assert.deepEqual(await invalid.json(), { error: 'invalid_batch', message: 'sent_at must be the send time in ms since the epoch' });
});

Deno.test('an internal error answered by SQL keeps the database\'s text to the log', async () => {
  const { handler } = setup(() => ({ status: 500, error: 'internal', message: 'unexpected error', sqlstate: 'XX000', detail: 'secret table name' }));
  const res = await handler(post(JSON.stringify(batch([pv(1)]))));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes('secret table name') && !text.includes('XX000'), text);
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
  const sent = (JSON.parse(calls[0]!.batch).events as Record<string, unknown>[])[0]!;
  assert.equal(sent.name, 'x\uFFFDy');
  assert.deepEqual(sent.props, { ['k\uFFFD']: 'Sale \uFFFD' });
});

Deno.test('identify tokens: SQL gets the batch without them and the verdicts in the context; a batch without one goes as sent', async () => {
  const seen: unknown[] = [];
  const { handler: handle, calls } = setup(undefined, {
    // Stands in for auth.ts (auth_test.ts verifies real tokens): strips the token, gives a verdict.
    verifyTokens: async (raw) => {
      seen.push(structuredClone(raw));
      const ev = (raw as { events: Record<string, unknown>[] }).events.find((e) => 'token' in e);
      if (!ev) return null;
      delete ev.token;
      return { batch: raw, auth: { [ev.id as string]: { sub: 'u1', email: null, trust: 'own' } } };
    },
  });
  const withToken = batch([pv(1), { id: id(2), ts: Date.now(), type: 'identify', path: '/', token: 'eyJ.secret.sig' }]);
  assert.equal((await handle(post(JSON.stringify(withToken)))).status, 202);
  assert.ok(!calls[0]!.batch.includes('eyJ.secret.sig'), 'the token never reaches SQL');
  assert.equal((JSON.parse(calls[0]!.batch).events as unknown[]).length, 2);
  assert.deepEqual(calls[0]!.context.auth, { [id(2)]: { sub: 'u1', email: null, trust: 'own' } });
  assert.equal(((seen[0] as { events: { token?: string }[] }).events[1]!).token, 'eyJ.secret.sig');

  const text = `{"project": "${KEY}", "events": [${JSON.stringify(pv(3))}]}`;
  assert.equal((await handle(post(text))).status, 202);
  assert.equal(calls[1]!.batch, text, 'untouched, spacing and all');
  assert.equal('auth' in calls[1]!.context, false);
});

Deno.test('signing keys unavailable: 503 with Retry-After and nothing to SQL, so the tracker sends the batch again; a failed trust lookup is the database\'s 503', async () => {
  const keysDown = setup(undefined, { verifyTokens: () => Promise.reject(new KeysUnavailable('jwks.example answered 503')) });
  const dbDown = setup(undefined, {
    verifyTokens: () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })),
  });
  const body = JSON.stringify(batch([{ id: id(2), ts: Date.now(), type: 'identify', path: '/', token: 'eyJ.a.b' }]));
  const keys = await keysDown.handler(post(body));
  assert.equal(keys.status, 503);
  assert.equal(keys.headers.get('retry-after'), '5');
  assert.deepEqual(await keys.json(), {
    error: 'unavailable',
    message: 'the signing keys of the trusted Supabase project could not be fetched; retry later',
  });
  const db = await dbDown.handler(post(body));
  assert.equal(db.status, 503);
  assert.match((await db.json()).message, /database is unavailable/);
  assert.deepEqual([...keysDown.calls, ...dbDown.calls], []);
});
