-- Daily stats: get_daily_active_users (zero-filled, UTC day boundaries, today live on a
-- fresh stored row) and calculate_daily_stats.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(23);

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
select throws_ok($$ select * from public.calculate_daily_stats(tests.an_id('project'), (now() at time zone 'UTC')::date) $$,
  '42501', null, 'a viewer may not recalculate daily stats');
select tests.clear_authentication();

select * from finish();
rollback;
