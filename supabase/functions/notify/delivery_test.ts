// Alert delivery end to end on the test stack: ingest fires a rule in SQL, pg_net's queue
// (the local stand-in and its worker) posts to `notify` through the gateway, and
// notify calls real HTTP receivers run here — webhook (signature checked with the
// Standard Webhooks library), Slack and the email API. Then the outbox's guarantees:
// a receiver failing twice gets exactly one successful delivery with one idempotency
// key; notify killed mid-delivery loses nothing; a slow receiver delays no other.
import assert from 'node:assert/strict';
import { Webhook } from 'npm:standardwebhooks@1.3.0';
import { connect } from '../_shared/db.ts';
import { refusedAddress } from '../_shared/address.ts';

const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run through \`npm test\`, which starts the test stack`);
  return v;
};
const INGEST = `${env('API_URL')}/functions/v1/ingest`;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

interface Hit {
  path: string;
  headers: Headers;
  body: string;
  at: number;
}

/** An HTTP receiver on `port` (0: any) that records every request and answers as `answer` says. */
function receiver(port: number, answer: (hit: Hit, n: number) => Response | Promise<Response>) {
  const hits: Hit[] = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port, onListen: () => {} }, async (req) => {
    const hit = { path: new URL(req.url).pathname, headers: req.headers, body: await req.text(), at: Date.now() };
    hits.push(hit);
    return await answer(hit, hits.filter((h) => h.path === hit.path).length);
  });
  return { hits, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function withProject(fn: (sql: ReturnType<typeof connect>, p: { id: string; key: string }) => Promise<void>) {
  const sql = connect(env('DB_URL'), 2);
  const [row] = await sql`insert into crm.projects (name) values ('alerts delivery test') returning id, public_key`;
  try {
    await fn(sql, { id: row!.id, key: row!.public_key });
  } finally {
    await sql`delete from crm.projects where id = ${row!.id}`;
    await sql.end();
  }
}

/** A custom event sent through the real ingest function; returns the visitor id. */
async function track(key: string, name: string, props: Record<string, unknown>): Promise<string> {
  const visitor = crypto.randomUUID();
  const res = await fetch(INGEST, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME },
    body: JSON.stringify({
      project: key, sent_at: Date.now(), visitor_id: visitor, session_id: crypto.randomUUID(),
      events: [{ id: crypto.randomUUID(), type: 'event', ts: Date.now(), path: '/pay', name, props }],
    }),
  });
  assert.equal(res.status, 202, await res.text());
  return visitor;
}

/** Makes the delivery's next attempt due and runs the job the minute cron would run. */
async function retryNow(sql: ReturnType<typeof connect>, id: string) {
  await sql`update crm.alert_deliveries set next_attempt_at = now() where id = ${id} and status = 'pending'`;
  await sql`select crm.job_alert_deliveries()`;
}

