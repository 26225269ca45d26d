-- calculate_funnel_conversion: order within the window, out-of-order events, merged
-- users, custom steps, the rollup and its freshness.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(21);

select tests.an_setup();

-- Empty project: the default funnel with zeros
select is(
  (select array_agg(row(step_order, name, event_name, users, pct_of_first, pct_of_previous, drop_off)::text order by step_order)
   from public.calculate_funnel_conversion(tests.an_id('project'))),
  array[row(1, 'Bezoekers', 'pageview', 0::bigint, 0::numeric, 100.0, 0::bigint)::text,
        row(2, 'Signup', 'signup', 0::bigint, 0::numeric, 0::numeric, 0::bigint)::text,
        row(3, 'Actief', 'activated', 0::bigint, 0::numeric, 0::numeric, 0::bigint)::text,
        row(4, 'Betaald', 'payment_success', 0::bigint, 0::numeric, 0::numeric, 0::bigint)::text],
  'empty project: the default funnel, every step 0, no division by zero');

do $$
declare
  p uuid := tests.an_id('project');
  t timestamptz := now() - interval '2 days';
  u uuid;
  u2 uuid;
  s uuid;
begin
  -- A: the whole funnel in order
  u := tests.an_user(p, t); s := tests.an_session(p, u, t, '{/}');
  perform tests.an_event(p, u, s, t + interval '1 minute', 'signup');
  perform tests.an_event(p, u, s, t + interval '2 minutes', 'activated');
  perform tests.an_event(p, u, s, t + interval '3 minutes', 'payment_success');
  -- B: page view and signup
  u := tests.an_user(p, t); s := tests.an_session(p, u, t, '{/}');
  perform tests.an_event(p, u, s, t + interval '1 minute', 'signup');
  -- C: out of order: signup before the first page view, then activated and paid
  u := tests.an_user(p, t - interval '1 hour');
  s := tests.an_session(p, u, t, '{/}');
  perform tests.an_event(p, u, s, t - interval '1 hour', 'signup');
  perform tests.an_event(p, u, s, t + interval '2 minutes', 'activated');
  perform tests.an_event(p, u, s, t + interval '3 minutes', 'payment_success');
  -- D: page view, then activated without signup
  u := tests.an_user(p, t); s := tests.an_session(p, u, t, '{/}');
  perform tests.an_event(p, u, s, t + interval '2 minutes', 'activated');
  -- E: page view outside the 30-day window, signup inside: not in the funnel
  u := tests.an_user(p, now() - interval '40 days'); s := tests.an_session(p, u, now() - interval '40 days', '{/}');
  perform tests.an_event(p, u, s, t, 'signup');
  -- F: two anonymous visitors merged into one user: page view as F1, signup later as F2
  u := tests.an_user(p, t, p_key => 'f1'); perform tests.an_session(p, u, t, '{/}');
  u2 := tests.an_user(p, t, p_key => 'f2'); s := tests.an_session(p, u2, t + interval '1 hour', '{/}');
  perform tests.an_event(p, u2, s, t + interval '1 hour 1 minute', 'signup');
end $$;

-- the merge, as crm.merge_site_users does it
update crm.site_sessions set user_id = tests.an_id('f1') where project_id = tests.an_id('project') and user_id = tests.an_id('f2');
update crm.user_events set user_id = tests.an_id('f1') where project_id = tests.an_id('project') and user_id = tests.an_id('f2');
update crm.anonymous_ids set user_id = tests.an_id('f1') where project_id = tests.an_id('project') and user_id = tests.an_id('f2');
delete from crm.site_users where project_id = tests.an_id('project') and id = tests.an_id('f2');

create temp table f30 as select * from public.calculate_funnel_conversion(tests.an_id('project'));
select is((select array_agg(users order by step_order) from f30), array[5, 3, 1, 1]::bigint[],
  'users per step: a step counts only after the previous ones in order (out-of-order signup, skipped step, merged user)');
select is((select array_agg(pct_of_first order by step_order) from f30), array[100.0, 60.0, 20.0, 20.0],
  '% of the first step');
select is((select array_agg(pct_of_previous order by step_order) from f30), array[100.0, 60.0, 33.3, 100.0],
  '% of the previous step (first step 100)');
select is((select array_agg(drop_off order by step_order) from f30), array[0, 2, 2, 0]::bigint[],
  'drop-off from the previous step');
