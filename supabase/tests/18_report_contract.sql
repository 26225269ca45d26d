-- The report contract (p_from, p_to, p_filter) on daily active users, the metric cards,
-- the funnel and the user list. Current range = the last 7 days (today − 6 … today),
-- previous = the 7 before. Every expected figure is worked out by hand from this fixture:
--
--   user  first seen  sessions (days ago, country)          funnel events (days ago)
--   A     5           5 NL, 3 NL, 1 NL                      signup 5, activated 3, payment 1
--   B     4           4 BE                                  payment, activated, signup 4 (one day, any order)
--   C     2           2 NL                                  activated 2 (no signup)
--   D     10          10 NL, 2 NL                           signup 10
--   F     6           6 BE, 5 BE                            activated 6, signup 5
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(24);

select tests.an_setup('Report contract');
create temp table fx (u text, first_seen integer, day integer, country text, events text[]);
insert into fx values
  ('A', 5, 5, 'NL', '{signup}'), ('A', 5, 3, 'NL', '{activated}'), ('A', 5, 1, 'NL', '{payment_success}'),
  ('B', 4, 4, 'BE', '{payment_success,activated,signup}'),
  ('C', 2, 2, 'NL', '{activated}'),
  ('D', 10, 10, 'NL', '{signup}'), ('D', 10, 2, 'NL', '{}'),
  ('F', 6, 6, 'BE', '{activated}'), ('F', 6, 5, 'BE', '{signup}');
do $$
declare
  p uuid := tests.an_id('project');
  r record;
  v_user uuid;
  v_session uuid;
  v_at timestamptz;
begin
  for r in select * from fx order by u, day desc loop
    v_user := coalesce(tests.an_id(r.u), tests.an_user(p, tests.an_today() - make_interval(days => r.first_seen, hours => -8),
                                                       p_key => r.u));
    v_at := tests.an_today() - make_interval(days => r.day, hours => -9);
    v_session := tests.an_session(p, v_user, v_at, '{/,/pricing}');
    update crm.site_sessions set country = r.country where id = v_session;
    for i in 1 .. coalesce(cardinality(r.events), 0) loop
      perform tests.an_event(p, v_user, v_session, v_at + make_interval(mins => i), r.events[i]);
    end loop;
  end loop;
  perform crm.refresh_user_days(p, crm.utc_today() - 13, crm.utc_today());
  perform crm.store_daily_stats(p, d::date) from generate_series(crm.utc_today() - 13, crm.utc_today() - 1, interval '1 day') d;
end $$;

-- What user_days keeps for the funnel
select results_eq(
  $$select d.day, d.steps, d.signed_up, d.paid, d.new_user from crm.user_days d
     where d.user_id = tests.an_id('A') order by d.day$$,
  $$values (crm.utc_today() - 5, 3, true, false, true), (crm.utc_today() - 3, 5, false, false, false),
           (crm.utc_today() - 1, 9, false, true, false)$$,
  'A: steps as bits per day (page view 1, signup 2, activated 4, payment 8), signup / paid, the first day');
select is((select steps from crm.user_days where user_id = tests.an_id('B')), 15, 'B: all four steps on one day');

create function tests.ago(n integer) returns date language sql stable as $$ select (now() at time zone 'UTC')::date - n $$;
grant execute on function tests.ago(integer) to authenticated;
select tests.authenticate_as(tests.an_id('viewer'));

-- The funnel of a range ---------------------------------------------------------------------
select results_eq(
  $$select step_order, users, prev_users, pct_of_first, pct_of_previous, drop_off, sample_rate
      from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0))$$,
  $$values (1, 5::bigint, 1::bigint, 100.0, 100.0, 0::bigint, 1::numeric), (2, 3, 1, 60.0, 60.0, 2, 1),
           (3, 2, 0, 40.0, 66.7, 1, 1), (4, 2, 0, 40.0, 100.0, 0, 1)$$,
  'step 1: A B C D F; signup in order: A, B (same day), F (activated before signup: stops at 2); previous: D signed up');
select results_eq(
  $$select step_order, users, prev_users from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0), p_filter => '{"country": "BE"}')$$,
  $$values (1, 2::bigint, 0::bigint), (2, 2, 0), (3, 1, 0), (4, 1, 0)$$, 'filtered by country: B and F');
select results_eq(
  $$select step_order, users from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(4), p_to => tests.ago(2))$$,
  $$values (1, 4::bigint), (2, 1), (3, 1), (4, 1)$$,
  'a custom range: A (day 3) without its signup of day 5, B, C, D: only B has every step');
select results_eq(
  $$select name, users_change_pct from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0))$$,
  $$values ('Bezoekers', 400.0), ('Signup', 200.0), ('Actief', null::numeric), ('Betaald', null::numeric)$$,
  'each step''s change against the previous range');

-- Daily active users of a range ------------------------------------------------------------
select results_eq(
  $$select day, active_users, new_users, prev_day, prev_active_users, sample_rate
      from public.get_daily_active_users(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0), p_filter => '{"country": "NL"}')$$,
  $$values (tests.ago(6), 0, 0, tests.ago(13), 0, 1::numeric), (tests.ago(5), 1, 1, tests.ago(12), 0, 1),
           (tests.ago(4), 0, 0, tests.ago(11), 0, 1), (tests.ago(3), 1, 0, tests.ago(10), 1, 1),
           (tests.ago(2), 2, 1, tests.ago(9), 0, 1), (tests.ago(1), 1, 0, tests.ago(8), 0, 1),
           (tests.ago(0), 0, 0, tests.ago(7), 0, 1)$$,
  'filtered: NL users per day (A, A, C and D, A), new ones (A on day 5, C on day 2), D beside day 3');
