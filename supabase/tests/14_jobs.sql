-- pg_cron jobs: every job is scheduled by name with a `select crm.job_…()` body; each
-- function is tested by calling it (sessions, stuck, partitions, retention, housekeeping,
-- the analytics refresh, daily stats finalisation, segment upkeep, analytics retention).
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
\ir helpers/analytics.psql
select plan(23 + 20);

select is(
  array(select concat_ws(' | ', jobname, schedule, command) from cron.job
        where jobname in ('crm-close-sessions', 'crm-detect-stuck', 'crm-partition-upkeep', 'crm-retention-purge', 'crm-housekeeping')
        order by jobname::text),
  array['crm-close-sessions | * * * * * | select crm.job_close_sessions()',
        'crm-detect-stuck | * * * * * | select crm.job_detect_stuck()',
        'crm-housekeeping | 30 3 * * * | select crm.job_housekeeping()',
        'crm-partition-upkeep | 10 3 * * * | select crm.job_partition_upkeep()',
        'crm-retention-purge | 20 3 * * * | select crm.job_retention_purge()'],
  'the core jobs are scheduled by name, every minute or nightly, each calling its crm.job_ function');

-- Sessions: active, idle, offline, timed out ------------------------------------------
select tests.create_project('Jobs') as p \gset
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('pageview', now() - interval '10 seconds')));
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('pageview', now() - interval '2 minutes')), now() - interval '2 minutes');
select tests.ingest(:'p', tests.uid(3), tests.uid(103), jsonb_build_array(tests.ev('pageview', now() - interval '6 minutes')), now() - interval '6 minutes');
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(tests.ev('pageview', now() - interval '40 minutes')), now() - interval '40 minutes');
select tests.ingest(:'p', tests.uid(5), tests.uid(105), jsonb_build_array(
  tests.ev('pageview', now() - interval '7 minutes', '{"path": "/checkout"}'), tests.ev('heartbeat', now() - interval '20 seconds')));
update crm.site_sessions set is_stuck = false where project_id = :'p';

select ok((crm.job_close_sessions() ->> 'offline')::int >= 2, 'job_close_sessions reports what it changed');
select is((select row(is_online, is_idle, ended_at)::text from crm.site_sessions where project_id = :'p' and id = tests.uid(101)),
  row(true, false, null::timestamptz)::text, 'an active session stays online');
select is((select row(is_online, is_idle, ended_at)::text from crm.site_sessions where project_id = :'p' and id = tests.uid(102)),
  row(true, true, null::timestamptz)::text, 'a session quiet for 2 minutes stays online and becomes idle');
select is((select row(is_online, ended_at)::text from crm.site_sessions where project_id = :'p' and id = tests.uid(103)),
  row(false, null::timestamptz)::text, 'a session quiet past the online window (5 min) goes offline but has not ended');
select is((select row(is_online, ended_at)::text from crm.site_sessions where project_id = :'p' and id = tests.uid(104)),
  row(false, now() - interval '40 minutes')::text, 'a session quiet past the timeout (30 min) ends at its last activity');
update crm.site_sessions set last_activity_at = now() - interval '31 minutes' where project_id = :'p' and id = tests.uid(103);
select crm.job_close_sessions();
select is((select ended_at from crm.site_sessions where project_id = :'p' and id = tests.uid(103)), now() - interval '31 minutes',
  'an offline session ends once it passes the timeout');
update crm.projects set settings = settings || '{"online_window_minutes": 1}' where id = :'p';
select crm.job_close_sessions();
select is((select is_online from crm.site_sessions where project_id = :'p' and id = tests.uid(102)), false,
  'the online window comes from the project''s settings');

-- Stuck ----------------------------------------------------------------------------------
select ok(crm.job_detect_stuck() >= 1, 'job_detect_stuck reports how many sessions became stuck');
select is((select is_stuck from crm.site_sessions where project_id = :'p' and id = tests.uid(105)), true,
  'an active session on one page for 7 minutes is stuck');
select is((select is_stuck from crm.site_sessions where project_id = :'p' and id = tests.uid(101)), false,
  'a session on its page for 10 seconds is not');

-- Partition upkeep -------------------------------------------------------------------------
select ok(to_regclass('crm.user_events_' || to_char(now() + interval '3 months', 'YYYY_MM')) is not null,
  'monthly partitions exist three months ahead');
insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type)
values (:'p', date_trunc('month', now()) + interval '5 months 3 days', gen_random_uuid(), now(), tests.uid(101), tests.uid(1), 'pageview');
select is((select count(*)::int from crm.user_events_default where project_id = :'p'), 1,
  'an event beyond the partitions lands in the default partition (nothing lost)');
