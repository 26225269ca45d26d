// `npm run bench:soak`: hours of steady load, shortened. Posts tracker-like batches (1–9
// events, 5 on average, fresh ids) to the ingest URL of the dev stack at a steady rate
// (default 1,000 events/s for 20 min; open loop: a slow answer does not slow the
// sending), and prints per minute the memory (RSS) of the gateway and of the function
// host, the open database connections and the gateway's open file descriptors, and the
// p99 latency. Fails unless, after a 2-minute warm-up, each memory grows ≤ 1 MB/min
// (least squares), connections stay flat, p99 ≤ 100 ms in every minute, and every sent
// event is stored.
//
//   npm run bench:soak [-- --minutes 20 --rate 1000]
import postgres from 'postgres';
import { createLoadProject } from './load-project.ts';
import { parseArgs } from 'node:util';
import { stackConfig } from '../stack/config.ts';
import { gatewayService } from '../stack/gateway.ts';
import { pidFile } from '../stack/service.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: { minutes: { type: 'string', default: '20' }, rate: { type: 'string', default: '1000' } },
});
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate); // events per second
const WARMUP_MIN = Math.min(2, Math.max(0, MINUTES - 2));
const env = Deno.env.toObject();
if (!env.INGEST_URL || !env.DB_URL) throw new Error('run through `npm run bench:soak`, which starts the dev stack');
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const cfg = stackConfig('dev');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sql = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
const project = await createLoadProject(sql, 'soak');

const rssMb = (pid: number) => {
  const kb = Number(Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN);
  return kb / 1024;
};
const gatewayPid = Number(Deno.readTextFileSync(pidFile(cfg, gatewayService(cfg, {}))).trim());
async function functionHostPid(): Promise<number> {
  const out = await new Deno.Command('pgrep', { args: ['-P', String(gatewayPid), '-f', 'function-host.ts'], stdout: 'piped' }).output();
  return Number(new TextDecoder().decode(out.stdout).split('\n').filter(Boolean)[0]);
}
const fds = (pid: number) => [...Deno.readDirSync(`/proc/${pid}/fd`)].length;

let sent = 0;
let failed = 0;
let refused = 0;
let latencies: number[] = [];
const inFlight = new Set<Promise<void>>();

/** One batch, retried on failure like the tracker (so that stored = sent is a fair check). */
async function post(events: number, visitor: string, session: string): Promise<void> {
  const now = Date.now();
  const body = JSON.stringify({
    project: project.public_key, sent_at: now, visitor_id: visitor, session_id: session,
    events: Array.from({ length: events }, (_, k) => ({ id: crypto.randomUUID(), type: k === 0 ? 'pageview' : 'event', ts: now, path: '/soak', ...(k ? { name: 'tick' } : {}) })),
  });
  sent += events;
  for (let attempt = 0; ; attempt++) {
    const t = performance.now();
    try {
      const res = await fetch(env.INGEST_URL!, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'user-agent': CHROME } });
      await res.body?.cancel();
      if (res.status === 202) {
        if (attempt === 0) latencies.push(performance.now() - t);
        return;
      }
      // Not worth a retry (a 4xx but 429, or a 500): counted, and the run fails.
      if (res.status !== 429 && res.status !== 503 && res.status !== 502 && res.status !== 504) {
        refused++;
        return;
      }
    } catch {
      // retried below
    }
    failed++;
    if (attempt >= 30) {
      refused++;
      return;
    }
    await sleep(1000);
  }
}

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const slope = (ys: number[]) => { // MB per minute, least squares over minutes 0..n-1
  const n = ys.length, mx = (n - 1) / 2, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  ys.forEach((y, x) => ((num += (x - mx) * (y - my)), (den += (x - mx) ** 2)));
  return den ? num / den : 0;
};

console.log(`bench:soak — ${RATE} events/s for ${MINUTES} min (batches of 1–9 events) → ${env.INGEST_URL}`);
console.log('| minute | events/s | p50 ms | p99 ms | gateway MB | function MB | db connections | gateway fds | retried |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const rows: { p99: number; gw: number; fn: number; conns: number; fds: number }[] = [];
const visitors = Array.from({ length: 200 }, () => [crypto.randomUUID(), crypto.randomUUID()] as const);
const batchesPerSecond = RATE / 5;
const start = performance.now();
let next = start;
let batch = 0;
for (let minute = 1; minute <= MINUTES; minute++) {
  const end = start + minute * 60_000;
  const sentBefore = sent;
  const failedBefore = failed;
  while (performance.now() < end) {
    // Open loop: each batch goes at its scheduled time, whatever the answers do.
    const events = 1 + ((batch * 7) % 9);
    const [v, s] = visitors[batch % visitors.length]!;
    const req = post(events, v, s);
    inFlight.add(req);
    req.finally(() => inFlight.delete(req));
    batch++;
    next += 1000 / batchesPerSecond;
    const wait = next - performance.now();
    if (wait > 1) await sleep(wait);
  }
  const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity where datname = current_database()`;
  const fn = await functionHostPid();
  const row = { p99: p(latencies, 0.99), gw: rssMb(gatewayPid), fn: rssMb(fn), conns: n, fds: fds(gatewayPid) };
  rows.push(row);
  console.log(`| ${minute} | ${Math.round((sent - sentBefore) / 60)} | ${p(latencies, 0.5).toFixed(1)} | ${row.p99.toFixed(1)} | ` +
    `${row.gw.toFixed(1)} | ${row.fn.toFixed(1)} | ${row.conns} | ${row.fds} | ${failed - failedBefore} |`);
  latencies = [];
}
await Promise.all(inFlight);
await sleep(500);
const [stored] = await sql`select count(*)::int as n from crm.user_events where project_id = ${project.id}`;
await sql`delete from crm.projects where id = ${project.id}`;
await sql.end();

const steady = rows.slice(WARMUP_MIN);
const gwSlope = slope(steady.map((r) => r.gw));
const fnSlope = slope(steady.map((r) => r.fn));
const connSpread = Math.max(...steady.map((r) => r.conns)) - Math.min(...steady.map((r) => r.conns));
const worstP99 = Math.max(...rows.map((r) => r.p99));
const checks: [string, boolean][] = [
  [`gateway memory slope after warm-up ${gwSlope.toFixed(2)} MB/min (goal ≤ 1)`, gwSlope <= 1],
  [`function host memory slope after warm-up ${fnSlope.toFixed(2)} MB/min (goal ≤ 1)`, fnSlope <= 1],
  [`database connections after warm-up vary by ${connSpread} (goal: flat, ≤ 2)`, connSpread <= 2],
  [`worst minute p99 ${worstP99.toFixed(1)} ms (goal ≤ 100)`, worstP99 <= 100],
  [`sent ${sent} events, stored ${stored!.n}; ${refused} batches refused or given up`, stored!.n === sent && refused === 0],
];
console.log('');
for (const [what, ok] of checks) console.log(`${ok ? 'met' : 'NOT MET'}: ${what}`);
Deno.exit(checks.every(([, ok]) => ok) ? 0 : 1);