/** SIGKILLs this stack's notify processes (not another stack's): returns how many. */
async function killNotify(): Promise<number> {
  const out = await new Deno.Command('pgrep', { args: ['-f', 'supabase/functions/notify/index.ts'] }).output();
  let killed = 0;
  for (const pid of new TextDecoder().decode(out.stdout).split('\n').filter(Boolean).map(Number)) {
    try {
      const environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split('\0');
      if (!environ.includes(`SUPABASE_URL=${env('API_URL')}`)) continue;
      Deno.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

const status = async (sql: ReturnType<typeof connect>, id: string) =>
  (await sql`select status::text, attempts, last_error, request_id from crm.alert_deliveries where id = ${id}`)[0]!;

Deno.test('an event reaches a signed webhook, Slack and email through pg_net and notify', async () => {
  const hooks = receiver(0, () => new Response('ok'));
  const email = receiver(Number(env('EMAIL_SINK_PORT')), () => Response.json({ id: 'email_1' }));
  try {
    await withProject(async (sql, p) => {
      const channels = [{ type: 'webhook', url: `${hooks.url}/hook` }, { type: 'slack', url: `${hooks.url}/slack` },
        { type: 'email', to: ['ops@example.com'] }];
      await sql`select public.create_crm_alert(${p.id}, 'Big payment', 'event',
        '{"event": "payment_success", "prop": "amount", "op": "gt", "value": 100}', ${sql.json(channels)})`;
      const [{ secret }] = await sql`select public.get_crm_webhook_secret(${p.id}) as secret`;
      await track(p.key, 'payment_success', { amount: 99 });
      await track(p.key, 'payment_success', { amount: 250 });

      await until('webhook, Slack and email', () => hooks.hits.length >= 2 && email.hits.length >= 1);
      const hook = hooks.hits.find((h) => h.path === '/hook')!;
      const payload = new Webhook(secret).verify(hook.body, Object.fromEntries(hook.headers)) as Record<string, any>;
      assert.equal(payload.type, 'alert.fired');
      assert.equal(payload.alert.name, 'Big payment');
      assert.deepEqual(payload.data.event.properties, { amount: 250 });
      assert.equal(hook.headers.get('webhook-id'), payload.id);
      assert.throws(() => new Webhook(secret.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A'))).verify(hook.body, Object.fromEntries(hook.headers)),
        'another secret does not verify');

      // The verification snippet of docs/alerts.md, as written there.
      const doc = await Deno.readTextFile(new URL('../../../docs/alerts.md', import.meta.url));
      const file = await Deno.makeTempFile({ suffix: '.mjs' });
      await Deno.writeTextFile(file, doc.match(/```js verify-webhook\n([\s\S]*?)```/)![1]!);
      const { verifyWebhook } = await import(`file://${file}`);
      const headers = Object.fromEntries(hook.headers);
      assert.equal(verifyWebhook(secret, headers, hook.body).id, payload.id);
      assert.throws(() => verifyWebhook(secret, headers, hook.body.replace('250', '251')), /invalid signature/);
      assert.throws(() => verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 600) }, hook.body),
        /replay/);
      await Deno.remove(file);

      const slack = hooks.hits.find((h) => h.path === '/slack')!;
      assert.match(JSON.parse(slack.body).text, /^Big payment: payment_success \(amount = 250\) by an anonymous visitor/);

      const mail = email.hits[0]!;
      assert.equal(mail.headers.get('authorization'), 'Bearer re_local_test_key');
      const m = JSON.parse(mail.body);
      assert.deepEqual([m.from, m.to, m.subject], ['Vibe CRM <alerts@vibe-crm.test>', ['ops@example.com'], '[Vibe CRM] Big payment']);
      const [{ key }] = await sql`select key::text from crm.alert_deliveries where project_id = ${p.id} and channel = 'email'`;
      assert.equal(mail.headers.get('idempotency-key'), key, 'the email API dedupes on the delivery key');

      const rows = await until('three delivered', async () => {
        const r = await sql`select channel::text, status::text, request_id from crm.alert_deliveries where project_id = ${p.id}
                            and channel <> 'dashboard' order by channel`;
        return r.every((x) => x.status === 'delivered') && r.length === 3 ? r : null;
      });
      // Through pg_net's tables, not around them: each attempt was a queued request its worker answered.
      const seen = await until('pg_net responses', async () => {
        const r = await sql`select id, status_code from net._http_response where id = any(${rows.map((r) => r.request_id)})`;
        return r.length === 3 ? r : null;
      });
      assert.deepEqual(seen.map((r) => r.status_code), [202, 202, 202], 'notify accepted each');
      assert.equal(hooks.hits.length, 2, 'the event below the threshold sent nothing');
    });
  } finally {
    await hooks.close();
    await email.close();
  }
});

Deno.test('a receiver answering 500 twice, then 200, gets exactly one successful delivery with one idempotency key', async () => {
  const hooks = receiver(0, (_h, n) => new Response(n <= 2 ? 'try later' : 'ok', { status: n <= 2 ? 500 : 200 }));
  try {
    await withProject(async (sql, p) => {
      await sql`select public.create_crm_alert(${p.id}, 'Flaky', 'event', '{"event": "signup"}',
        ${sql.json([{ type: 'webhook', url: `${hooks.url}/flaky` }])})`;
      await track(p.key, 'signup', {});
      const [{ id }] = await until('the delivery', () => sql`select id from crm.alert_deliveries where project_id = ${p.id}`.then((r) => r.length ? r : null));
      for (const n of [1, 2]) {
        const s = await until(`failure ${n} recorded`, async () => {
          const s = await status(sql, id);
          return s.status === 'pending' && s.attempts === n ? s : null;
        });
        assert.equal(s.last_error, 'the receiver answered 500: try later');
        await retryNow(sql, id);
      }
      const done = await until('delivered', async () => {
        const s = await status(sql, id);
        return s.status === 'delivered' ? s : null;
      });
      assert.equal(done.attempts, 3);
      assert.equal(hooks.hits.length, 3);
      assert.equal(new Set(hooks.hits.map((h) => h.headers.get('webhook-id'))).size, 1, 'one idempotency key on every attempt');
      assert.equal(new Set(hooks.hits.map((h) => JSON.parse(h.body).id)).size, 1);
    });
  } finally {
    await hooks.close();
  }
});

Deno.test('notify killed mid-delivery loses nothing, and a slow receiver delays no other delivery', async () => {
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const hooks = receiver(0, async (h, n) => {
    if (h.path === '/slow' && n === 1) await held; // the first attempt hangs until notify is gone
    return new Response('ok');
  });
  try {
    await withProject(async (sql, p) => {
      await sql`select public.create_crm_alert(${p.id}, 'Slow', 'event', '{"event": "checkout"}',
        ${sql.json([{ type: 'webhook', url: `${hooks.url}/slow` }])})`;
      await sql`select public.create_crm_alert(${p.id}, 'Fast', 'event', '{"event": "refund"}',
        ${sql.json([{ type: 'webhook', url: `${hooks.url}/fast` }])})`;
      await track(p.key, 'checkout', {});
      await until('notify waiting on the slow receiver', () => hooks.hits.some((h) => h.path === '/slow'));

      const t0 = Date.now();
      await track(p.key, 'refund', {});
      await until('the fast delivery while the slow one hangs', () => hooks.hits.some((h) => h.path === '/fast'), 5_000);
      assert.ok(Date.now() - t0 < 5_000);

      const [{ id }] = await sql`select d.id from crm.alert_deliveries d join crm.alerts a on a.id = d.alert_id
                                 where a.project_id = ${p.id} and a.name = 'Slow'`;
      // Every notify process (each serves one request at a time here): gone mid-send.
      assert.ok((await killNotify()) >= 1, 'a notify process was running');
      release();
      assert.equal((await status(sql, id)).status, 'sending', 'nothing was recorded: the attempt is in limbo');

      // notify had answered pg_net 202 before it died, so only the lease tells: two minutes,
      // compressed here (the job runs the same statement a cron minute would).
      await sql`update crm.alert_deliveries set lease_until = now() - interval '1 second' where id = ${id}`;
      await sql`select crm.job_alert_deliveries()`;
      const back = await status(sql, id);
      assert.equal(back.status, 'pending');
      assert.equal(back.last_error, 'notify did not report within 00:02:00');
      await retryNow(sql, id);
      await until('delivered on the next attempt', async () => (await status(sql, id)).status === 'delivered');
      const slow = hooks.hits.filter((h) => h.path === '/slow');
      assert.equal(slow.length, 2);
      assert.equal(slow[0]!.headers.get('webhook-id'), slow[1]!.headers.get('webhook-id'));
    });
  } finally {
    release();
    await hooks.close();
  }
});

Deno.test('the networks SQL refuses parse here and catch loopback, private, link-local and mapped addresses', async () => {
  const sql = connect(env('DB_URL'), 1);
  try {
    const [{ nets }] = await sql`select crm.refused_networks()::text[] as nets`;
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '::1', '::ffff:127.0.0.1', 'fd00::1', 'fe80::1']) {
      assert.equal(refusedAddress([a], nets), a, `${a} is refused`);
    }
    assert.equal(refusedAddress(['93.184.215.14', '2606:2800:220:1:248:1893:25c8:1946'], nets), null, 'public addresses pass');
  } finally {
    await sql.end();
  }
});
