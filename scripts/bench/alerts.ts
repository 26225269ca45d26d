// `npm run bench:alerts`: how long an alert takes from its cause to a webhook receiver,
// on the running dev stack, along the whole path: tracker batch → ingest function →
// Postgres trigger → outbox → pg_net (the local stand-in's worker) → notify function →
// the receiver run here.
//   event-driven (event, segment_change, new_user): --samples causes each, sent one at a
//     time; latency = received − sent. Goal p95 ≤ 5 s.
//   time-driven (stuck, online_threshold): visitors whose condition comes true at a known
//     instant (stuck: 1 minute on a page, kept active by heartbeats; online_threshold:
//     a project's first visitor, "above 0 for 0 minutes"); latency = received − that
//     instant; the minute job (pg_cron) decides. Goal p95 ≤ 90 s.
// Each project it makes is deleted at the end.
import postgres from 'postgres';
import { parseArgs } from 'node:util';
import { createLoadProject } from './load-project.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: { samples: { type: 'string', default: '40' }, 'time-samples': { type: 'string', default: '8' } },
});
const SAMPLES = Number(values.samples);
const TIME_SAMPLES = Number(values['time-samples']);
const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run via \`npm run bench:alerts\` (it reads \`npm run status\`)`);
  return v;
};
const INGEST_URL = `${env('API_URL')}/functions/v1/ingest`;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const sql = postgres(env('DB_URL'), { max: 4, prepare: false, onnotice: () => {} });

/** Arrival times by sample key (what the webhook body says the firing is about). */
const arrived = new Map<string, number>();
const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
  const at = Date.now();
  const body = JSON.parse(await req.text());
  const about = body.data?.event?.properties?.sample ?? body.user?.email ?? body.data?.session_id ?? body.project_id;
  const key = `${body.alert?.kind}:${about}`;
  if (!arrived.has(key)) arrived.set(key, at);
  return new Response('ok');
});
const HOOK = `http://127.0.0.1:${server.addr.port}/hook`;

const projects: string[] = [];
async function project(rules: [string, unknown][]) {
  const p = await createLoadProject(sql, `bench:alerts ${new Date().toISOString()}`);
  projects.push(p.id);
  for (const [kind, condition] of rules) {
    await sql`select public.create_crm_alert(${p.id}, ${kind}, ${kind}, ${sql.json(condition as never)},
      ${sql.json([{ type: 'webhook', url: HOOK }])}, 0)`;
  }
  return p;
}

async function send(key: string, visitor: string, session: string, events: Record<string, unknown>[]) {
  const res = await fetch(INGEST_URL, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': UA },
    body: JSON.stringify({ project: key, sent_at: Date.now(), visitor_id: visitor, session_id: session, events }),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}
const ev = (type: string, extra: Record<string, unknown> = {}) => ({ id: crypto.randomUUID(), type, ts: Date.now(), path: '/pay', ...extra });

async function waitFor(key: string, ms: number): Promise<number | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const at = arrived.get(key);
    if (at) return at;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const rows: string[] = [];
function report(label: string, ms: number[], missed: number, goal: number) {
  const p95 = pct(ms, 95);
  const line = `${label.padEnd(34)} n=${String(ms.length).padStart(3)}  p50 ${(pct(ms, 50) / 1000).toFixed(2)} s  ` +
    `p95 ${(p95 / 1000).toFixed(2)} s  max ${(Math.max(...ms) / 1000).toFixed(2)} s  missed ${missed}  ` +
    `(goal p95 ≤ ${goal} s: ${missed === 0 && p95 <= goal * 1000 ? 'met' : 'MISSED'})`;
  rows.push(line);
  console.log(line);
}

try {
  console.log(`bench:alerts — ${SAMPLES} samples per event-driven kind, ${TIME_SAMPLES} per time-driven kind, receiver ${HOOK}`);
  // Event-driven, one cause at a time so each sample measures an idle path.
  const p = await project([
    ['event', { event: 'payment_success', prop: 'amount', op: 'gt', value: 100 }],
    ['segment_change', { from: null, to: 'premium' }],
    ['new_user', {}],
  ]);
  for (const kind of ['event', 'new_user', 'segment_change'] as const) {
    const ms: number[] = [];
    let missed = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const visitor = crypto.randomUUID();
      const session = crypto.randomUUID();
      const sample = `${kind}-${i}-${visitor}`;
      const email = `${sample}@bench.test`;
      if (kind === 'segment_change') {
        // identified first (its new_user firing is keyed by this email), then upgraded
        await send(p.public_key, visitor, session, [ev('identify', { email: `pre-${email}`, segment: 'trial' })]);
        await new Promise((r) => setTimeout(r, 200));
      }
      const t0 = Date.now();
      if (kind === 'event') await send(p.public_key, visitor, session, [ev('event', { name: 'payment_success', props: { amount: 250, sample } })]);
      if (kind === 'new_user') await send(p.public_key, visitor, session, [ev('identify', { email })]);
      if (kind === 'segment_change') await send(p.public_key, visitor, session, [ev('identify', { email: `pre-${email}`, segment: 'premium' })]);
      const key = `${kind}:${kind === 'event' ? sample : kind === 'new_user' ? email : `pre-${email}`}`;
      const at = await waitFor(key, 30_000);
      if (at === null) missed++;
      else ms.push(at - t0);
    }
    report(`${kind} → webhook`, ms, missed, 5);
  }

  // Time-driven: visitors start together; each one's condition comes true at a known instant.
  const stuck = await project([['stuck', { minutes: 1, path: '/checkout*' }]]);
  const visitors = Array.from({ length: TIME_SAMPLES }, () => ({ visitor: crypto.randomUUID(), session: crypto.randomUUID() }));
  const online: { key: string; project: string; at: number }[] = [];
  const started = new Map<string, number>();
  for (const [i, v] of visitors.entries()) {
    // Staggered by 7 s, so their due instants fall at different points of the cron minute.
    await new Promise((r) => setTimeout(r, i ? 7000 : 0));
    await send(stuck.public_key, v.visitor, v.session, [ev('pageview', { path: '/checkout/pay' })]);
    started.set(v.session, Date.now());
    const o = await project([['online_threshold', { direction: 'above', count: 0, minutes: 0 }]]);
    await send(o.public_key, crypto.randomUUID(), crypto.randomUUID(), [ev('pageview', { path: '/' })]);
    online.push({ key: o.id, project: o.public_key, at: Date.now() });
  }
  // Heartbeats keep the stuck visitors active (the rule wants activity in the last 60 s).
  const beat = setInterval(() => {
    for (const v of visitors) send(stuck.public_key, v.visitor, v.session, [ev('heartbeat', { path: '/checkout/pay' })]).catch(() => {});
  }, 15_000);
  const stuckMs: number[] = [];
  let stuckMissed = 0;
  for (const v of visitors) {
    const at = await waitFor(`stuck:${v.session}`, 200_000);
    if (at === null) stuckMissed++;
    else stuckMs.push(at - (started.get(v.session)! + 60_000));
  }
  clearInterval(beat);
  report('stuck (1 min) → webhook', stuckMs, stuckMissed, 90);
  const onlineMs: number[] = [];
  let onlineMissed = 0;
  for (const o of online) {
    const at = await waitFor(`online_threshold:${o.key}`, 120_000);
    if (at === null) onlineMissed++;
    else onlineMs.push(at - o.at);
  }
  report('online_threshold → webhook', onlineMs, onlineMissed, 90);
  console.log('\n' + rows.join('\n'));
} finally {
  await sql`delete from crm.projects where id = any(${projects})`;
  await sql.end();
  await server.shutdown();
}
