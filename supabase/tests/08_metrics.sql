-- get_crm_metrics: the definitions of supabase/API.md on a hand-built project, the
-- rollup against the live computation, and the churn horizon setting.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(16);

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

-- As a viewer (the PostgREST path)
select tests.authenticate_as(tests.an_id('viewer'));
select is((select count(*)::integer from public.get_crm_metrics(tests.an_id('project'))), 4, 'a viewer reads the metrics');
select tests.clear_authentication();

select * from finish();
rollback;
