-- Retention: cohorts, the curve, stickiness and lifecycle from crm.user_days. Weeks are
-- counted back from this week's Monday M, far enough that every figure is settled
-- whatever today is: W0 = M − 70, W1 = M − 63, W2 = M − 56, W3 = M − 49. The fixture:
--
--   user  country  first seen   active days                      events
--   A     NL       W0+1         W0+1, W1+2, W3                   signup W0+1, payment W1+2
--   B     BE       W0+3         W0+3, W2                         — (premium)
--   C     NL       W1+1         W1+1, W1+4, W2+1                 signup W1+4
--   D     BE       W1+2         W1+2                             —
--   E     NL       M − 100      M − 100, W0+2, W2+3              —
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(35);

select tests.an_setup('Retention');
-- (a viewer may not call crm functions: the week is worked out here)
create function tests.w(n integer) returns date language sql stable
as $$ select date_trunc('week', (now() at time zone 'UTC')::date)::date - 70 + n $$;
grant execute on function tests.w(integer) to authenticated;
create temp table fx (u text, country text, first_seen integer, days integer[]);
insert into fx values
  ('A', 'NL', 1, '{1,9,21}'), ('B', 'BE', 3, '{3,14}'), ('C', 'NL', 8, '{8,11,15}'), ('D', 'BE', 9, '{9}'),
  ('E', 'NL', -30, '{-30,2,17}');
do $$
declare
  p uuid := tests.an_id('project');
  r record;
  v_user uuid;
  v_session uuid;
  d integer;
begin
  for r in select * from fx order by u loop
    v_user := tests.an_user(p, tests.w(r.first_seen) + interval '8 hours', p_name => r.u, p_key => r.u);
    foreach d in array r.days loop
      v_session := tests.an_session(p, v_user, tests.w(d) + interval '9 hours');
      update crm.site_sessions set country = r.country where id = v_session;
      insert into tests.an_ids values (r.u || d, v_session);
    end loop;
  end loop;
  perform tests.an_event(p, tests.an_id('A'), tests.an_id('A1'), tests.w(1) + interval '9 hours 1 minute', 'signup');
  perform tests.an_event(p, tests.an_id('A'), tests.an_id('A9'), tests.w(9) + interval '9 hours 1 minute', 'payment_success');
  perform tests.an_event(p, tests.an_id('C'), tests.an_id('C11'), tests.w(11) + interval '9 hours 1 minute', 'signup');
  -- a custom event outside the funnel: A on W1+2, C on W1+4 and W2+1, B on W2
  perform tests.an_event(p, tests.an_id(x.u), tests.an_id(x.u || x.d), tests.w(x.d) + interval '9 hours 2 minutes', 'report_exported')
  from (values ('A', 9), ('C', 11), ('C', 15), ('B', 14)) x(u, d);
  update crm.site_users set segment = 'premium' where project_id = p and id = tests.an_id('B');
  perform crm.refresh_user_days(p, tests.w(-30), crm.utc_today());
  perform crm.apply_activity_queue();
end $$;

-- The per-user rollup and the window edges must always equal what user_days says: DAU,
-- WAU and MAU of every day counted directly, and each user's first and last day,
-- first-day flag and active weeks and months.
create function tests.activity_drift(p uuid) returns bigint language sql
as $$
  with direct as (
    select x.day::date as day,
           (select count(distinct d.user_id) from crm.user_days d where d.project_id = p and d.day = x.day::date) as dau,
           (select count(distinct d.user_id) from crm.user_days d where d.project_id = p and d.day between x.day::date - 6 and x.day::date) as wau,
           (select count(distinct d.user_id) from crm.user_days d where d.project_id = p and d.day between x.day::date - 29 and x.day::date) as mau
    from generate_series(crm.utc_today() - 130, crm.utc_today(), interval '1 day') x(day)
  ), users as (
    select d.user_id, min(d.day) as first_day, max(d.day) as last_day, bool_or(d.new_user) as is_new,
           array_agg(distinct (date_trunc('week', d.day::timestamp)::date - date_trunc('week', f.first_day::timestamp)::date) / 7) as weeks,
           array_agg(distinct ((extract(year from d.day) - extract(year from f.first_day)) * 12
                               + extract(month from d.day) - extract(month from f.first_day))::integer) as months
    from crm.user_days d
    join (select user_id, min(day) as first_day from crm.user_days where project_id = p group by user_id) f using (user_id)
    where d.project_id = p
    group by d.user_id
  )
  select (select count(*) from direct r join crm.activity_window_counts(p, crm.utc_today() - 130, crm.utc_today()) c using (day)
          where (r.dau, r.wau, r.mau) is distinct from (c.dau::bigint, c.wau::bigint, c.mau::bigint))
       + (select count(*) from (
            select u.user_id, u.first_day, u.last_day, u.is_new, u.weeks, u.months from users u
            except
            select a.user_id, a.first_day, a.last_day, a.is_new, a.weeks, a.months from crm.user_activity a where a.project_id = p
            union all
            select a.user_id, a.first_day, a.last_day, a.is_new, a.weeks, a.months from crm.user_activity a where a.project_id = p
            except
            select u.user_id, u.first_day, u.last_day, u.is_new, u.weeks, u.months from users u) x)
