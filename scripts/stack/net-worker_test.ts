// The local pg_net (scripts/stack/pg_net/ + scripts/stack/net-worker.ts) and Vault against
// the running stack (`npm test` starts one and gives DB_URL and API_URL): requests are sent
// once, after commit, concurrently and within their timeout, and the access to net and
// vault is what a hosted project has.
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { startCluster, stopCluster } from './cluster.ts';
import { stackConfig } from './config.ts';

const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run through \`npm test\`, which starts the test stack`);
  return v;
};
const DB_URL = env('DB_URL');
const API_URL = env('API_URL');

type Sql = postgres.Sql;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
  at: number;
}

/** An HTTP receiver on a free port; `answer` decides the response (default 201 JSON). */
function receiver(answer?: (req: Request, path: string) => Response | Promise<Response>) {
  const hits: Hit[] = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    hits.push({ method: req.method, path: u.pathname, query: u.searchParams, headers: req.headers, body: await req.text(), at: Date.now() });
    return answer ? await answer(req, u.pathname) : Response.json({ received: true }, { status: 201, headers: { 'x-receiver': 'yes' } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, hits, close: () => server.shutdown() };
}

interface ResponseRow {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

async function responseOf(sql: Sql, id: string, withinMs = 5000): Promise<ResponseRow> {
  const until = Date.now() + withinMs;
  for (;;) {
    const [row] = await sql<ResponseRow[]>`
      select status_code, content_type, headers, content, timed_out, error_msg from net._http_response where id = ${id}`;
    if (row) return row;
    if (Date.now() > until) throw new Error(`no response for request ${id} within ${withinMs} ms`);
    await sleep(25);
  }
}

async function until(what: string, ok: () => boolean, withinMs: number): Promise<void> {
  const end = Date.now() + withinMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(10);
  }
}

/**
 * A connection as `postgres` with pg_net created (as the migrations create it: `postgres`,
 * not a superuser); dropped again afterwards if this created it.
 */
async function withNet(fn: (sql: Sql) => Promise<void>): Promise<void> {
  const sql = postgres(DB_URL, { max: 2, onnotice: () => {} });
  const [{ created }] = await sql<{ created: boolean }[]>`select not exists (select from pg_extension where extname = 'pg_net') as created`;
  try {
    await sql`create extension if not exists pg_net with schema extensions`;
    await fn(sql);
  } finally {
    if (created) await sql`drop extension if exists pg_net`;
    await sql.end();
  }
}

const post = async (sql: Sql, url: string, timeoutMs = 2000) =>
  (await sql<{ id: string }[]>`select net.http_post(url := ${url}, timeout_milliseconds := ${timeoutMs}) as id`)[0]!.id;

Deno.test('a committed net.http_post reaches the receiver once, soon, with method, headers, query and body; the answer is recorded', async () => {
  const r = receiver();
  try {
    await withNet(async (sql) => {
      const queuedAt = Date.now();
      const [{ id }] = await sql<{ id: string }[]>`
        select net.http_post(
          url := ${r.url + '/hooks/alert'},
          body := ${JSON.stringify({ alert: 'Big payment', amount: 42 })}::text::jsonb,
          params := ${JSON.stringify({ project: 'p 1', kind: 'a&b=c' })}::text::jsonb,
          headers := ${JSON.stringify({ 'Content-Type': 'application/json', Authorization: 'Bearer t0k3n' })}::text::jsonb,
          timeout_milliseconds := 2000) as id`;
      await until('the request arrives', () => r.hits.length > 0, 1000);
      const hit = r.hits[0]!;
      assert.ok(hit.at - queuedAt < 1000, `sent ${hit.at - queuedAt} ms after it was committed`);
      assert.equal(hit.method, 'POST');
      assert.equal(hit.path, '/hooks/alert');
      assert.equal(hit.query.get('project'), 'p 1');
      assert.equal(hit.query.get('kind'), 'a&b=c', 'params are percent-encoded into the query');
      assert.equal(hit.headers.get('authorization'), 'Bearer t0k3n');
      assert.equal(hit.headers.get('content-type'), 'application/json');
      assert.equal(hit.headers.get('user-agent'), 'pg_net/0.19.5');
      assert.equal(hit.body, '{"alert": "Big payment", "amount": 42}', "the body is the jsonb's text, as pg_net sends it");

      const res = await responseOf(sql, id);
      assert.deepEqual(
        { ...res, headers: null },
        { status_code: 201, content_type: 'application/json', headers: null, content: '{"received":true}', timed_out: false, error_msg: null },
      );
      assert.equal(res.headers?.['x-receiver'], 'yes');
      assert.equal((await sql`select from net.http_request_queue where id = ${id}`).length, 0, 'claimed off the queue');
      await sleep(700);
      assert.equal(r.hits.length, 1, 'sent exactly once');
    });
  } finally {
    await r.close();
  }
});

Deno.test('net.http_get and net.http_delete send their method, params and body', async () => {
  const r = receiver(() => new Response(null, { status: 204 }));
  try {
    await withNet(async (sql) => {
      const [{ g, d }] = await sql<{ g: string; d: string }[]>`
        select net.http_get(${r.url + '/items?page=2'}, params := '{"q": "ä b"}') as g,
               net.http_delete(${r.url + '/items/7'}, body := '{"why": "test"}') as d`;
      const [get, del] = [await responseOf(sql, g), await responseOf(sql, d)];
      assert.equal(get.status_code, 204);
      assert.equal(get.content, null, 'an empty body is stored as null');
      assert.equal(del.status_code, 204);
      const getHit = r.hits.find((h) => h.method === 'GET')!;
      assert.equal(getHit.path, '/items');
      assert.equal(getHit.query.get('page'), '2', 'an existing query is kept');
      assert.equal(getHit.query.get('q'), 'ä b');
      const delHit = r.hits.find((h) => h.method === 'DELETE')!;
      assert.equal(delHit.body, '{"why": "test"}');
      assert.equal(r.hits.length, 2);
    });
  } finally {
    await r.close();
  }
});

Deno.test('a refused connection is recorded as pg_net records it, and never retried', async () => {
  // A port nothing listens on: taken, then released.
  const probe = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await withNet(async (sql) => {
    const id = await post(sql, `http://127.0.0.1:${port}/down`);
    const res = await responseOf(sql, id);
    assert.equal(res.status_code, null);
    assert.equal(res.error_msg, "Couldn't connect to server");
    // Something listens there now: a retry would reach it.
    let retries = 0;
    const late = Deno.serve({ hostname: '127.0.0.1', port, onListen: () => {} }, () => {
      retries++;
      return new Response('late');
    });
    try {
      await sleep(1200);
      assert.equal(retries, 0, 'not sent again');
      assert.equal((await sql`select from net._http_response where id = ${id}`).length, 1, 'one outcome per request');
      assert.equal((await sql`select from net.http_request_queue where id = ${id}`).length, 0, 'not queued again');
    } finally {
      await late.shutdown();
    }
  });
});

Deno.test('after PostgreSQL restarts, requests flow again within two seconds of its return', async () => {
  const r = receiver();
  const cfg = stackConfig('test');
  try {
    assert.equal(await stopCluster(cfg), true, 'the test cluster was running');
    // Long enough for the worker to fail many times: postgres.js's own reconnect backoff
    // grows with each failure (to 20 s) unless the worker turns it off.
    await sleep(6000);
    await startCluster(cfg);
    await withNet(async (sql) => {
      // One after another, each on whichever pool connection is free: each must flow.
      for (let i = 0; i < 8; i++) {
        const queued = Date.now();
        const id = await post(sql, `${r.url}/after-restart/${i}`);
        const res = await responseOf(sql, id, 2000);
        assert.equal(res.status_code, 201);
        assert.ok(Date.now() - queued < 2000, `request ${i} answered ${Date.now() - queued} ms after it was committed`);
      }
      assert.equal(r.hits.length, 8);
    });
  } finally {
    await startCluster(cfg); // never leave the suite without its database
    await r.close();
  }
});

Deno.test('a receiver slower than timeout_milliseconds is cut off and recorded as a timeout', async () => {
  const r = receiver(async () => {
    await sleep(2000);
    return new Response('too late');
  });
  try {
    await withNet(async (sql) => {
      const started = Date.now();
      const id = await post(sql, r.url + '/slow', 300);
      const res = await responseOf(sql, id);
      const took = Date.now() - started;
      assert.ok(took < 1500, `the timeout was recorded after ${took} ms, not when the receiver answered`);
      assert.match(res.error_msg ?? '', /^Timeout of 300 ms reached\. Total time: \d+(\.\d+)? ms/);
      // As pg_net 0.19.5: only a response sets timed_out (false); a failure leaves it null.
      assert.deepEqual({ status: res.status_code, timedOut: res.timed_out, content: res.content }, { status: null, timedOut: null, content: null });
      assert.equal(r.hits.length, 1, 'sent once, not retried after the timeout');
    });
  } finally {
    await r.close();
  }
});

Deno.test('a slow receiver does not delay a request queued after it', async () => {
  const r = receiver(async (_req, path) => {
    if (path === '/slow') await sleep(2500);
    return new Response(path);
  });
  try {
    await withNet(async (sql) => {
      const slow = await post(sql, r.url + '/slow', 5000);
      await until('the slow request is in flight', () => r.hits.some((h) => h.path === '/slow'), 1000);
      const queuedAt = Date.now();
      const fast = await post(sql, r.url + '/fast');
      const res = await responseOf(sql, fast, 1000);
      assert.equal(res.content, '/fast');
      assert.ok(Date.now() - queuedAt < 1000, 'the fast request did not wait for the slow one');
      assert.equal((await sql`select from net._http_response where id = ${slow}`).length, 0, 'the slow one is still in flight');
      assert.equal((await responseOf(sql, slow, 5000)).content, '/slow');
    });
  } finally {
    await r.close();
  }
});

Deno.test('a request queued in a transaction that rolls back is never sent', async () => {
  const r = receiver();
  try {
    await withNet(async (sql) => {
      let id = '';
      await assert.rejects(sql.begin(async (tx) => {
        [{ id }] = await tx<{ id: string }[]>`select net.http_post(url := ${r.url + '/rolled-back'}) as id`;
        throw new Error('roll back');
      }), /roll back/);
      assert.ok(id, 'the request was queued inside the transaction');
      // A request committed after it: once that one has arrived, the worker has looked.
      await responseOf(sql, await post(sql, r.url + '/after'));
      await sleep(500);
      assert.deepEqual(r.hits.map((h) => h.path), ['/after']);
      assert.equal((await sql`select from net._http_response where id = ${id}`).length, 0);
    });
  } finally {
    await r.close();
  }
});

Deno.test('responses older than pg_net.ttl (6 hours) are deleted, younger ones kept', async () => {
  await withNet(async (sql) => {
    // Ids pg_net never hands out (its sequence starts at 1).
    await sql`insert into net._http_response (id, status_code, created)
              values (-7001, 200, now() - interval '6 hours 1 minute'), (-7002, 200, now() - interval '5 hours')`;
    try {
      const end = Date.now() + 5000;
      while ((await sql`select from net._http_response where id = -7001`).length > 0) {
        if (Date.now() > end) throw new Error('the expired response was not deleted within 5 s');
        await sleep(100);
      }
      assert.equal((await sql`select from net._http_response where id = -7002`).length, 1);
    } finally {
      await sql`delete from net._http_response where id in (-7001, -7002)`;
    }
  });
});

/** SQLSTATE of `query` run as `role` in a transaction that is rolled back; null when it succeeds. */
async function asRole(sql: Sql, role: string, query: string): Promise<string | null> {
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      await tx.unsafe(query);
      throw new Error('rollback');
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code) return code;
    if ((e as Error).message === 'rollback') return null;
    throw e;
  }
  throw new Error('unreachable');
}

