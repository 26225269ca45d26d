// `npm run bench:ingest-db` (first half of `npm run bench:db`): crm.ingest throughput straight over SQL (no HTTP), in its own
// database `vibe_bench` on the dev stack (created fresh from the baseline and every
// migration, dropped at the end), N connections, fixed time per phase:
//   1. batches of 20 stored events (5 page views + 15 custom events, so one
//      page_changed broadcast per batch), durable commits (synchronous_commit as the
//      server has it);
//   2. the same with `synchronous_commit = off` for the ingest transactions;
//   3. single-event calls (one commit per event, durable);
//   4. heartbeats (single calls) and the share of their session updates that were HOT.
// Broadcasts are inserted into realtime.messages as on hosted Supabase; the local
// baseline's NOTIFY trigger is dropped in the bench database (--local-notify keeps it).
// DB_URL (exported by scripts/bench/with-stack.sh) points at any database of the cluster.
import postgres from 'postgres';
import { benchDatabase } from './bench-database.ts';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    keep: { type: 'boolean', default: false },
    'local-notify': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const bench = benchDatabase('vibe_bench');

async function createDatabase() {
  const db = await bench.create();
  // Hosted Realtime reads broadcasts from the WAL. The local stand-in adds a NOTIFY per
  // realtime.messages row for the gateway, and a notifying transaction holds a
  // database-wide lock through its commit, serialising every broadcasting commit. No
  // gateway listens here, so measure as on hosted unless --local-notify.
  if (!values['local-notify']) await db.unsafe('drop trigger if exists local_notify_message on realtime.messages');
  await db.end();
}

const hex = (n: number, width = 12) => n.toString(16).padStart(width, '0');
const uuid = (kind: number, n: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(n)}`;
let eventSeq = 0;
const context = (n: number) => ({
  received_at: new Date().toISOString(),
  origin: 'https://bench.example',
  ip_hash: hex(n, 64),
  user_agent: 'Mozilla/5.0 (bench)',
  device_type: 'desktop',
  browser: 'Chrome',
  os: 'Linux',
  country: 'NL',
});

/** One batch for session `s` (its visitor is s too): page views and custom events. */
function batch(publicKey: string, s: number, size: number, types: (i: number) => string) {
  const now = Date.now();
  return {
    project: publicKey,
    sent_at: now,
    visitor_id: uuid(1, s),
    session_id: uuid(2, s),
    events: Array.from({ length: size }, (_, i) => {
      const type = types(i);
      const e: Record<string, unknown> = { id: uuid(3, ++eventSeq), type, ts: now - size + i, path: `/p/${i % 7}` };
      if (type === 'pageview') e.title = `Page ${i % 7}`;
      if (type === 'event') Object.assign(e, { name: i % 2 ? 'click' : 'signup', props: { i, plan: 'pro' } });
      return e;
    }),
  };
}

interface Phase {
  name: string;
  events: number;
  calls: number;
  seconds: number;
}

/** Runs `make` in CONNECTIONS loops for SECONDS; every call must answer status 202. */
async function phase(
  name: string,
  sql: postgres.Sql,
  sessions: number,
  make: (s: number) => { events: unknown[] },
  seconds = SECONDS,
): Promise<Phase> {
  let events = 0;
  let calls = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, w) => {
    let s = w;
    while (performance.now() < until) {
      const session = s % sessions;
      s += CONNECTIONS;
      const b = make(session);
      const [row] = await sql`select crm.ingest(${sql.json(b as never)}::jsonb, ${
        sql.json(context(session))
      }::jsonb) as r`;
      if (row.r.status !== 202 || row.r.rejected.length) throw new Error(`${name}: ${JSON.stringify(row.r)}`);
      events += b.events.length;
      calls++;
    }
  }));
  return { name, events, calls, seconds: (performance.now() - started) / 1000 };
}

const report = (p: Phase) =>
  console.log(
    `${p.name.padEnd(40)} ${String(Math.round(p.events / p.seconds)).padStart(7)} events/s  ` +
      `(${p.calls} calls, ${p.events} events, ${p.seconds.toFixed(1)} s)`,
  );

const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(
  `bench:db — database ${bench.name} on ${bench.host}, ${CONNECTIONS} connections, ${SECONDS} s per phase, ` +
    `${navigator.hardwareConcurrency} CPUs, load average ${load()}${values['local-notify'] ? ', with the local NOTIFY' : ''}`,
);
await createDatabase();
const sql = postgres(bench.url, { max: CONNECTIONS, onnotice: () => {} });
const asyncSql = postgres(bench.url, { max: CONNECTIONS, onnotice: () => {}, connection: { synchronous_commit: 'off' } });
try {
  const [project] = await sql`
    insert into crm.projects (name, settings)
    values ('bench', crm.default_project_settings()
      || '{"rate_limit_project_per_minute": 1000000000, "rate_limit_ip_per_minute": 1000000000}'::jsonb)
    returning public_key`;
  const key = project.public_key as string;
  const SESSIONS = 2000;
  const mix = (i: number) => (i % 4 === 0 ? 'pageview' : 'event');

  await phase('warm-up', sql, SESSIONS, (s) => batch(key, s, 20, mix), 2);
  const batches = await phase('batches of 20, durable commits', sql, SESSIONS, (s) => batch(key, s, 20, mix));
  const asyncBatches = await phase('batches of 20, synchronous_commit=off', asyncSql, SESSIONS, (s) => batch(key, s, 20, mix));
  const singles = await phase('single events, durable commits', sql, SESSIONS, (s) => batch(key, s, 1, mix));
  await sql.end();
  await asyncSql.end();

  // Heartbeats on fresh connections, then close them so their statistics are flushed.
  const stat = postgres(bench.url, { max: 1, onnotice: () => {} });
  const before = await stat`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'crm.site_sessions'::regclass`;
  const hbSql = postgres(bench.url, { max: CONNECTIONS, onnotice: () => {} });
  const beats = await phase('heartbeats (single calls)', hbSql, SESSIONS, (s) => batch(key, s, 1, () => 'heartbeat'));
  await hbSql.end();
  // Statistics arrive when the closed backends flush them: wait until they are all in.
  let after = before;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    after = await stat`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'crm.site_sessions'::regclass`;
    if (Number(after[0].n_tup_upd) - Number(before[0].n_tup_upd) >= beats.calls) break;
  }
  const upd = Number(after[0].n_tup_upd) - Number(before[0].n_tup_upd);
  const hot = Number(after[0].n_tup_hot_upd) - Number(before[0].n_tup_hot_upd);
  const [counts] = await stat`select count(*) as events from crm.user_events`;
  await stat.end();

  console.log('');
  report(batches);
  report(asyncBatches);
  report(singles);
  report(beats);
  console.log(`${'HOT updates of heartbeats'.padEnd(40)} ${(100 * hot / Math.max(upd, 1)).toFixed(1).padStart(6)} %   (${hot} of ${upd} session updates)`);
  console.log(`${'events stored'.padEnd(40)} ${counts.events}`);
  console.log(`${'load average at the end'.padEnd(40)} ${load()}`);
} finally {
  if (!values.keep) await bench.drop();
}