$$;

select is(tests.activity_drift(tests.an_id('project')), 0::bigint,
  'user_activity and activity_edges match user_days after the rebuild');

select tests.authenticate_as(tests.an_id('viewer'));

-- Cohorts -----------------------------------------------------------------------------------
select results_eq(
  $$select cohort_start, cohort_size, retained, retained_pct, sample_rate
      from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27))$$,
  $$values (tests.w(0), 2, '{2,1,1,1}'::integer[], '{100.0,50.0,50.0,50.0}'::numeric[], 1::numeric),
           (tests.w(7), 2, '{2,1,0}', '{100.0,50.0,0.0}', 1)$$,
  'weekly cohorts by first day: W0 = A, B (A back in W1 and W3, B in W2); W1 = C, D (C back in W2); E came earlier');
select results_eq(
  $$select cohort_start, cohort_size, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27),
      '{"country": "NL"}')$$,
  $$values (tests.w(0), 1, '{1,1,0,1}'::integer[]), (tests.w(7), 1, '{1,1,0}')$$,
  'the filter chooses who is in a cohort (A; C); their return counts wherever they came from');
select results_eq(
  $$select cohort_start, cohort_size, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27),
      p_start_event => 'signup', p_return_event => 'payment_success')$$,
  $$values (tests.w(0), 1, '{0,1,0,0}'::integer[]), (tests.w(7), 1, '{0,0,0}')$$,
  'start on signup (A in W0, C in W1), return on payment (A paid in W1)');
select results_eq(
  $$select cohort_start from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27), p_cohorts => 1)$$,
  $$values (tests.w(7))$$, 'p_cohorts keeps the latest');
select results_eq(
  $$select cohort_start, cohort_size, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27),
      p_segment => 'premium')$$,
  $$values (tests.w(0), 1, '{1,0,1,0}'::integer[])$$, 'p_segment: B, the one premium user');
select throws_ok($$select * from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27), p_period => 'day')$$,
  '22023', 'p_period must be week or month (got day)', 'a period is a week or a month');
select results_eq(
  $$select cohort_start, cohort_size, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27),
      p_start_event => 'report_exported')$$,
  $$values (tests.w(7), 2, '{2,1,1}'::integer[]), (tests.w(14), 1, '{1,0}')$$,
  'a custom start event (event_days): W1 = A (day 9, back in W3) and C (day 11, back in W2); W2 = B');
select results_eq(
  $$select cohort_start, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27),
      p_return_event => 'report_exported')$$,
  $$values (tests.w(0), '{0,1,1,0}'::integer[]), (tests.w(7), '{1,1,0}')$$,
  'a custom return event: W0''s A exported in W1, B in W2; W1''s C in W1 and W2');
select results_eq($$select name from public.list_event_names(tests.an_id('project'))$$,
  $$values ('payment_success'), ('report_exported'), ('signup')$$, 'list_event_names: the custom events stored, alphabetical');
select throws_ok($$select * from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27), p_start_event => '')$$,
  '22023', 'p_start_event must be an event name of 1 to 128 characters', 'an event name is 1 to 128 characters');
select throws_ok($$select * from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27), p_cohorts => 0)$$,
  '22023', 'p_cohorts must be between 1 and 52', 'p_cohorts 1..52');

