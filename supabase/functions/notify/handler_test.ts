// notify's handler with its SQL calls and the network replaced: what it sends for each
// claim, and what it reports back.
import assert from 'node:assert/strict';
import type { Claim } from './claim.ts';
import { createHandler, type NotifyDeps } from './handler.ts';

const TOKEN = 'tok_test';
const NETS = ['10.0.0.0/8', '127.0.0.0/8', '::1/128', '169.254.0.0/16'];

function setup(claim: Claim | null, answer: (req: Request) => Response | Promise<Response>, extra: Partial<NotifyDeps> = {}) {
  const sent: Request[] = [];
  const records: unknown[][] = [];
  const background: Promise<unknown>[] = [];
  const handler = createHandler({
    token: TOKEN,
    claim: () => Promise.resolve(claim),
    record: (...args) => {
      records.push(args);
      return Promise.resolve(args[2] !== null && args[2] >= 200 && args[2] < 300 ? 'delivered' : 'pending');
    },
    resolve: () => Promise.resolve(['93.184.215.14']),
    email: { url: 'https://email.test/emails', apiKey: 're_key', from: 'Alerts <a@x.test>' },
    fetch: (input, init) => {
      const req = new Request(input, init);
      sent.push(req.clone());
      return Promise.resolve(answer(req));
    },
    timeoutMs: 200,
    waitUntil: (p) => background.push(p),
    ...extra,
  });
  /** The answer, once the work after it is done too. */
  const call = async (body: unknown, token = TOKEN) => {
    const res = await handler(new Request('http://fn/notify', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) }));
    await Promise.all(background);
    return res;
  };
  return { call, sent, records };
}

const webhook: Claim = {
  channel: 'webhook',
  url: 'https://hooks.example.com/in',
  headers: { 'Content-Type': 'application/json', 'webhook-id': 'k1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' },
  body: '{"id": "k1", "n": 1.50}',
  refused_networks: NETS,
  allow_private: false,
};

Deno.test('a wrong or missing token is 401 and claims nothing', async () => {
  const { call, records } = setup(webhook, () => new Response('ok'));
  assert.deepEqual((await call({ delivery_id: 1, attempt: 1 }, 'nope')).status, 401);
  assert.deepEqual(records.length, 0);
});

Deno.test('a body that is not {delivery_id, attempt} is 400', async () => {
  const { call } = setup(webhook, () => new Response('ok'));
  assert.deepEqual((await call({ delivery_id: '1', attempt: 1 })).status, 400);
  assert.deepEqual((await call({ delivery_id: 1 })).status, 400);
});

Deno.test('nothing to claim (finished, or another attempt): nothing is sent', async () => {
  const { call, sent, records } = setup(null, () => new Response('ok'));
  const res = await call({ delivery_id: 1, attempt: 2 });
  assert.deepEqual(res.status, 200);
  assert.deepEqual(sent.length + records.length, 0);
});

Deno.test('a webhook is sent once with the exact body and headers SQL made, and a 2xx is recorded', async () => {
  const { call, sent, records } = setup(webhook, () => new Response('thanks', { status: 202 }));
  const res = await call({ delivery_id: 7, attempt: 3 });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 7 });
  assert.deepEqual(sent.length, 1);
  assert.deepEqual(sent[0]!.url, 'https://hooks.example.com/in');
  assert.deepEqual(await sent[0]!.text(), '{"id": "k1", "n": 1.50}');
  assert.deepEqual(sent[0]!.headers.get('webhook-signature'), 'v1,x');
  assert.deepEqual(records, [[7, 3, 202, null]]);
});

Deno.test('a 500 is recorded with the status and the start of the answer', async () => {
  const { call, records } = setup(webhook, () => new Response('db down', { status: 500 }));
  await call({ delivery_id: 7, attempt: 1 });
  assert.deepEqual(records, [[7, 1, 500, 'the receiver answered 500: db down']]);
});

Deno.test('a redirect is not followed and counts as a failure', async () => {
  const { call, sent, records } = setup(webhook, () => new Response(null, { status: 302, headers: { Location: 'http://127.0.0.1/' } }));
  await call({ delivery_id: 7, attempt: 1 });
  assert.deepEqual(sent.length, 1);
  assert.deepEqual(sent[0]!.redirect, 'manual');
  assert.match(String(records[0]![3]), /answered 302 \(redirects are not followed\)/);
});

Deno.test('a receiver slower than the deadline is recorded as no answer', async () => {
  const { call, records } = setup(webhook, (req) =>
    new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(req.signal.reason))));
  await call({ delivery_id: 7, attempt: 1 });
  assert.deepEqual(records, [[7, 1, null, 'the receiver did not answer within 0.2 s']]);
});