Deno.test('Vault: postgres and service_role read decrypted secrets; anon and authenticated cannot', async () => {
  const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
  const name = `net_worker_test_${crypto.randomUUID()}`;
  try {
    // The stack's own secrets, written as postgres at bring-up.
    const rows = await sql<{ name: string; decrypted_secret: string }[]>`
      select name, decrypted_secret from vault.decrypted_secrets where name in ('vibe_notify_url', 'vibe_notify_token')`;
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.decrypted_secret]));
    assert.equal(byName.vibe_notify_url, `${API_URL}/functions/v1/notify`);
    assert.match(byName.vibe_notify_token ?? '', /^[0-9a-f]{64}$/);

    const [{ id }] = await sql<{ id: string }[]>`select vault.create_secret('s3cr3t', ${name}, 'test') as id`;
    const [stored] = await sql<{ secret: string; decrypted_secret: string }[]>`
      select secret, decrypted_secret from vault.decrypted_secrets where id = ${id}`;
    assert.equal(stored!.decrypted_secret, 's3cr3t');
    assert.ok(!stored!.secret.includes('s3cr3t'), 'the table holds ciphertext, as on hosted');
    await sql`select vault.update_secret(${id}, 'n3w')`;
    assert.equal((await sql`select decrypted_secret from vault.decrypted_secrets where id = ${id}`)[0]!.decrypted_secret, 'n3w');

    const read = 'select decrypted_secret from vault.decrypted_secrets';
    assert.equal(await asRole(sql, 'service_role', read), null, 'service_role reads Vault (hosted grants it)');
    for (const role of ['anon', 'authenticated']) {
      assert.equal(await asRole(sql, role, read), '42501', `${role} cannot read vault.decrypted_secrets`);
      assert.equal(await asRole(sql, role, 'select secret from vault.secrets'), '42501', `${role} cannot read vault.secrets`);
      assert.equal(await asRole(sql, role, "select vault.create_secret('x')"), '42501', `${role} cannot create secrets`);
    }
    // As on hosted: postgres writes only through create_secret/update_secret.
    assert.equal(await asRole(sql, 'postgres', "insert into vault.secrets (secret) values ('plain')"), '42501');
    assert.equal(await asRole(sql, 'postgres', `update vault.secrets set description = 'x' where id = '${id}'`), '42501');
  } finally {
    await sql`delete from vault.secrets where name = ${name}`;
    await sql.end();
  }
});

Deno.test('net.http_post is callable by postgres, and, as on hosted, by every role (pg_net grants it to PUBLIC)', async () => {
  await withNet(async (sql) => {
    const call = "select net.http_post('http://127.0.0.1:9/never-sent')"; // rolled back: never sent
    for (const role of ['postgres', 'service_role', 'anon', 'authenticated']) {
      assert.equal(await asRole(sql, role, call), null, `${role} may call net.http_post`);
    }
    const [grants] = await sql<{ invoker: boolean; public_schema: boolean }[]>`
      select not p.prosecdef as invoker, has_schema_privilege('public', 'net', 'usage') as public_schema
        from pg_proc p where p.oid = 'net.http_post(text, jsonb, jsonb, jsonb, integer)'::regprocedure`;
    assert.deepEqual(grants, { invoker: true, public_schema: true }, 'security invoker, as pg_net >= 0.12 on hosted');
  });
});

Deno.test('the local stack allows webhooks to private addresses (hosted does not)', async () => {
  const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
  try {
    const [{ v }] = await sql<{ v: string }[]>`select current_setting('vibe.allow_private_webhooks', true) as v`;
    assert.equal(v, 'on');
  } finally {
    await sql.end();
  }
});