-- The cohort table as CSV
select is(public.export_retention_cohorts_csv(tests.an_id('project'), tests.w(0), tests.w(27)),
  'cohort_start,cohort_size,week_0,week_1,week_2,week_3' || E'\r\n'
  || tests.w(0) || ',2,2 (100%),1 (50%),1 (50%),1 (50%)' || E'\r\n'
  || tests.w(7) || ',2,2 (100%),1 (50%),0 (0%),' || E'\r\n',
  'CSV: a row per cohort, "count (pct%)" per offset, the younger cohort''s last offset empty, CRLF');
select is(public.export_retention_cohorts_csv(tests.an_id('project'), tests.w(-60), tests.w(-50)),
  'cohort_start,cohort_size' || E'\r\n', 'no cohort: the header alone');

-- The people of a cohort cell
select results_eq(
  $$select k, array_agg(u.name order by u.first_seen_at desc), max(u.total_count)::integer
      from generate_series(0, 3) k
      cross join lateral public.list_retention_cohort_users(tests.an_id('project'), tests.w(0), tests.w(27), tests.w(0), k) u
      group by k order by k$$,
  $$values (0, array['B', 'A'], 2), (1, array['A'], 1), (2, array['B'], 1), (3, array['A'], 1)$$,
  'cohort W0: B and A, newest first; A back in W1 and W3, B in W2');
select results_eq(
  $$select name from public.list_retention_cohort_users(tests.an_id('project'), tests.w(0), tests.w(27), tests.w(0), 1,
      p_start_event => 'signup', p_return_event => 'payment_success')$$,
  $$values ('A')$$, 'with events: A, who paid in the week after signing up');
select results_eq(
  $$select name from public.list_retention_cohort_users(tests.an_id('project'), tests.w(0), tests.w(27), tests.w(7), 2,
      p_start_event => 'report_exported')$$,
  $$values ('A')$$, 'with a custom start event: of W1''s exporters, A came back two weeks on');
select is((select count(*)::integer from public.list_retention_cohort_users(tests.an_id('project'), tests.w(0), tests.w(27), tests.w(7), 2)),
  0, 'a cell of nobody: no rows');
select throws_ok($$select * from public.list_retention_cohort_users(tests.an_id('project'), tests.w(0), tests.w(27), tests.w(1))$$,
  '22023', 'p_cohort_start must be the first day of a week', 'a cohort starts on a Monday (or the 1st, by month)');

-- The curve ---------------------------------------------------------------------------------
select results_eq(
  $$select day_n, eligible, retained, retained_pct from public.get_retention_curve(tests.an_id('project'), tests.w(0), tests.w(13))$$,
  $$values (1, 4, 3, 75.0), (7, 4, 3, 75.0), (14, 4, 1, 25.0), (30, 4, 0, 0.0)$$,
  'newcomers A B C D: active on day n after their first or later (D never came back; only A past day 14)');

-- Stickiness ----------------------------------------------------------------------------------
select results_eq(
  $$select day, dau, wau, mau, dau_mau_pct from public.get_stickiness(tests.an_id('project'), tests.w(14), tests.w(16))$$,
  $$values (tests.w(14), 1, 4, 5, 20.0), (tests.w(15), 1, 4, 5, 20.0), (tests.w(16), 0, 2, 5, 0.0)$$,
  'W2: B that day, A B C D in the week, all five in 30 days; then C; then nobody, B and C in the week');

-- Lifecycle -------------------------------------------------------------------------------------
select results_eq(
  $$select period_start, new_users, returning_users, resurrecting_users, dormant_users
      from public.get_lifecycle(tests.an_id('project'), 'week', 12) where period_start between tests.w(0) and tests.w(28)$$,
  $$values (tests.w(0), 2, 0, 1, 0), (tests.w(7), 2, 1, 0, 2), (tests.w(14), 0, 1, 2, 2), (tests.w(21), 0, 0, 1, 3),
           (tests.w(28), 0, 0, 0, 1)$$,
  'W0: A B new, E back; W1: C D new, A returning, B E dormant; W2: C returning, B E back, A D dormant; W3: A back, B C E dormant; W4: A dormant');