select results_eq(
  $$select day, active_users, sessions, prev_active_users
      from public.get_daily_active_users(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(4))$$,
  $$values (tests.ago(6), 1, 1, 0), (tests.ago(5), 2, 2, 0), (tests.ago(4), 1, 1, 0)$$,
  'unfiltered, from the daily stats: F; A and F; B; nobody in the previous range (days 9–7)');
select is((select sum(active_users)::integer from public.get_daily_active_users(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0))),
  8, 'unfiltered over the week: F, A F, B, A, C D, A, nobody today = 8 user-days');

-- The metric cards of a range ----------------------------------------------------------------
select results_eq(
  $$select metric, value, previous, change, change_pct, sample_rate
      from public.get_crm_metrics(tests.an_id('project'), tests.ago(6), tests.ago(0))$$,
  $$values ('visitors', 5::numeric, 1::numeric, 4::numeric, 400.0, 1::numeric),
           ('new_visitors', 4, 1, 3, 300.0, 1), ('sessions', 8, 1, 7, 700.0, 1),
           ('signups', 3, 1, 2, 200.0, 1), ('paying', 2, 0, 2, null, 1)$$,
  'visitors A B C D F; new A B C F (D the week before); 8 sessions; signups A B F (D before); paying A B');
select results_eq(
  $$select metric, value, previous from public.get_crm_metrics(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"country": "NL"}')$$,
  $$values ('visitors', 3::numeric, 1::numeric), ('new_visitors', 2, 1), ('sessions', 5, 1), ('signups', 1, 1), ('paying', 1, 0)$$,
  'filtered by country: A C D');
select results_eq(
  $$select metric, value from public.get_crm_metrics(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"browser": "Lynx"}')$$,
  $$values ('visitors', 0::numeric), ('new_visitors', 0), ('sessions', 0), ('signups', 0), ('paying', 0)$$,
  'nobody matches: every card 0');

-- The user list of a range ---------------------------------------------------------------------
select results_eq(
  $$select id, total_count from public.list_site_users(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(0),
      p_filter => '{"country": "BE"}') order by id$$,
  $$select x, 2::bigint from unnest(array[tests.an_id('B'), tests.an_id('F')]) x order by x$$,
  'users active in the range who pass the filter, with their count');
select is((select max(total_count)::integer from public.list_site_users(tests.an_id('project'), p_from => tests.ago(13),
             p_to => tests.ago(7))), 1, 'a range alone: days 13–7 saw only D (day 10)');
select throws_ok($$select * from public.list_site_users(tests.an_id('project'), p_filter => '{"country": "BE"}')$$,
  '22023', 'p_from and p_to are required', 'a filter needs a range');

-- The contract's errors
select throws_ok($$select * from public.get_daily_active_users(tests.an_id('project'), p_from => tests.ago(0), p_to => tests.ago(1))$$,
  '22023', null, 'p_from after p_to');
select throws_ok($$select * from public.get_crm_metrics(tests.an_id('project'), tests.ago(0), tests.ago(0), '{"colour": "red"}')$$,
  '22023', null, 'an unknown filter key');
select throws_ok($$select * from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(400), p_to => tests.ago(0))$$,
  '22023', null, 'a range over 366 days');
select tests.clear_authentication();

-- Every report plans each call with its arguments, in memory, without JIT
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace
          and p.proname in ('get_traffic_sources', 'get_geo_breakdown', 'get_tech_breakdown', 'get_top_pages',
                            'get_daily_active_users', 'get_crm_metrics', 'calculate_funnel_conversion', 'list_site_users')
          and p.proconfig @> array['plan_cache_mode=force_custom_plan', 'work_mem=32MB', 'jit=off']
        order by 1),
  array['calculate_funnel_conversion', 'get_crm_metrics', 'get_daily_active_users', 'get_geo_breakdown', 'get_tech_breakdown',
        'get_top_pages', 'get_traffic_sources', 'list_site_users'],
  'every report RPC is planned per call, with 32 MB to hash in and no JIT');

-- Presets come from the rollup, the funnel too
select ok(crm.refresh_acquisition_rollup(tests.an_id('project'), true) > 0, 'the presets are computed');
select is((select count(*)::integer from crm.acquisition_rollup where project_id = tests.an_id('project') and dimension = 'funnel'
             and range_days = 7), 4, 'one rollup row per funnel step');

-- A changed funnel rebuilds the stored days' steps
select tests.authenticate_as(tests.an_id('admin'));
select public.set_crm_funnel_steps(tests.an_id('project'), '[{"name": "Bezoekers", "event_name": "pageview"},
                                                            {"name": "Actief", "event_name": "activated"}]');
select tests.clear_authentication();
select ok(exists (select from crm.user_days_rebuild where project_id = tests.an_id('project')), 'the change queues a rebuild');
select crm.rebuild_queued_user_days() from generate_series(1, 60);
select ok(not exists (select from crm.user_days_rebuild), 'and the job works through it, a week per run');
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select step_order, users, prev_users from public.calculate_funnel_conversion(tests.an_id('project'), p_from => tests.ago(6), p_to => tests.ago(5))$$,
  $$values (1, 2::bigint, 0::bigint), (2, 1, 0)$$,
  'after the rebuild, over days 6–5: A and F viewed pages; only F was activated (day 6)');
select tests.clear_authentication();

select * from finish();
rollback;