select is((select array_agg(drop_off_pct order by step_order) from f30), array[0, 40.0, 66.7, 0.0],
  'drop-off in % of the previous step');
select is((select array_agg(name order by step_order) from f30), array['Bezoekers', 'Signup', 'Actief', 'Betaald'],
  'step names in order');

select is((select array_agg(users order by step_order) from public.calculate_funnel_conversion(tests.an_id('project'), 90)),
  array[6, 4, 1, 1]::bigint[], '90 days: the old page view brings user E in (signup after it)');
select is((select array_agg(users order by step_order) from public.calculate_funnel_conversion(tests.an_id('project'), 1)),
  array[0, 0, 0, 0]::bigint[], '1 day: nothing in the window');

-- An event exactly at the previous step's time still counts (different events)
do $$
declare
  p uuid := tests.an_id('project');
  t timestamptz := now() - interval '3 days';
  u uuid;
  s uuid;
begin
  u := tests.an_user(p, t); s := tests.an_session(p, u, t, '{/}');
  perform tests.an_event(p, u, s, t, 'signup');
end $$;
select is((select users from public.calculate_funnel_conversion(tests.an_id('project')) where step_order = 2), 4::bigint,
  'a signup at the same instant as the page view counts');

-- The rollup
select crm.refresh_funnel_rollup(tests.an_id('project'));
select is((select array_agg(distinct window_days order by window_days) from crm.funnel_rollup where project_id = tests.an_id('project')),
  array[7, 30, 90], 'the rollup holds the 7, 30 and 90 day windows');
select is((select array_agg(users order by step_order) from crm.funnel_rollup
           where project_id = tests.an_id('project') and window_days = 30),
  array[6, 4, 1, 1]::bigint[], 'rollup figures equal the live ones');
select is(
  (select array_agg(row(window_days, step_order, users)::text order by window_days, step_order)
   from crm.funnel_rollup where project_id = tests.an_id('project')),
  (select array_agg(row(w, f.step_order, f.users)::text order by w, f.step_order)
   from unnest(array[7, 30, 90]) w, crm.compute_funnel(tests.an_id('project'), now() - make_interval(days => w), now()) f),
  'every window of the rollup (one pass over the first step) equals the live computation');
update crm.funnel_rollup set users = 1000 where project_id = tests.an_id('project') and window_days = 30 and step_order = 1;
select is((select row(users, computed_at)::text from public.calculate_funnel_conversion(tests.an_id('project')) where step_order = 1),
  row(1000::bigint, now())::text, 'a fresh rollup is read (with its computed_at)');
select is((select pct_of_first from public.calculate_funnel_conversion(tests.an_id('project')) where step_order = 2), 0.4,
  'percentages are computed over the rollup figures');
update crm.funnel_rollup set computed_at = now() - interval '16 minutes' where project_id = tests.an_id('project');
select is((select users from public.calculate_funnel_conversion(tests.an_id('project')) where step_order = 1), 6::bigint,
  'a rollup older than 15 minutes is ignored');
select is((select users from public.calculate_funnel_conversion(tests.an_id('project'), 14) where step_order = 1), 6::bigint,
  'a window without a rollup is computed live');

-- Custom steps, two consecutive page view steps need two page views
update crm.funnel_rollup set computed_at = now() where project_id = tests.an_id('project');
select public.set_crm_funnel_steps(tests.an_id('project'),
  '[{"name": "Visit", "event_name": "pageview"}, {"name": "Second page", "event_name": "pageview"}, {"name": "Signup", "event_name": "signup"}]');
select is((select count(*)::integer from crm.funnel_rollup where project_id = tests.an_id('project')), 0,
  'set_crm_funnel_steps clears the rollup');
select tests.an_session(tests.an_id('project'), tests.an_id('f1'), now() - interval '1 day', '{/a,/b}');
select is((select array_agg(users order by step_order) from public.calculate_funnel_conversion(tests.an_id('project'))),
  array[6, 1, 1]::bigint[],
  'a second page-view step needs a later page view: only the merged user F1 has one (and a signup after it)');

select throws_ok($$ select * from public.calculate_funnel_conversion(tests.an_id('project'), 0) $$, '22023', null,
  'p_days 0 is refused');
select throws_ok($$ select * from public.calculate_funnel_conversion(tests.an_id('project'), 7, current_date, current_date) $$,
  '22023', 'give p_days or p_from and p_to, not both', 'p_days and a range together are refused');

select * from finish();
rollback;
