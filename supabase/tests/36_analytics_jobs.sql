-- Analytics jobs, called directly: the 5-minute refresh, the nightly finalisation,
-- segment upkeep and analytics retention; and their pg_cron schedules.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(19);

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

-- analytics retention (project retention 30 days), after core's purge
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
