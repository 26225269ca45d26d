// `npm run bench:ingest`: events/s and latency through the full HTTP path (gateway →
// Edge Function → Postgres) for batches of 1 and 20, next to crm.ingest_call called
// directly over SQL. Runs against the running dev stack (`npm run up`) and a project
// of its own with rate limits lifted; loopback only, bounded in time. The HTTP load
// comes from wrk (C; `npm run bench:ingest` has scripts/stack.sh install it with the
// stack's packages): a load generator in JavaScript took about a quarter of the 2
// cores it was measuring.
import postgres from 'postgres';
import { createLoadProject } from './load-project.ts';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '32,64,128' } },
});
const SECONDS = Number(values.seconds);
// Senders at once (comma-separated: each path runs at each). The senders wait for their
// answers (a closed loop), so a low count measures latency more than capacity.
const CONCURRENCIES = values.concurrency.split(',').filter((c) => c.trim() !== '').map(Number);
if (!CONCURRENCIES.length || CONCURRENCIES.some((c) => !Number.isInteger(c) || c < 1)) {
  throw new Error(`--concurrency takes whole numbers ≥ 1, comma-separated (got "${values.concurrency}")`);
}
const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run via \`npm run bench:ingest\` (it reads \`npm run status\`)`);
  return v;
};
const DB_URL = env('DB_URL');
const INGEST_URL = Deno.env.get('INGEST_URL') ?? `${env('API_URL')}/functions/v1/ingest`;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const sql = postgres(DB_URL, { max: Math.max(...CONCURRENCIES), prepare: false, onnotice: () => {} });
const project = await createLoadProject(sql, `bench ${new Date().toISOString()}`);

let counter = 0;
function batch(size: number, worker: number) {
  // Each worker is one visitor with one session, like one busy browser tab.
  const now = Date.now();
  const vid = `00000000-0000-4000-8000-${String(worker).padStart(12, '0')}`;
  return {
    project: project.public_key,
    sent_at: now,
    visitor_id: vid,
    session_id: vid.replace('8000', '9000'),
    events: Array.from({ length: size }, () => ({
      id: crypto.randomUUID(), ts: now, type: 'pageview', path: `/page/${++counter % 50}`, title: 'Bench',
    })),
  };
}

interface Run {
  label: string;
  batch: number;
  senders: number;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/** crm.ingest_call over SQL, one batch a call, from `senders` postgres.js connections, one sender each. */
async function direct(size: number, senders: number): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: senders }, async (_, w) => {
    while (performance.now() < until) {
      const t = performance.now();
      const context = { origin: null, ip_hash: 'bench', user_agent: UA, device_type: 'desktop', browser: 'Chrome', os: 'Windows', country: 'NL', received_at: new Date().toISOString() };
      const items = JSON.stringify([{ batch: batch(size, w), context }]);
      const [row] = await sql`call crm.ingest_call(${items}::text::json, null)`;
      if (row!.results[0].status === 202) latencies.push(performance.now() - t);
      else errors++;
    }
  }));
  return {
    label: 'crm.ingest_call direct', batch: size, senders, requests: latencies.length, seconds: (performance.now() - start) / 1000,
    p50: pct(latencies, 50), p99: pct(latencies, 99), errors,
  };
}

/** Tracker batches of `size` page views POSTed to the ingest URL by wrk, `senders` connections. */
async function http(size: number, senders: number): Promise<Run> {
  const script = fileURLToPath(new URL('./ingest-wrk.lua', import.meta.url));
  const threads = Math.min(2, senders); // wrk needs a connection per thread
  const out = await new Deno.Command('wrk', {
    args: ['-t', String(threads), '-c', String(senders), '-d', `${SECONDS}s`, '--latency', '-s', script, INGEST_URL,
      '--', project.public_key, String(size), String(Math.ceil(senders / threads))],
    stdout: 'piped', stderr: 'piped',
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!out.success || !line) throw new Error(`wrk failed:\n${text}${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(line);
  if (r.not_202) console.log(`  ${r.not_202} answers were not 202 (first: ${r.first_bad_status})`);
  return {
    label: size === 1 ? 'HTTP (gateway → function), coalesced' : 'HTTP (gateway → function)', batch: size, senders,
    requests: r.requests - r.not_202, seconds: r.seconds, p50: r.p50_ms, p99: r.p99_ms,
    errors: r.not_202 + r.socket_errors,
  };
}

/** Events of the bench project stored so far (each accepted event is one row). */
const stored = async () => Number((await sql`select count(*)::bigint as n from crm.user_events where project_id = ${project.id}`)[0]!.n);

const runs: Run[] = [];
console.log(`bench:ingest — ${SECONDS} s per run, ${CONCURRENCIES.join(', ')} concurrent senders, ${INGEST_URL}`);
let accepted = 0;
let storedEvents = 0;
try {
  for (const size of [20, 1]) {
    for (const fn of [direct, http]) {
      for (const senders of CONCURRENCIES) {
        console.log(`• ${fn === direct ? 'crm.ingest_call direct' : 'HTTP (wrk → gateway → function)'}, batches of ${size}, ${senders} senders…`);
        const run = await fn(size, senders);
        runs.push(run);
        accepted += run.requests * size;
      }
    }
  }
  // Every 202 stands for stored events: check that none went missing.
  storedEvents = await stored();
} finally {
  // Leave the dev database as it was, also after a failed run: the project (its events
  // go with it) and its broadcasts, which would otherwise wait for the nightly purge
  // and slow the next run.
  await sql`delete from crm.projects where id = ${project.id}`;
  await sql`delete from realtime.messages where topic = ${'crm:' + project.id}`;
  await sql.end();
}

console.log('\n| path | batch | senders | events/s | requests/s | p50 ms | p99 ms | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of runs) {
  console.log(`| ${r.label} | ${r.batch} | ${r.senders} | ${Math.round((r.requests * r.batch) / r.seconds)} | ${Math.round(r.requests / r.seconds)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`);
}
console.log(`\nevents accepted (202) ${accepted}, stored ${storedEvents}${storedEvents < accepted ? ' — EVENTS WENT MISSING' : ''}`);
console.log('Goals: ≥ 10,000 events/s through HTTP in batches of 20; ≥ 3,000 single-event requests/s (coalesced).');
if (storedEvents < accepted) Deno.exit(1);
