// `npm run bench:analytics`: warm p50/p95 of the dashboard's read RPCs at two sizes,
// in a database of its own on the running dev stack (`vibe_bench_analytics`, created
// from the baseline and the migrations, dropped at the end unless --keep):
//   small: 100k events / 10k users / 20k sessions      (one project)
//   large: 10M events / 1M users / 2M sessions          (another project)
// Data is generated in SQL (set-based, deterministic), spread over 90 days, with the
// default funnel's events, ~300 users online; then daily stats, the funnel and metrics
// rollups are computed as the jobs would. Progress is printed while loading. Each
// user's second session falls between their first and now, so recent days are busier
// than average (today has ~3× the sessions of an average day): a harder case for the
// live "today" figures.
//   --small-only   skip the 10M load      --runs N   timed calls per RPC (default 40)
//   --keep         keep the database      --measure-only  measure a kept database again
// DB_URL (set by scripts/stack/with-stack.sh from `npm run status`) points at any
// database of the target cluster.
import postgres from 'postgres';
import { benchDatabase } from './bench-database.ts';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: Deno.args,
  options: {
    'small-only': { type: 'boolean', default: false },
    runs: { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
    'measure-only': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const bench = benchDatabase('vibe_bench_analytics');
const DAYS = 90;

interface Scale {
  label: string;
  project: string;
  users: number;
}
const SMALL: Scale = { label: '100k events', project: '00000000-0000-4000-8000-00000000b001', users: 10_000 };
const LARGE: Scale = { label: '10M events', project: '00000000-0000-4000-8000-00000000b002', users: 1_000_000 };

const log = (msg: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);

async function createDatabase() {
  const db = await bench.create();
  // monthly partitions back to the start of the generated history
  await db.unsafe(`
    do $$
    declare m date;
    begin
      for m in select generate_series(date_trunc('month', now() - interval '${DAYS + 1} days'), date_trunc('month', now()), interval '1 month')::date loop
        if to_regclass('crm.user_events_' || to_char(m, 'YYYY_MM')) is null then
          execute format('create table crm.%I partition of crm.user_events for values from (%L) to (%L)',
            'user_events_' || to_char(m, 'YYYY_MM'), m, (m + interval '1 month')::date);
        end if;
      end loop;
    end $$`);
  await db.end();
}

// A deterministic number in [0, 1) from a bigint expression (multiplicative hash).
const h = (expr: string, salt: number) => `((((${expr})::bigint * 2654435761 + ${salt * 40503}) % 4294967296) / 4294967296.0)`;

/**
 * Users u = 1..U, each with two sessions (2u-1, 2u) of five events: session 1 = 3 page
 * views, signup (every 4th user) or a page view, a page view; session 2 = 3 page views,
 * activated (every 8th) or a page view, payment_success (every 24th) or a page view.
 * Session 1 starts on a day in the last 90, session 2 between it and now; users 1..300
 * are online right now.
 */
async function load(db: postgres.Sql, s: Scale) {
  const p = `'${s.project}'::uuid`;
  const t0 = performance.now();
  await db.unsafe(`insert into crm.projects (id, name, created_at) values (${p}, 'Bench ${s.label}', now() - interval '${DAYS + 1} days')`);
  await db.unsafe(`
    create unlogged table if not exists public.bench_plan (u bigint primary key, s1 timestamptz, s2 timestamptz, online boolean);
    truncate public.bench_plan;
    insert into public.bench_plan
    select u, s1, case when u <= 300 then now() - make_interval(secs => u) else s1 + (now() - interval '1 hour' - s1) * ${h('u', 3)} end, u <= 300
    from (select u, now() - make_interval(secs => (${DAYS} * 86400 - 7200) * ${h('u', 1)} + 3600) as s1
          from generate_series(1, ${s.users}) u) x;`);
  log(`  ${s.label}: planned ${s.users} users`);
  const uid = (u: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${u}), 12, '0'))::uuid`;
  const sid = (u: string, n: number) => `('0000000${n}-0000-4000-8000-' || lpad(to_hex(${u}), 12, '0'))::uuid`;
  await db.unsafe(`
    insert into crm.site_users (project_id, id, email, name, segment, verified, email_verified, first_seen_at, last_seen_at,
                                sessions_count, pageviews_count, events_count, created_at)
    select ${p}, ${uid('u')},
           case when u % 4 = 0 then 'user' || u || '@bench.example' end,
           case when u % 4 = 0 then 'Bench User ' || u end,
           (case when u % 24 = 0 then 'premium' when u % 8 = 0 then 'trial' when u % 4 = 0 then 'user' else 'visitor' end)::crm.segment,
           u % 4 = 0, u % 4 = 0, s1, s2 + interval '150 seconds', 2, 10 - (u % 4 = 0)::int - (u % 8 = 0)::int - (u % 24 = 0)::int,
           (u % 4 = 0)::int + (u % 8 = 0)::int + (u % 24 = 0)::int, s1
    from public.bench_plan`);
  await db.unsafe(`insert into crm.anonymous_ids (project_id, anonymous_id, user_id, created_at)
                   select ${p}, ${uid('u')}, ${uid('u')}, s1 from public.bench_plan`);
  log(`  ${s.label}: ${s.users} users inserted (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  await db.unsafe(`
    insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, ended_at, is_online,
                                   current_page, current_page_since, entry_page, page_views, device_type, browser, os, country,
                                   referrer, utm)
    select ${p}, case n when 1 then ${sid('u', 1)} else ${sid('u', 2)} end, ${uid('u')}, st,
           st + interval '150 seconds', case when online and n = 2 then null else st + interval '150 seconds' end,
           online and n = 2, '/page/' || (u % 50), st + interval '120 seconds', '/', 5 - (n = 1 and u % 4 = 0)::int,
           case when ${h('u', 5)} < 0.55 then 'mobile' when ${h('u', 5)} < 0.93 then 'desktop' else 'tablet' end,
           case when ${h('u', 6)} < 0.6 then 'Chrome' else 'Safari' end, 'Linux',
           (array['NL', 'NL', 'NL', 'BE', 'DE', 'GB', 'US', 'FR', 'ES', 'SE'])[1 + floor(${h('u * 3 + n', 7)} * 10)::int],
           (array[null, null, 'https://www.google.com/', 'https://www.bing.com/', 'https://t.co/x', 'https://chatgpt.com/',
                  'https://blog.example.org/post', 'https://www.linkedin.com/', null, 'https://duckduckgo.com/'])[1 + floor(${h('u * 5 + n', 8)} * 10)::int],
           case when ${h('u * 7 + n', 9)} < 0.1 then '{"source": "google", "medium": "cpc", "campaign": "winter"}'::jsonb
                when ${h('u * 7 + n', 9)} < 0.15 then '{"source": "newsletter", "medium": "email", "campaign": "dec"}'::jsonb end
    from public.bench_plan, lateral (values (1, s1), (2, s2)) v(n, st)`);
  log(`  ${s.label}: ${s.users * 2} sessions inserted (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const chunk = Math.max(10_000, Math.ceil(s.users / 20));
  for (let lo = 1; lo <= s.users; lo += chunk) {
    const hi = Math.min(s.users, lo + chunk - 1);
    await db.unsafe(`
      insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page)
      select ${p}, st + make_interval(secs => 30 * (k - 1)),
             ('0000000' || n || '-0000-4000-800' || k || '-' || lpad(to_hex(u), 12, '0'))::uuid,
             st + make_interval(secs => 30 * (k - 1)),
             case n when 1 then ${sid('u', 1)} else ${sid('u', 2)} end, ${uid('u')},
             case when e.name is null then 'pageview' else 'event' end, e.name,
             case when e.name is null then '/page/' || ((u + k) % 50) else '/app' end
      from public.bench_plan, lateral (values (1, s1), (2, s2)) v(n, st), generate_series(1, 5) k,
           lateral (select case
             when n = 1 and k = 4 and u % 4 = 0 then 'signup'
             when n = 2 and k = 4 and u % 8 = 0 then 'activated'
             when n = 2 and k = 5 and u % 24 = 0 then 'payment_success' end as name) e
      where u between ${lo} and ${hi}`);
    log(`  ${s.label}: events of users ${lo}–${hi} inserted, ${(hi * 10).toLocaleString('en')} events so far (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  // In production rows arrive in time order, so a day's sessions and events sit
  // together on disk; the generator writes them user by user, so put them in time
  // order once (CLUSTER), as the tables would be.
  await db.unsafe(`cluster crm.site_sessions using site_sessions_started_idx`);
  await db.unsafe(`cluster crm.site_users using site_users_first_seen_idx`);
  await db.unsafe(`
    do $$
    declare r record;
    begin
      for r in select c.oid::regclass as rel, (select x.relname from pg_index i join pg_class x on x.oid = i.indexrelid where i.indrelid = c.oid and i.indisprimary) as pk
               from pg_inherits h join pg_class c on c.oid = h.inhrelid where h.inhparent = 'crm.user_events'::regclass loop
        execute format('cluster %s using %I', r.rel, r.pk);
      end loop;
    end $$`);
  await db.unsafe(`vacuum analyze crm.site_users`);
  await db.unsafe(`vacuum analyze crm.site_sessions`);
  await db.unsafe(`vacuum analyze crm.anonymous_ids`);
  await db.unsafe(`vacuum analyze crm.user_events`);
  log(`  ${s.label}: clustered in time order, vacuum analyze done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  let t = performance.now();
  await db.unsafe(`select crm.store_daily_stats(${p}, d::date)
                   from generate_series(crm.utc_today() - ${DAYS + 1}, crm.utc_today() - 1, interval '1 day') d`);
  const daily = performance.now() - t;
  t = performance.now();
  await db.unsafe(`select crm.store_daily_stats(${p}, crm.utc_today()), crm.refresh_funnel_rollup(${p}), crm.refresh_metrics_rollup(${p})`);
  const refresh = performance.now() - t;
  log(`  ${s.label}: ${DAYS + 1} days of daily stats in ${(daily / 1000).toFixed(1)} s; one 5-minute refresh (today + funnel 7/30/90 d + metrics) in ${(refresh / 1000).toFixed(1)} s`);
  t = performance.now();
  await db.unsafe(`select crm.refresh_user_days(${p}, crm.utc_today() - ${DAYS + 1}, crm.utc_today() - 2)`);
  await db.unsafe(`select crm.apply_activity_queue()`);
  const userDays = performance.now() - t;
  t = performance.now();
  // the job's part for these days: today and yesterday, then the retention rollups
  await db.unsafe(`select crm.refresh_user_days(${p}, crm.utc_today() - 1, crm.utc_today())`);
  await db.unsafe(`select crm.apply_activity_queue()`);
  const userDaysJob = performance.now() - t;
  // refresh_user_days wrote every user's first and last touch: as autovacuum would, clean up
  await db.unsafe(`vacuum analyze crm.user_days, crm.page_days, crm.user_activity, crm.activity_edges`);
  await db.unsafe(`vacuum analyze crm.site_users`);
  t = performance.now();
  await db.unsafe(`select crm.refresh_acquisition_rollup(${p}, true)`);
  const presets = performance.now() - t;
  log(`  ${s.label}: user_days and page_days built for ${DAYS + 1} days in ${(userDays / 1000).toFixed(1)} s; the 5-minute job's share: ` +
    `today + yesterday ${(userDaysJob / 1000).toFixed(1)} s, the preset breakdowns and pages ${(presets / 1000).toFixed(1)} s`);
  return { loadSeconds: (performance.now() - t0) / 1000, refreshSeconds: refresh / 1000 };
}

type Calls = Record<string, (i: number) => string>;
function calls(s: Scale, hasOnline: boolean): Calls {
  const p = `'${s.project}'`;
  const user = (i: number) => `'00000000-0000-4000-8000-${(1 + ((i * 7919) % s.users)).toString(16).padStart(12, '0')}'`;
  const c: Calls = {
    get_crm_metrics: () => `select * from public.get_crm_metrics(${p})`,
    get_daily_active_users: () => `select * from public.get_daily_active_users(${p}, 30)`,
    calculate_funnel_conversion: () => `select * from public.calculate_funnel_conversion(${p}, 30)`,
    get_site_user_detail: (i) => `select public.get_site_user_detail(${p}, ${user(i)})`,
    'list_site_users (first page)': () => `select * from public.list_site_users(${p})`,
    // one user's email (users with an email are every 4th), and a word in every 4th user's email
    'list_site_users (search, 1 match)': (i) =>
      `select * from public.list_site_users(${p}, p_search => 'user${4 * (1 + ((i * 7919) % Math.floor(s.users / 4 - 1)))}@')`,
    'list_site_users (search, ¼ of users match)': () => `select * from public.list_site_users(${p}, p_search => 'bench')`,
    ...acquisitionCalls(p),
  };
  if (hasOnline) return { get_online_users: () => `select * from public.get_online_users(p_project_id => ${p})`, ...c };
  return c;
}

/** The acquisition reports and the pages report: preset ranges without a filter, a custom range, and filters. */
function acquisitionCalls(p: string): Calls {
  const range = (days: number) => `crm.utc_today() - ${days - 1}, crm.utc_today()`;
  return {
    'get_traffic_sources (today)': () => `select * from public.get_traffic_sources(${p}, ${range(1)})`,
    'get_traffic_sources (7 d)': () => `select * from public.get_traffic_sources(${p}, ${range(7)})`,
    'get_traffic_sources (30 d)': () => `select * from public.get_traffic_sources(${p}, ${range(30)})`,
    'get_traffic_sources (90 d)': () => `select * from public.get_traffic_sources(${p}, ${range(90)})`,
    'get_traffic_sources (30 d, by source)': () => `select * from public.get_traffic_sources(${p}, ${range(30)}, p_dimension => 'source')`,
    'get_traffic_sources (custom 45 d, filter country)': () =>
      `select * from public.get_traffic_sources(${p}, crm.utc_today() - 60, crm.utc_today() - 16, '{"country": "BE"}')`,
    'get_traffic_sources (30 d, filter segment)': () => `select * from public.get_traffic_sources(${p}, ${range(30)}, '{"segment": "premium"}')`,
    'get_geo_breakdown (30 d)': () => `select * from public.get_geo_breakdown(${p}, ${range(30)})`,
    'get_geo_breakdown (90 d, filter channel)': () => `select * from public.get_geo_breakdown(${p}, ${range(90)}, '{"channel": "social"}')`,
    'get_tech_breakdown (30 d)': () => `select * from public.get_tech_breakdown(${p}, ${range(30)})`,
    'get_tech_breakdown (30 d, browser, filter device)': () =>
      `select * from public.get_tech_breakdown(${p}, ${range(30)}, '{"device": "mobile"}', 'browser')`,
    'get_traffic_sources (custom 13 d, ending yesterday)': () =>
      `select * from public.get_traffic_sources(${p}, crm.utc_today() - 13, crm.utc_today() - 1)`,
    'get_traffic_sources (custom 30 d, ending yesterday, by source)': () =>
      `select * from public.get_traffic_sources(${p}, crm.utc_today() - 30, crm.utc_today() - 1, p_dimension => 'source')`,
    'get_tech_breakdown (90 d, filter segment visitor)': () =>
      `select * from public.get_tech_breakdown(${p}, ${range(90)}, '{"segment": "visitor"}')`,
    'get_top_pages (30 d)': () => `select * from public.get_top_pages(${p}, ${range(30)})`,
    'get_top_pages (custom 30 d, ending yesterday)': () =>
      `select * from public.get_top_pages(${p}, crm.utc_today() - 30, crm.utc_today() - 1)`,
    'get_daily_active_users (custom 30 d, filter country)': () =>
      `select * from public.get_daily_active_users(${p}, p_from => crm.utc_today() - 30, p_to => crm.utc_today() - 1, p_filter => '{"country": "BE"}')`,
    'get_crm_metrics (30 d)': () => `select * from public.get_crm_metrics(${p}, ${range(30)})`,
    'get_crm_metrics (custom 30 d, ending yesterday)': () => `select * from public.get_crm_metrics(${p}, crm.utc_today() - 30, crm.utc_today() - 1)`,
    'calculate_funnel_conversion (30 d)': () => `select * from public.calculate_funnel_conversion(${p}, p_from => crm.utc_today() - 29, p_to => crm.utc_today())`,
    'calculate_funnel_conversion (custom 30 d, filter channel)': () =>
      `select * from public.calculate_funnel_conversion(${p}, p_from => crm.utc_today() - 30, p_to => crm.utc_today() - 1, p_filter => '{"channel": "social"}')`,
    'list_site_users (30 d, filter country)': () =>
      `select * from public.list_site_users(${p}, p_from => crm.utc_today() - 29, p_to => crm.utc_today(), p_filter => '{"country": "BE"}')`,
    'get_retention_cohorts (12 weeks)': () => `select * from public.get_retention_cohorts(${p}, crm.utc_today() - 83, crm.utc_today(), p_cohorts => 12)`,
    'get_retention_cohorts (12 weeks, filter country)': () =>
      `select * from public.get_retention_cohorts(${p}, crm.utc_today() - 83, crm.utc_today(), '{"country": "BE"}', p_cohorts => 12)`,
    'get_retention_cohorts (12 weeks, start signup)': () =>
      `select * from public.get_retention_cohorts(${p}, crm.utc_today() - 83, crm.utc_today(), p_cohorts => 12, p_start_event => 'signup')`,
    'get_retention_cohorts (12 months)': () =>
      `select * from public.get_retention_cohorts(${p}, crm.utc_today() - 89, crm.utc_today(), p_period => 'month', p_cohorts => 12)`,
    'get_retention_curve (90 d)': () => `select * from public.get_retention_curve(${p}, ${range(90)})`,
    'get_retention_curve (90 d, filter channel)': () =>
      `select * from public.get_retention_curve(${p}, ${range(90)}, '{"channel": "social"}')`,
    'get_stickiness (90 d)': () => `select * from public.get_stickiness(${p}, ${range(90)})`,
    'get_stickiness (90 d, filter country)': () => `select * from public.get_stickiness(${p}, ${range(90)}, '{"country": "BE"}')`,
    'get_lifecycle (12 weeks)': () => `select * from public.get_lifecycle(${p}, 'week', 12)`,
    'get_lifecycle (12 weeks, filter country)': () => `select * from public.get_lifecycle(${p}, 'week', 12, '{"country": "BE"}')`,
    'list_retention_cohort_users (one cell)': () =>
      `select * from public.list_retention_cohort_users(${p}, crm.utc_today() - 83, crm.utc_today(), crm.period_start(crm.utc_today() - 28, 'week'), 1)`,
    'get_top_pages (custom 45 d, filter country)': () =>
      `select * from public.get_top_pages(${p}, crm.utc_today() - 60, crm.utc_today() - 16, '{"country": "BE"}')`,
  };
}

interface Timing {
  p50: number;
  p95: number;
  /** the share of the users a sampled report read (its rows' sample_rate); undefined when it has none */
  sampleRate?: number;
}

async function measure(db: postgres.Sql, s: Scale, hasOnline: boolean) {
  const out: Record<string, Timing> = {};
  // the ~300 online sessions had their last heartbeat a moment ago
  await db.unsafe(`update crm.site_sessions set last_activity_at = now() - make_interval(secs => (extract(epoch from started_at)::bigint % 60))
                   where project_id = '${s.project}' and is_online`);
  for (const [name, sql] of Object.entries(calls(s, hasOnline))) {
    for (let i = 0; i < 5; i++) await db.unsafe(sql(i + 1000));
    const times: number[] = [];
    let sampleRate: number | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const rows = await db.unsafe(sql(i));
      times.push(performance.now() - t);
      if (rows[0] && 'sample_rate' in rows[0]) sampleRate = Number(rows[0].sample_rate);
    }
    times.sort((a, b) => a - b);
    const q = (f: number) => times[Math.min(times.length - 1, Math.ceil(f * times.length) - 1)];
    out[name] = { p50: q(0.5), p95: q(0.95), sampleRate };
    log(`  ${s.label}: ${name} p50 ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms` +
      (sampleRate === undefined ? '' : `, sample rate ${sampleRate}`));
  }
  return out;
}

const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(1));

