import assert from 'node:assert/strict';
import { configureAlerts, type Fetch, RpcFailed, shownRpc } from './alerts.ts';

const BASE = 'https://abcdefghijklmnopqrst.supabase.co';
const TOKEN = 'tok_0123456789abcdef0123456789abcdef';
const SETTINGS = { notifyUrl: `${BASE}/functions/v1/notify`, notifyToken: TOKEN };

/** A fetch that records the request and gives one answer. */
function fakeFetch(answer: () => Response | Promise<Response>) {
  const seen: { url: string; init: RequestInit }[] = [];
  const fetch: Fetch = (url, init) => {
    seen.push({ url, init });
    return Promise.resolve(answer());
  };
  return { fetch, seen };
}

Deno.test('configure_crm_alerts is called as supabase-js would: the service key twice, JSON args', async () => {
  const f = fakeFetch(() => new Response(null, { status: 204 }));
  await configureAlerts(f.fetch, BASE, 'eyJservice', {
    ...SETTINGS,
    dashboardUrl: 'https://crm.example.com',
  });
  assert.equal(f.seen.length, 1);
  const { url, init } = f.seen[0]!;
  assert.equal(url, `${BASE}/rest/v1/rpc/configure_crm_alerts`);
  assert.equal(init.method, 'POST');
  assert.deepEqual(init.headers, {
    apikey: 'eyJservice',
    Authorization: 'Bearer eyJservice',
    'Content-Type': 'application/json',
  });
  assert.deepEqual(JSON.parse(init.body as string), {
    p_notify_url: `${BASE}/functions/v1/notify`,
    p_notify_token: TOKEN,
    p_dashboard_url: 'https://crm.example.com',
  });
});

Deno.test('without a dashboard URL the argument is left out (Vault keeps the old one); 200 also succeeds', async () => {
  const f = fakeFetch(() => new Response('""', { status: 200 }));
  await configureAlerts(f.fetch, BASE, 'k', SETTINGS);
  assert.deepEqual(Object.keys(JSON.parse(f.seen[0]!.init.body as string)), [
    'p_notify_url',
    'p_notify_token',
  ]);
});

Deno.test('any other answer fails with its message; so does a request that gets none', async () => {
  const cases: [() => Response | Promise<Response>, RegExp][] = [
    [
      () =>
        Response.json({
          code: '42501',
          message: 'not allowed: service_role only',
          hint: null,
          details: null,
        }, { status: 403 }),
      /^configure_crm_alerts answered 403: 42501: not allowed: service_role only$/,
    ],
    [
      () =>
        Response.json({
          code: 'PGRST202',
          message: 'Could not find the function',
          hint: 'Perhaps you meant x',
        }, { status: 404 }),
      /answered 404: PGRST202: Could not find the function \(Perhaps you meant x\)$/,
    ],
    [() => Response.json({ message: 'Invalid API key' }, { status: 401 }), /401: Invalid API key$/],
    [() => new Response('upstream down', { status: 502 }), /502: upstream down$/],
    [() => new Response('', { status: 500 }), /500: \(empty answer\)$/],
    [() => Promise.reject(new TypeError('connection refused')), /failed: connection refused$/],
  ];
  for (const [answer, msg] of cases) {
    const f = fakeFetch(answer);
    await assert.rejects(
      configureAlerts(f.fetch, BASE, 'eyJservice', SETTINGS),
      (err: Error) =>
        err instanceof RpcFailed && msg.test(err.message) &&
        !err.message.includes('eyJservice') && !err.message.includes(TOKEN),
      msg.source,
    );
  }
});

Deno.test('a request without an answer is given up after the timeout', async () => {
  const fetch: Fetch = (_url, init) =>
    new Promise((_, reject) =>
      init.signal!.addEventListener('abort', () => reject(init.signal!.reason))
    );
  await assert.rejects(
    configureAlerts(fetch, BASE, 'k', SETTINGS, 20),
    /failed: no answer in 20 ms$/,
  );
});

Deno.test('as printed: the token and the key masked', () => {
  const lines = shownRpc(BASE, { ...SETTINGS, dashboardUrl: 'https://crm.example.com' });
  assert.deepEqual(lines, [
    `POST ${BASE}/rest/v1/rpc/configure_crm_alerts (apikey and Authorization: Bearer <service key>)`,
    `  {"p_notify_url":"${BASE}/functions/v1/notify","p_notify_token":"********","p_dashboard_url":"https://crm.example.com"}`,
  ]);
});