Deno.test('hosted: a host resolving to a private address is refused before sending', async () => {
  const { call, sent, records } = setup(webhook, () => new Response('ok'), { resolve: () => Promise.resolve(['10.1.2.3']) });
  await call({ delivery_id: 7, attempt: 1 });
  assert.deepEqual(sent.length, 0);
  assert.deepEqual(records, [[7, 1, null, 'refused: hooks.example.com resolves to 10.1.2.3, a private, loopback or link-local address']]);
});

Deno.test('the local stack allows private receivers (allow_private)', async () => {
  const local = { ...webhook, url: 'http://127.0.0.1:9/in', allow_private: true };
  const { call, sent } = setup(local, () => new Response('ok'), { resolve: () => Promise.reject(new Error('not asked')) });
  await call({ delivery_id: 7, attempt: 1 });
  assert.deepEqual(sent.length, 1);
});

const email: Claim = {
  channel: 'email',
  url: null,
  headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k2' },
  body: '{"to": ["ops@example.com"], "subject": "s", "text": "t"}',
  refused_networks: NETS,
  allow_private: false,
};

Deno.test('email goes to the email API with the function secret as key and the sender added', async () => {
  const { call, sent } = setup(email, () => new Response('{"id":"e1"}'));
  await call({ delivery_id: 8, attempt: 1 });
  assert.deepEqual(sent[0]!.url, 'https://email.test/emails');
  assert.deepEqual(sent[0]!.headers.get('Authorization'), 'Bearer re_key');
  assert.deepEqual(sent[0]!.headers.get('Idempotency-Key'), 'k2');
  assert.deepEqual(await sent[0]!.json(), { from: 'Alerts <a@x.test>', to: ['ops@example.com'], subject: 's', text: 't' });
});

Deno.test('email without an API key is recorded as not configured, and nothing is sent', async () => {
  const { call, sent, records } = setup(email, () => new Response('ok'), { email: { url: 'https://email.test/emails' } });
  await call({ delivery_id: 8, attempt: 1 });
  assert.deepEqual(sent.length, 0);
  assert.deepEqual(records, [[8, 1, null, 'email is not configured: set the function secrets RESEND_API_KEY and ALERT_EMAIL_FROM']]);
});

Deno.test('notify answers before the receiver does (pg_net never waits on a receiver)', async () => {
  const records: unknown[][] = [];
  const receiver = Promise.withResolvers<Response>();
  const called = Promise.withResolvers<void>();
  const background: Promise<unknown>[] = [];
  const handler = createHandler({
    token: TOKEN,
    claim: () => Promise.resolve(webhook),
    record: (...args) => (records.push(args), Promise.resolve('delivered')),
    resolve: () => Promise.resolve(['93.184.215.14']),
    email: { url: 'https://email.test/emails' },
    fetch: () => (called.resolve(), receiver.promise),
    waitUntil: (p) => background.push(p),
  });
  const res = await handler(new Request('http://fn/notify', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{"delivery_id": 9, "attempt": 1}' }));
  assert.equal(res.status, 202);
  await called.promise;
  assert.equal(records.length, 0, 'answered while the receiver still has the request');
  receiver.resolve(new Response('ok'));
  await Promise.all(background);
  assert.deepEqual(records, [[9, 1, 200, null]]);
});

Deno.test('a receiver that cannot be reached is recorded without its URL\'s path (a Slack URL is a credential)', async () => {
  const slack = { ...webhook, channel: 'slack' as const, url: 'https://hooks.slack.com/services/T0/B0/SECRET' };
  const { call, records } = setup(slack, () => {
    throw new TypeError('error sending request for url (https://hooks.slack.com/services/T0/B0/SECRET): connection refused');
  });
  await call({ delivery_id: 3, attempt: 1 });
  assert.deepEqual(records, [[3, 1, null,
    'the receiver was not reached: error sending request for url (https://hooks.slack.com/…): connection refused']]);
});

Deno.test('a claim whose URL cannot be parsed is recorded as such at once', async () => {
  const bad = { ...webhook, url: 'https://ex%zz.com/in' };
  const { call, sent, records } = setup(bad, () => new Response('ok'));
  await call({ delivery_id: 4, attempt: 2 });
  assert.equal(sent.length, 0);
  assert.equal(records.length, 1);
  assert.match(String(records[0]![3]), /^the request could not be made: /);
});

Deno.test('a database that cannot be reached is a 503 (the outbox retries), and nothing is sent', async () => {
  const sent: Request[] = [];
  const handler = createHandler({
    token: TOKEN,
    claim: () => Promise.reject(new Error('connect ECONNREFUSED')),
    record: () => Promise.reject(new Error('not expected')),
    resolve: () => Promise.resolve([]),
    email: { url: 'https://email.test/emails' },
    fetch: (input, init) => (sent.push(new Request(input, init)), Promise.resolve(new Response('ok'))),
    waitUntil: () => {},
  });
  const res = await handler(new Request('http://fn/notify', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{"delivery_id": 5, "attempt": 1}' }));
  assert.equal(res.status, 503);
  assert.equal(sent.length, 0);
});
