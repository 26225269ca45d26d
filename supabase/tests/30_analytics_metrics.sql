-- get_crm_metrics (definitions, live vs rollup), get_daily_active_users (zero-filled,
-- UTC day boundaries, today live) and calculate_daily_stats.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(39);

select tests.an_setup();
create temp table m_empty as select * from public.get_crm_metrics(tests.an_id('project'));

-- Empty project -------------------------------------------------------------
select is((select array_agg(metric order by metric) from m_empty),
  array['churn_rate', 'new_this_week', 'online_now', 'total_users'], 'empty project: the four metrics');
select ok((select bool_and(value = 0 and last_week = 0 and change = 0 and change_pct is null) from m_empty where metric <> 'churn_rate'),
  'empty project: every count 0, change 0, change_pct null (no division by zero)');
select is((select row(value, last_week, change, change_pct)::text from m_empty where metric = 'churn_rate'),
  row(0::numeric, null::numeric, null::numeric, null::numeric)::text,
  'empty project: churn 0, and no comparison with a week that had nobody to churn');

-- A project with known users (churn_after_days 14, see the definitions) -----
do $$
declare
  p uuid := tests.an_id('project');
  u uuid;
begin
  perform tests.an_user(p, now() - interval '30 days', now() - interval '20 days', p_key => 'u_old');       -- churned this week
  u := tests.an_user(p, now() - interval '30 days', now() - interval '1 hour', p_key => 'u_active');       -- active, in both bases
  -- online at this time last week
  perform tests.an_session(p, u, now() - interval '7 days 10 minutes', '{/}', p_tail => interval '11 minutes');
  perform tests.an_user(p, now() - interval '40 days', now() - interval '25 days', p_key => 'u_lw');        -- churned last week
  perform tests.an_user(p, now() - interval '35 days', now() - interval '22 days', p_key => 'u_lw2');       -- churned last week
  u := tests.an_user(p, now() - interval '2 days', now(), p_key => 'u_new');                              -- new this week, online
  perform tests.an_session(p, u, now() - interval '2 minutes', '{/pricing}', p_online => true);
  perform tests.an_user(p, now() - interval '10 days', now() - interval '9 days', p_key => 'u_new_lw');      -- new last week
  perform tests.an_user(p, now() - interval '60 days', now() - interval '50 days', p_key => 'u_gone');      -- long gone
end $$;

create temp table m_live as select * from public.get_crm_metrics(tests.an_id('project'));

select is((select row(value, last_week, change, change_pct)::text from m_live where metric = 'total_users'),
  row(7::numeric, 6::numeric, 1::numeric, 16.7::numeric)::text,
  'total_users: 7 now; last week = those first seen more than 7 days ago (6)');
select is((select row(value, last_week, change)::text from m_live where metric = 'new_this_week'),
  row(1::numeric, 1::numeric, 0::numeric)::text, 'new_this_week: first seen in the last 7 days, vs the 7 days before');
select is((select row(value, last_week)::text from m_live where metric = 'online_now'),
  row(1::numeric, 1::numeric)::text, 'online_now: users with an online session; last week: active at now() - 7 days');
select is((select value from m_live where metric = 'churn_rate'), 33.33,
  'churn_rate: 1 of the 3 users active at the start of the week crossed 14 days without activity');
select is((select last_week from m_live where metric = 'churn_rate'), 50.00,
  'churn_rate last week: 2 of 4');
select is((select row(change, change_pct)::text from m_live where metric = 'churn_rate'),
  row(-16.67::numeric, -33.3::numeric)::text, 'churn_rate change in percentage points, change_pct relative');

-- The churn horizon is a project setting
update crm.projects set settings = settings || '{"churn_after_days": 20}' where id = tests.an_id('project');
select is((select value from public.get_crm_metrics(tests.an_id('project')) where metric = 'churn_rate'), 40.00,
  'churn_after_days = 20: 2 of the 5 users active 27 days before now crossed 20 days without activity this week');
update crm.projects set settings = settings - 'churn_after_days' where id = tests.an_id('project');