select is(crm.ensure_event_partitions(6), 3, 'upkeep further ahead creates the missing months');
select is((select count(*)::int from crm.user_events_default where project_id = :'p'), 0,
  'and moves rows out of the default partition into their new month');
select is((select count(*)::int from crm.user_events where project_id = :'p' and occurred_at > now() + interval '4 months'), 1,
  'the moved event is still there');
select is(crm.job_partition_upkeep(), 0, 'job_partition_upkeep is idempotent');

-- Retention purge ---------------------------------------------------------------------------
select tests.create_project('Short memory', '{}', '{"retention_days": 30}') as r \gset
insert into crm.site_users (project_id, id) values (:'r', tests.uid(9));
insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, ended_at, is_online)
values (:'r', tests.uid(901), tests.uid(9), now() - interval '40 days', now() - interval '40 days', now() - interval '40 days', false),
       (:'r', tests.uid(902), tests.uid(9), now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', false);
insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type)
values (:'r', now() - interval '40 days', tests.uid(911), now(), tests.uid(901), tests.uid(9), 'pageview'),
       (:'r', now() - interval '2 days', tests.uid(912), now(), tests.uid(902), tests.uid(9), 'pageview');
insert into crm.event_dedupe (project_id, visitor_id, event_id, received_at)
values (:'r', tests.uid(9), tests.uid(921), now() - interval '4 days'), (:'r', tests.uid(9), tests.uid(922), now() - interval '1 day');
create table crm.user_events_2001_01 partition of crm.user_events for values from ('2001-01-01') to ('2001-02-01');
select crm.job_retention_purge();
select is(array(select id from crm.user_events where project_id = :'r'), array[tests.uid(912)],
  'events older than the project''s retention are purged, newer ones kept');
select is(array(select id from crm.site_sessions where project_id = :'r'), array[tests.uid(902)],
  'sessions that ended before the retention cutoff are purged');
select is(array(select event_id from crm.event_dedupe where project_id = :'r'), array[tests.uid(922)],
  'dedupe ids older than 3 days are forgotten');
select is(to_regclass('crm.user_events_2001_01'), null, 'a monthly partition older than every project''s retention is dropped');

-- Housekeeping -------------------------------------------------------------------------------
insert into realtime.messages (topic, extension, payload, event, inserted_at)
values ('crm:old', 'broadcast', '{}', 'x', now() - interval '2 days'), ('crm:new', 'broadcast', '{}', 'x', now());
insert into crm.rate_limits values (:'r', 'ip:old', now() - interval '2 hours', 1), (:'r', 'ip:new', date_trunc('minute', now()), 1);
insert into crm.invitations (project_id, email, role, expires_at)
values (:'r', 'expired@example.test', 'viewer', now() - interval '1 minute'), (:'r', 'pending@example.test', 'viewer', now() + interval '1 day');
select crm.job_housekeeping();
select is(array(select topic from realtime.messages where topic in ('crm:old', 'crm:new')), array['crm:new'],
  'housekeeping deletes broadcast rows older than a day');
select is(array(select bucket from crm.rate_limits where project_id = :'r'), array['ip:new'],
  'housekeeping deletes old rate-limit windows');
select is(array(select email::text from crm.invitations where project_id = :'r'), array['pending@example.test'],
  'housekeeping deletes expired invitations');

select tests.an_setup('Jobs');

do $$
declare
  p uuid := tests.an_id('project');
  today timestamptz := tests.an_today();
  u uuid;
  s uuid;
begin
  u := tests.an_user(p, today - interval '1 day', today);
  s := tests.an_session(p, u, today, '{/a,/b}');
  perform tests.an_event(p, u, s, today + interval '1 second', 'signup');
  u := tests.an_user(p, today - interval '1 day', today - interval '1 day');
  perform tests.an_session(p, u, today - interval '1 day', '{/a}');
  perform tests.an_session(p, u, today - interval '3 days', '{/a}');
  -- segment upkeep candidates
  perform tests.an_user(p, now() - interval '40 days', now() - interval '15 days', 'premium', 'gone@example.com', p_key => 'gone');
  perform tests.an_user(p, now() - interval '40 days', now() - interval '13 days', 'trial', 'recent@example.com', p_key => 'recent');
  perform tests.an_user(p, now() - interval '40 days', now() - interval '30 days', 'visitor', p_key => 'anon_old');
end $$;