async function refreshOnly(db: postgres.Sql, s: Scale) {
  const p = `'${s.project}'::uuid`;
  await db.unsafe(`select crm.store_daily_stats(${p}, d::date)
                   from generate_series(crm.utc_today() - ${DAYS + 1}, crm.utc_today() - 1, interval '1 day') d`);
  const t = performance.now();
  await db.unsafe(`select crm.store_daily_stats(${p}, crm.utc_today()), crm.refresh_funnel_rollup(${p}), crm.refresh_metrics_rollup(${p})`);
  const refreshSeconds = (performance.now() - t) / 1000;
  // the presets as the job keeps them, so the preset ranges are read as in production
  await db.unsafe(`select crm.refresh_user_days(${p}, crm.utc_today() - 1, crm.utc_today())`);
  await db.unsafe(`select crm.apply_activity_queue(), crm.refresh_acquisition_rollup(${p}, true)`);
  return { loadSeconds: 0, refreshSeconds };
}

async function main() {
  const measureOnly = values['measure-only'];
  if (!measureOnly) {
    log(`creating ${bench.name} (baseline + migrations)`);
    await createDatabase();
  }
  const db = postgres(bench.url, { max: 1, onnotice: () => {} });
  try {
    const [{ exists: hasOnline }] = await db`select to_regproc('public.get_online_users') is not null as exists`;
    if (!hasOnline) log('public.get_online_users does not exist yet: not measured');
    log(measureOnly ? `refreshing ${SMALL.label}` : `loading ${SMALL.label}`);
    const smallLoad = measureOnly ? await refreshOnly(db, SMALL) : await load(db, SMALL);
    const small = await measure(db, SMALL, hasOnline);
    let large: Record<string, Timing> | undefined;
    let largeLoad: { loadSeconds: number; refreshSeconds: number } | undefined;
    if (!values['small-only']) {
      log(measureOnly ? `refreshing ${LARGE.label}` : `loading ${LARGE.label} (several minutes)`);
      largeLoad = measureOnly ? await refreshOnly(db, LARGE) : await load(db, LARGE);
      large = await measure(db, LARGE, hasOnline);
    }
    console.log(`\nWarm latency, ${RUNS} calls each, one connection (ms); goal: p95 ≤ 50 ms at 10M events\n`);
    console.log('| RPC | 100k p50 | 100k p95 | 10M p50 | 10M p95 | 10M sample rate |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const name of Object.keys(small)) {
      console.log(`| \`${name}\` | ${ms(small[name].p50)} | ${ms(small[name].p95)} | ${ms(large?.[name]?.p50)} | ${ms(large?.[name]?.p95)} | ` +
        `${large?.[name]?.sampleRate ?? ''} |`);
    }
    console.log(`\nload: 100k ${smallLoad.loadSeconds.toFixed(0)} s${largeLoad ? `, 10M ${largeLoad.loadSeconds.toFixed(0)} s` : ''} (0 = kept database); ` +
      `one 5-minute analytics refresh of the project: 100k ${smallLoad.refreshSeconds.toFixed(1)} s` +
      `${largeLoad ? `, 10M ${largeLoad.refreshSeconds.toFixed(1)} s` : ''}`);
  } finally {
    await db.end();
    if (!values.keep && !measureOnly) await bench.drop();
  }
}

await main();