select results_eq(
  $$select period_start, new_users, returning_users, resurrecting_users, dormant_users
      from public.get_lifecycle(tests.an_id('project'), 'week', 12, '{"country": "BE"}') where period_start between tests.w(0) and tests.w(28)$$,
  $$values (tests.w(0), 1, 0, 0, 0), (tests.w(7), 1, 0, 0, 1), (tests.w(14), 0, 0, 1, 1), (tests.w(21), 0, 0, 0, 1),
           (tests.w(28), 0, 0, 0, 0)$$,
  'filtered (B, D)');
select is((select count(*)::integer from public.get_lifecycle(tests.an_id('project'), 'month', 3)), 3, 'p_periods rows, the current one last');
select throws_ok($$select * from public.get_lifecycle(tests.an_id('project'), 'week', 0)$$, '22023',
  'p_periods must be between 1 and 52', 'p_periods 1..52');

-- Every retention report is planned per call, in memory, without JIT
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace
          and p.proname in ('get_retention_cohorts', 'get_retention_curve', 'get_stickiness', 'get_lifecycle',
                            'list_retention_cohort_users')
          and p.proconfig @> array['plan_cache_mode=force_custom_plan', 'work_mem=32MB', 'jit=off']
        order by 1),
  array['get_lifecycle', 'get_retention_cohorts', 'get_retention_curve', 'get_stickiness', 'list_retention_cohort_users'],
  'the retention RPCs run with the report settings');

-- Erasure keeps the rollup consistent: a deleted user leaves no days behind
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('admin'));
select public.delete_site_user(tests.an_id('project'), tests.an_id('A'));
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select cohort_start, cohort_size, retained from public.get_retention_cohorts(tests.an_id('project'), tests.w(0), tests.w(27))$$,
  $$values (tests.w(0), 1, '{1,0,1,0}'::integer[]), (tests.w(7), 2, '{2,1,0}')$$,
  'after erasing A: W0 is B alone');
select tests.clear_authentication();
select isnt((select count(*)::integer from crm.activity_queue where project_id = tests.an_id('project')), 0,
  'an erasure queues its days for the rollups, and does not wait on them');
select crm.apply_activity_queue();
select is(tests.activity_drift(tests.an_id('project')), 0::bigint, 'after the erasure and the queue''s turn, user_activity and activity_edges match user_days');

-- A merge moves D's sessions to C: both users' days are rebuilt, and the rollups follow
-- A merge of C (first seen W1+1; signup on W1+4; exports on W1+4 and W2+1) into D (first
-- seen W1+2): D's first day becomes W1+1, their W1+2 day is no longer one, and C's
-- events come along on the days they were done
select crm.merge_site_users(tests.an_id('project'), tests.an_id('C'), tests.an_id('D'));
select results_eq(
  $$select day, new_user, steps & 2 <> 0 from crm.user_days where user_id = tests.an_id('D') order by day$$,
  $$values (tests.w(8), true, false), (tests.w(9), false, false), (tests.w(11), false, true), (tests.w(15), false, false)$$,
  'after a merge: one first day, the earlier one, and the moved signup on its day');
select results_eq(
  $$select day, name from crm.event_days where user_id = tests.an_id('D') order by day$$,
  $$values (tests.w(11), 'report_exported'), (tests.w(11), 'signup'), (tests.w(15), 'report_exported')$$,
  'the moved custom events are on the merged user''s days');
select crm.apply_activity_queue();
select is(tests.activity_drift(tests.an_id('project')), 0::bigint, 'after a merge, user_activity and activity_edges match user_days');

-- The retention purge drops days older than retention_days (here 60: W0 and E's first
-- day go): the users' earliest kept day moves, and is no longer their first day
update crm.projects set settings = settings || '{"retention_days": 60}' where id = tests.an_id('project');
select crm.job_user_days();
select is(tests.activity_drift(tests.an_id('project')), 0::bigint,
  'after the retention purge, user_activity and activity_edges match user_days');

-- A project's deletion takes its rollups along
select lives_ok($$delete from crm.projects where id = tests.an_id('project')$$, 'a project with user days can be deleted');
select is((select count(*)::integer from crm.activity_edges where project_id = tests.an_id('project'))
          + (select count(*)::integer from crm.user_activity where project_id = tests.an_id('project')), 0,
  'its user_activity and activity_edges rows go with it');

select * from finish();
rollback;
