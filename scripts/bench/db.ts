// `npm run bench:ingest-db` (first half of `npm run bench:db`): ingest throughput straight
// over SQL (no HTTP), in its own database `vibe_bench` on the dev stack (created fresh
// from the baseline and every migration, dropped at the end).
//
// The load comes from pgbench (C, a few % of one core) so the 2 cores go to Postgres,
// not to building JSON in a script. Every batch is made beforehand in the bench
// database (`bench_batches`, fresh event ids, 2,000 visitors/sessions, page views and
// custom events mixed 1:3 so each batch moves its session's page once) and each pgbench
// transaction takes the next ones by a sequence, so nothing is ever replayed. Phases,
// each for --seconds on --connections connections, durable commits (synchronous_commit
// as the server has it):
//   1. crm.ingest_call, one batch of 20 per call (what the Edge Function sends for a
//      lone request);
//   2. crm.ingest_call, --group batches of 20 per call (what its coalescer sends);
//   3. crm.ingest_call, single-event batches (one call per event);
//   4. crm.ingest_call, --group × 4 single-event batches per call;
//   5. crm.ingest, one batch of 20 in one transaction (a direct SQL caller: its rate-limit
//      counter stays locked until its commit, so concurrent calls of a project queue);
//   6. heartbeats (single calls) and the share of their session updates that were HOT.
// --alert-rules N gives the project N active alert rules of every kind (crm.alerts), with
// a webhook channel: the triggers' cost on ingest. Vault gets a notify URL, so firings
// queue pg_net requests as in production (no worker sends them from this database).
// Broadcasts are inserted into realtime.messages as on hosted Supabase; the local
// baseline's NOTIFY trigger is dropped in the bench database (--local-notify keeps it).
import postgres from 'postgres';
import { createLoadProject } from './load-project.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDatabase } from './bench-database.ts';
import { pgBin } from '../stack/config.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
    group: { type: 'string', default: '8' },
    keep: { type: 'boolean', default: false },
    'local-notify': { type: 'boolean', default: false },
    'alert-rules': { type: 'string', default: '0' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const GROUP = Number(values.group);
const ALERT_RULES = Number(values['alert-rules']);
if (!Number.isInteger(ALERT_RULES) || ALERT_RULES < 0) throw new Error(`--alert-rules takes a whole number (got ${values['alert-rules']})`);
const SESSIONS = 2000;
const pgbench = join(pgBin, 'pgbench');
const bench = benchDatabase('vibe_bench');

interface Phase {
  name: string;
  events: number;
  calls: number;
  seconds: number;
}

/** Makes `count` batches of `size` events of `kind` (mixed | heartbeat) in bench_batches, numbered from 1. */
async function makeBatches(sql: postgres.Sql, publicKey: string, count: number, size: number, kind: 'mixed' | 'heartbeat') {
  await sql`truncate bench_batches`;
  await sql`alter sequence bench_seq restart with 1`;
  await sql`
    insert into bench_batches (n, batch, context)
    select s, jsonb_build_object(
        'project', ${publicKey}::text, 'sent_at', floor(extract(epoch from clock_timestamp()) * 1000),
        'visitor_id', format('00000001-0000-4000-8000-%s', lpad(to_hex(s % ${SESSIONS}), 12, '0')),
        'session_id', format('00000002-0000-4000-8000-%s', lpad(to_hex(s % ${SESSIONS}), 12, '0')),
        'events', (select jsonb_agg(case
            when ${kind}::text = 'heartbeat' then jsonb_build_object('id', gen_random_uuid(), 'type', 'heartbeat',
              'ts', floor(extract(epoch from clock_timestamp()) * 1000) - ${size} + i, 'path', '/p/' || (i % 7))
            when i % 4 = 0 then jsonb_build_object('id', gen_random_uuid(), 'type', 'pageview',
              'ts', floor(extract(epoch from clock_timestamp()) * 1000) - ${size} + i, 'path', '/p/' || (i % 7),
              'title', 'Page ' || (i % 7))
            else jsonb_build_object('id', gen_random_uuid(), 'type', 'event',
              'ts', floor(extract(epoch from clock_timestamp()) * 1000) - ${size} + i, 'path', '/p/' || (i % 7),
              'name', case when i % 2 = 1 then 'click' else 'signup' end, 'props', jsonb_build_object('i', i, 'plan', 'pro'))
            end order by i)
          from generate_series(0, ${size - 1}) i where s > 0)),
      jsonb_build_object('origin', 'https://bench.example', 'ip_hash', md5((s % ${SESSIONS})::text),
        'user_agent', 'Mozilla/5.0 (bench)', 'device_type', 'desktop', 'browser', 'Chrome', 'os', 'Linux', 'country', 'NL')
    from generate_series(1, ${count}) s`;
  await sql`analyze bench_batches`;
}

/**
 * N rules cycling through a mix that meets the bench's traffic (its events are `click`
 * and `signup` with props i and plan) as real rules would: some fire (once per visitor
 * per cooldown), most only look.
 */
async function addAlertRules(sql: postgres.Sql, projectId: string, n: number) {
  const mix: [string, Record<string, unknown>][] = [
    ['event', { event: 'signup', prop: 'plan', op: 'eq', value: 'pro' }],
    ['event', { event: 'click', prop: 'i', op: 'gt', value: 1000 }],
    ['event', { event: 'payment_success' }],
    ['segment_change', { from: 'trial', to: 'premium' }],
    ['new_user', {}],
    ['stuck', { minutes: 5, path: '/checkout*' }],
    ['online_threshold', { direction: 'below', count: 1, minutes: 5 }],
    ['event', { event: 'click', prop: 'plan', op: 'contains', value: 'enterprise' }],
    ['stuck', { minutes: 10, identified_only: true }],
    ['event', { event: 'signup', prop: 'i', op: 'lt', value: 0 }],
  ];
  await sql`select vault.create_secret('http://127.0.0.1:9/functions/v1/notify', 'vibe_notify_url')`;
  await sql`select vault.create_secret('bench-token', 'vibe_notify_token')`;
  for (let i = 0; i < n; i++) {
    const [kind, condition] = mix[i % mix.length]!;
    await sql`select public.create_crm_alert(${projectId}, ${`rule ${i + 1}`}, ${kind}, ${sql.json(condition as never)},
      ${sql.json([{ type: 'webhook', url: 'https://hooks.example.com/bench' }])})`;
  }
  console.log(`• ${n} alert rules on the project`);
}

/** Runs one pgbench phase: each transaction takes the next `perCall` batches and ingests them in one call. */
async function phase(name: string, perCall: number, size: number, fn: 'ingest' | 'ingest_call'): Promise<Phase> {
  // One prepared statement per call, as an application would send it: the harness costs
  // the server no parsing, planning or extra round trip per call.
  const call = fn === 'ingest'
    ? `select crm.ingest(batch, context) ->> 'status' from bench_batches where n = (select nextval('bench_seq'));\n`
    : `call bench_call(${perCall});\n`;
  const script = await Deno.makeTempFile({ suffix: '.sql' });
  await Deno.writeTextFile(script, call);
  const out = await new Deno.Command(pgbench, {
    args: ['-n', '-M', 'prepared', '-f', script, '-c', String(CONNECTIONS), '-j', String(Math.min(CONNECTIONS, 2)), '-T', String(SECONDS), bench.url],
    stdout: 'piped',
    stderr: 'piped',
  }).output();
  await Deno.remove(script);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const calls = Number(text.match(/number of transactions actually processed: (\d+)/)?.[1]);
  const failed = Number(text.match(/number of failed transactions: (\d+)/)?.[1] ?? 0);
  if (!out.success || !calls || failed) throw new Error(`${name}: pgbench failed\n${text}`);
  const seconds = Number(text.match(/duration: (\d+) s/)?.[1] ?? SECONDS);
  return { name, events: calls * perCall * size, calls, seconds };
}

/** Checks that a phase stored what it claims: at least as many new crm.user_events rows as events sent (none for heartbeats). */
async function verify(sql: postgres.Sql, p: Phase, storedBefore: number, size: number) {
  const [row] = await sql`select count(*)::bigint as n from crm.user_events`;
  const stored = Number(row!.n) - storedBefore;
  if (size > 0 && stored < p.events) throw new Error(`${p.name}: ${p.events} events sent but ${stored} stored`);
  return Number(row!.n);
}

const report = (p: Phase) =>
  console.log(
    `${p.name.padEnd(52)} ${String(Math.round(p.events / p.seconds)).padStart(7)} events/s  ` +
      `(${p.calls} calls, ${p.events} events, ${p.seconds} s)`,
  );

const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(
  `bench:ingest-db — database ${bench.name} on ${bench.host}, pgbench with ${CONNECTIONS} connections, ${SECONDS} s per phase, ` +
    `${navigator.hardwareConcurrency} CPUs, load average ${load()}${values['local-notify'] ? ', with the local NOTIFY' : ''}` +
    (ALERT_RULES ? `, ${ALERT_RULES} alert rules` : ''),
);
const db = await bench.create();
// Hosted Realtime reads broadcasts from the WAL. The local stand-in adds a NOTIFY per
// realtime.messages row for the gateway, and a notifying transaction holds a
// database-wide lock through its commit, serialising every broadcasting commit. No
// gateway listens here, so measure as on hosted unless --local-notify.
if (!values['local-notify']) await db.unsafe('drop trigger if exists local_notify_message on realtime.messages');
await db.unsafe(`create table bench_batches (n bigint primary key, batch json not null, context json not null); create sequence bench_seq;`);
// CALL takes no subquery as an argument: this procedure picks the next batches and calls
// crm.ingest_call with them (a nested CALL may still commit).
await db.unsafe(`create procedure bench_call(p_per_call integer) language plpgsql as $$
  declare
    v_items json;
    v_results jsonb;
  begin
    select json_agg(json_build_object('batch', b.batch, 'context', b.context) order by b.n) into v_items
    from (select nextval('bench_seq') * p_per_call as last) t
    join bench_batches b on b.n > t.last - p_per_call and b.n <= t.last;
    call crm.ingest_call(v_items, v_results);
  end $$`);
await db.end();
const sql = postgres(bench.url, { max: 1, onnotice: () => {} });
try {
  const project = await createLoadProject(sql, 'bench');
  const key = project.public_key;
  if (ALERT_RULES) await addAlertRules(sql, project.id, ALERT_RULES);
  // Enough batches for each phase at up to this many per second (a phase that ran out would fail).
  const enough = (perSecond: number) => Math.ceil(perSecond * (SECONDS + 2));
  let stored = 0;
  const results: Phase[] = [];
  const run = async (name: string, perCall: number, size: number, fn: 'ingest' | 'ingest_call', kind: 'mixed' | 'heartbeat', max: number) => {
    console.log(`• ${name}: making ${enough(max)} batches…`);
    await makeBatches(sql, key, enough(max), size, kind);
    const p = await phase(name, perCall, size, fn);
    stored = await verify(sql, p, stored, kind === 'heartbeat' ? 0 : size);
    results.push(p);
    report(p);
  };

  await run('warm-up (crm.ingest_call, batches of 20)', 1, 20, 'ingest_call', 'mixed', 2000);
  results.length = 0;
  await run('crm.ingest_call, batches of 20, a call each', 1, 20, 'ingest_call', 'mixed', 2000);
  await run(`crm.ingest_call, ${GROUP} batches of 20 a call`, GROUP, 20, 'ingest_call', 'mixed', 4000);
  await run('crm.ingest_call, single events, a call each', 1, 1, 'ingest_call', 'mixed', 4000);
  await run(`crm.ingest_call, ${GROUP * 4} single events a call`, GROUP * 4, 1, 'ingest_call', 'mixed', 15000);
  await run('crm.ingest in one transaction, batches of 20', 1, 20, 'ingest', 'mixed', 2000);

  // Heartbeats; pgbench closes its connections at the end, which flushes their statistics.
  const hot = () => sql`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'crm.site_sessions'::regclass`;
  const [before] = await hot();
  await run('heartbeats (crm.ingest_call, single calls)', 1, 1, 'ingest_call', 'heartbeat', 4000);
  const beats = results[results.length - 1]!;
  let after = before!;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    [after] = await hot();
    if (Number(after!.n_tup_upd) - Number(before!.n_tup_upd) >= beats.calls) break;
  }
  const upd = Number(after!.n_tup_upd) - Number(before!.n_tup_upd);
  const hotUpd = Number(after!.n_tup_hot_upd) - Number(before!.n_tup_hot_upd);

  console.log('');
  results.forEach(report);
  console.log(`${'HOT updates of heartbeats'.padEnd(52)} ${(100 * hotUpd / Math.max(upd, 1)).toFixed(1).padStart(6)} %   (${hotUpd} of ${upd} session updates)`);
  console.log(`${'events stored'.padEnd(52)} ${stored}`);
  if (ALERT_RULES) {
    const [f] = await sql`select count(*)::integer as n from crm.alert_deliveries`;
    console.log(`${'alert deliveries made'.padEnd(52)} ${f!.n}`);
  }
  console.log(`${'load average at the end'.padEnd(52)} ${load()}`);
  console.log('Goals: batches of 20, a call each ≥ 15,000 events/s; HOT share of heartbeats ≥ 90 %.');
} finally {
  await sql.end();
  if (!values.keep) await bench.drop();
}