-- The rollup gives the same answer, and total users stays live on top of it
select crm.refresh_metrics_rollup(tests.an_id('project'));
select ok((select computed_at = now() from crm.metrics_rollup where project_id = tests.an_id('project')),
  'refresh_metrics_rollup stores a row for the project');
select set_eq('select * from public.get_crm_metrics(tests.an_id(''project''))', 'select * from m_live',
  'metrics from the rollup equal the live computation');
update crm.metrics_rollup set churned_this_week = 2 where project_id = tests.an_id('project');
select is((select value from public.get_crm_metrics(tests.an_id('project')) where metric = 'churn_rate'), 66.67,
  'a fresh rollup is read (churn from it)');
select tests.an_user(tests.an_id('project'), now() - interval '1 minute');
select is((select value from public.get_crm_metrics(tests.an_id('project')) where metric = 'total_users'), 8::numeric,
  'a user first seen after the rollup counts at once');
update crm.metrics_rollup set computed_at = now() - interval '16 minutes' where project_id = tests.an_id('project');
select is((select value from public.get_crm_metrics(tests.an_id('project')) where metric = 'churn_rate'), 33.33,
  'a rollup older than 15 minutes is ignored (live again)');

-- get_daily_active_users ----------------------------------------------------
select tests.an_setup('DAU project');

create temp table dau_empty as select * from public.get_daily_active_users(tests.an_id('project'), 7);
select is((select count(*)::integer from dau_empty), 7, 'p_days 7: seven rows');
select is((select array_agg(day order by day) from dau_empty),
  array(select (now() at time zone 'UTC')::date - i from generate_series(6, 0, -1) i),
  'one row per UTC day, oldest first, today last');
select ok((select bool_and(active_users = 0 and new_users = 0 and sessions = 0 and page_views = 0) from dau_empty),
  'empty project: zero-filled');
select is((select count(*)::integer from public.get_daily_active_users(tests.an_id('project'))), 30, 'p_days defaults to 30');

do $$
declare
  p uuid := tests.an_id('project');
  today timestamptz := tests.an_today();
  u uuid;
  s uuid;
begin
  -- today, at the first instant of the UTC day: two sessions of one user, one of another
  u := tests.an_user(p, today, today);
  perform tests.an_session(p, u, today, '{/a,/b}');
  perform tests.an_session(p, u, today, '{/c}', p_device => 'mobile');
  u := tests.an_user(p, today - interval '3 days', today);
  perform tests.an_session(p, u, today, '{/a,/b,/c}', p_tail => interval '0');
  -- yesterday, at its last instant: not today
  u := tests.an_user(p, today - interval '1 microsecond', today - interval '1 microsecond', p_key => 'late');
  s := tests.an_session(p, u, today - interval '1 microsecond', '{/x}', p_tail => interval '0');
  perform tests.an_event(p, u, s, today - interval '1 microsecond', 'signup');
  perform tests.an_event(p, u, s, today - interval '1 microsecond', 'payment_success');
end $$;

select is((select row(active_users, new_users, sessions, page_views)::text
           from public.get_daily_active_users(tests.an_id('project'), 7) where day = (now() at time zone 'UTC')::date),
  row(2, 1, 3, 6)::text, 'today is live: 2 active users, 1 new, 3 sessions, 6 page views (00:00:00 UTC counts as today)');
select is((select active_users from public.get_daily_active_users(tests.an_id('project'), 7)
           where day = (now() at time zone 'UTC')::date - 1), 0,
  'yesterday comes from daily_user_stats only: 0 until calculated');

select is((select row(day, active_users, new_users, sessions, page_views, signups, conversions)::text
           from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date - 1)),
  row((now() at time zone 'UTC')::date - 1, 1, 1, 1, 1, 1, 1)::text,
  'calculate_daily_stats: yesterday''s last microsecond belongs to yesterday (signup and conversion counted)');
select is((select active_users from public.get_daily_active_users(tests.an_id('project'), 7)
           where day = (now() at time zone 'UTC')::date - 1), 1, 'the stored day shows up in get_daily_active_users');