-- 5-minute refresh
select ok(crm.job_refresh_analytics() >= 1, 'job_refresh_analytics runs over the projects');
select is((select row(active_users, sessions, page_views, signups)::text from crm.daily_user_stats
           where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date),
  row(1, 1, 2, 1)::text, 'it stores today''s daily stats');
select is((select count(distinct window_days)::integer from crm.funnel_rollup where project_id = tests.an_id('project')), 3,
  'it refreshes the funnel rollup');
select is((select array_agg(users order by step_order) from crm.funnel_rollup
           where project_id = tests.an_id('project') and window_days = 7), array[2, 1, 0, 0]::bigint[],
  'the funnel rollup figures');
select is((select computed_at from crm.metrics_rollup where project_id = tests.an_id('project')), now(),
  'it refreshes the metrics rollup');

-- nightly finalisation
select ok(crm.job_finalize_daily_stats() >= 7, 'job_finalize_daily_stats fills yesterday and missing days of the last week');
select is((select row(active_users, sessions)::text from crm.daily_user_stats
           where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date - 1),
  row(1, 1)::text, 'yesterday is stored');
select is((select count(*)::integer from crm.daily_user_stats
           where project_id = tests.an_id('project') and day between (now() at time zone 'UTC')::date - 7 and (now() at time zone 'UTC')::date - 1),
  7, 'the seven past days have rows (zero rows included)');
select is((select sessions from crm.daily_user_stats
           where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date - 3), 1,
  'a missed day is filled');
update crm.daily_user_stats set sessions = 99 where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date - 3;
select crm.job_finalize_daily_stats();
select is((select sessions from crm.daily_user_stats
           where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date - 3), 99,
  'days already stored (other than yesterday) are left alone');

-- segment upkeep
select ok(crm.job_segment_upkeep() >= 1, 'job_segment_upkeep changes users');
select is((select row(segment, metadata ->> 'churned_from')::text from crm.site_users where id = tests.an_id('gone')),
  row('churned', 'premium')::text, 'an identified user inactive for 15 days (> 14) becomes churned, previous segment kept');
select is((select segment from crm.site_users where id = tests.an_id('recent')), 'trial', 'inactive for 13 days: unchanged');
select is((select segment from crm.site_users where id = tests.an_id('anon_old')), 'visitor', 'anonymous visitors stay visitors');

-- analytics retention (project retention 30 days), after the events' purge
update crm.projects set settings = settings || '{"retention_days": 30}' where id = tests.an_id('project');
do $$
declare
  u uuid := tests.an_user(tests.an_id('project'), now() - interval '50 days', now() - interval '40 days', p_key => 'expired');
begin
  perform tests.an_session(tests.an_id('project'), u, now() - interval '40 days', '{/old}');
  insert into crm.daily_user_stats (project_id, day, active_users) values (tests.an_id('project'), (now() at time zone 'UTC')::date - 40, 1);
end $$;
create temp table purge as select crm.job_analytics_retention() as r;
select is((select r from purge), '{"users": 1, "daily_stats": 1}'::jsonb, 'job_analytics_retention reports what it deleted');
select ok(not exists (select from crm.site_users where id = tests.an_id('expired'))
  and not exists (select from crm.anonymous_ids where project_id = tests.an_id('project') and user_id = tests.an_id('expired'))
  and not exists (select from crm.site_sessions where project_id = tests.an_id('project') and user_id = tests.an_id('expired'))
  and not exists (select from crm.daily_user_stats where project_id = tests.an_id('project') and day < (now() at time zone 'UTC')::date - 30),
  'users not seen within retention go with their ids and sessions; older daily stats go');
select ok(exists (select from crm.site_users where id = tests.an_id('recent'))
  and exists (select from crm.daily_user_stats where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date - 7),
  'users seen and days within retention stay');

-- schedules (the test database is where pg_cron runs: cron.database_name)
select ok(to_regnamespace('cron') is not null, 'pg_cron is installed');
select is(
  array(select jobname || ' ' || schedule || ' ' || command from cron.job
        where jobname in ('crm-analytics-refresh', 'crm-daily-stats-finalize', 'crm-segment-upkeep', 'crm-analytics-retention')
        order by jobname),
  array['crm-analytics-refresh */5 * * * * select crm.job_refresh_analytics()',
        'crm-analytics-retention 40 3 * * * select crm.job_analytics_retention()',
        'crm-daily-stats-finalize 10 0 * * * select crm.job_finalize_daily_stats()',
        'crm-segment-upkeep 20 0 * * * select crm.job_segment_upkeep()'],
  'the four analytics jobs are scheduled with minute schedules and select crm.job_…() bodies');

select * from finish();
rollback;
