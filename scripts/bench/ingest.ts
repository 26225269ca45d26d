// `npm run bench:ingest`: events/s and latency through the full HTTP path (gateway →
// Edge Function → Postgres) for batches of 1 and 20, next to crm.ingest called
// directly over SQL. Runs against the running dev stack (`npm run up`) and a project
// of its own with rate limits lifted; loopback only, bounded in time.
import postgres from 'postgres';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '32' } },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const env = (k: string) => {
  const v = Deno.env.get(k);
  if (!v) throw new Error(`${k} is not set: run via \`npm run bench:ingest\` (it reads \`npm run status\`)`);
  return v;
};
const DB_URL = env('DB_URL');
const INGEST_URL = Deno.env.get('INGEST_URL') ?? `${env('API_URL')}/functions/v1/ingest`;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const sql = postgres(DB_URL, { max: CONCURRENCY, prepare: false, onnotice: () => {} });
const [project] = await sql`
  insert into crm.projects (name, settings)
  values ('bench ' || now()::text, crm.default_project_settings()
    || '{"rate_limit_project_per_minute": 100000000, "rate_limit_ip_per_minute": 100000000}'::jsonb)
  returning id, public_key`;

let counter = 0;
function batch(size: number, worker: number) {
  // Each worker is one visitor with one session, like one busy browser tab.
  const now = Date.now();
  const vid = `00000000-0000-4000-8000-${String(worker).padStart(12, '0')}`;
  return {
    project: project!.public_key,
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
  events: number;
  seconds: number;
  latencies: number[];
  errors: number;
}

async function measure(label: string, size: number, send: (worker: number) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    while (performance.now() < until) {
      const t = performance.now();
      if (await send(w)) latencies.push(performance.now() - t);
      else errors++;
    }
  }));
  return { label, batch: size, events: latencies.length * size, seconds: (performance.now() - start) / 1000, latencies, errors };
}

const context = { received_at: new Date().toISOString(), origin: null, ip_hash: 'bench', user_agent: UA, device_type: 'desktop', browser: 'Chrome', os: 'Windows', country: 'NL' };
const direct = (size: number) => async (w: number) => {
  const [row] = await sql`select crm.ingest(${sql.json(batch(size, w))}, ${sql.json({ ...context, received_at: new Date().toISOString() })}) as r`;
  return row!.r.status === 202;
};
const http = (size: number) => async (w: number) => {
  try {
    const res = await fetch(INGEST_URL, {
      method: 'POST', body: JSON.stringify(batch(size, w)),
      headers: { 'content-type': 'text/plain', 'user-agent': UA, 'x-forwarded-for': `10.9.${w >> 8}.${w & 255}` },
    });
    await res.body?.cancel();
    return res.status === 202;
  } catch {
    return false;
  }
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

const runs: Run[] = [];
console.log(`bench:ingest — ${SECONDS} s per run, ${CONCURRENCY} concurrent senders, ${INGEST_URL}`);
for (const [label, size, fn] of [
  ['crm.ingest direct', 20, direct(20)], ['HTTP (gateway → function)', 20, http(20)],
  ['crm.ingest direct', 1, direct(1)], ['HTTP (gateway → function)', 1, http(1)],
] as const) {
  console.log(`• ${label}, batches of ${size}…`);
  runs.push(await measure(label, size, fn));
}
await sql`delete from crm.projects where id = ${project!.id}`;
await sql.end();

console.log('\n| path | batch | events/s | requests/s | p50 ms | p99 ms | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of runs) {
  console.log(`| ${r.label} | ${r.batch} | ${Math.round(r.events / r.seconds)} | ${Math.round(r.latencies.length / r.seconds)} | ${pct(r.latencies, 50).toFixed(1)} | ${pct(r.latencies, 99).toFixed(1)} | ${r.errors} |`);
}
console.log('\nGoals: ≥ 10,000 events/s through HTTP in batches of 20; ≥ 3,000 single-event requests/s (coalesced).');