select is((select count(*)::integer from crm.daily_user_stats where project_id = tests.an_id('project')), 1,
  'calculate_daily_stats stores one row');
select is((select active_users from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date - 1)), 1,
  'calculating a day again updates it in place');
select is((select count(*)::integer from crm.daily_user_stats where project_id = tests.an_id('project')), 1,
  'still one row after a second calculation');
select is((select avg_session_seconds from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date)),
  round((90 + 30 + 120) / 3.0, 1), 'avg_session_seconds: mean of last activity - start');
select is((select row(active_users, sessions)::text from public.get_daily_active_users(tests.an_id('project'), 7)
           where day = (now() at time zone 'UTC')::date - 2), row(0, 0)::text, 'a day without a stored row is zero');
select is((select count(*)::integer from public.get_daily_active_users(tests.an_id('project'), 1)), 1,
  'p_days 1: today only');

-- A session one day earlier at 23:59:59 is not counted on the later day, even if stored there
select is((select sessions from crm.compute_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date - 2)), 0,
  'the day before yesterday has no session (UTC boundaries)');

select throws_ok($$ select * from public.get_daily_active_users(tests.an_id('project'), 0) $$, '22023', null,
  'p_days 0 is refused');
select throws_ok($$ select * from public.get_daily_active_users(tests.an_id('project'), 367) $$, '22023', null,
  'p_days 367 is refused');
select throws_ok($$ select * from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date + 1) $$,
  '22023', null, 'calculate_daily_stats refuses a future day');
select throws_ok($$ select * from public.calculate_daily_stats(tests.an_id('project'), null) $$, '22023', null,
  'calculate_daily_stats refuses a null day');

-- Today from a fresh stored row + sessions started since it was computed
select public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date);
update crm.daily_user_stats set updated_at = greatest(tests.an_today() + (now() - tests.an_today()) / 2, now() - interval '10 minutes')
where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date;
do $$
declare
  p uuid := tests.an_id('project');
  t timestamptz := (select updated_at + (now() - updated_at) / 2 from crm.daily_user_stats  -- after the stored row
                    where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date);
  u uuid;
begin
  -- a user with an earlier session today: one more session, not one more active user
  u := (select user_id from crm.site_sessions where project_id = p and started_at = tests.an_today() limit 1);
  perform tests.an_session(p, u, t, '{/again}', p_tail => interval '0');
  -- a new visitor
  u := tests.an_user(p, t, t);
  perform tests.an_session(p, u, t, '{/new,/new2}', p_tail => interval '0');
end $$;
update crm.daily_user_stats set active_users = active_users + 100
where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date;
select is((select row(active_users, new_users, sessions, page_views)::text
           from public.get_daily_active_users(tests.an_id('project'), 7) where day = (now() at time zone 'UTC')::date),
  row(2 + 100 + 1, 2, 5, 9)::text,
  'today with a fresh stored row: stored figures + sessions started since (a returning user counted once), new users live');
update crm.daily_user_stats set updated_at = now() - interval '16 minutes'
where project_id = tests.an_id('project') and day = (now() at time zone 'UTC')::date;
select is((select row(active_users, sessions)::text
           from public.get_daily_active_users(tests.an_id('project'), 7) where day = (now() at time zone 'UTC')::date),
  row(3, 5)::text, 'a stored row older than 15 minutes is ignored: today computed in full');

-- As a viewer (the PostgREST path), the same figures
select tests.authenticate_as(tests.an_id('viewer'));
select is((select active_users from public.get_daily_active_users(tests.an_id('project'), 7)
           where day = (now() at time zone 'UTC')::date), 3, 'a viewer reads daily active users');
select is((select count(*)::integer from public.get_crm_metrics(tests.an_id('project'))), 4, 'a viewer reads the metrics');
select throws_ok($$ select * from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date) $$,
  '42501', null, 'a viewer may not recalculate daily stats');
select tests.clear_authentication();

select * from finish();
rollback;
