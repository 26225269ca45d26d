-- The report filter contract (p_from, p_to, p_filter) on the dashboard's first reports:
-- daily active users, the metric cards and the funnel, each from crm.user_days (sampled as
-- the acquisition reports are) with the previous range beside. PostgREST cannot choose
-- between overloads, so each keeps its one name and takes the contract as optional
-- parameters; called as before (p_days, or nothing), it answers as before: the first
-- versions live on in crm under new names.

-- ---------------------------------------------------------------------------
-- The funnel over days
-- ---------------------------------------------------------------------------

/**
 * One day of a user in the funnel: from step p_reached (0 = none yet), every next step
 * whose bit is in p_steps (a user_days.steps mask) is reached, so on one day the steps
 * count in any order.
 */
create function crm.funnel_advance(p_reached integer, p_steps integer) returns integer
language plpgsql immutable strict parallel safe
set search_path = ''
as $$
begin
  while p_reached < 31 and (p_steps >> p_reached) & 1 = 1 loop
    p_reached := p_reached + 1;
  end loop;
  return p_reached;
end;
$$;

/** The last funnel step a user reached over their user_days steps masks, fed in day order. */
create aggregate crm.funnel_reached(integer) (sfunc = crm.funnel_advance, stype = integer, initcond = '0');

/**
 * The funnel of a range and of the previous range of equal length, over the user_days
 * rows that pass the filter: per step, the users who did steps 1..n on days in that
 * order (steps of one day in any order). Users of sample buckets below p_buckets,
 * scaled to all users. Every step of the project's funnel has a row.
 */
create function crm.user_days_funnel(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_buckets integer default 64)
returns table (step_order integer, users integer, prev_users integer)
language sql stable
-- No SET clause, so that the planner inlines crm.filtered_user_days (every name is qualified).
as $$
  with per_user as (
    select crm.funnel_reached(d.steps order by d.day) filter (where d.day >= p_from) as cur,
           crm.funnel_reached(d.steps order by d.day) filter (where d.day < p_from) as prev
    from crm.filtered_user_days(p_project_id, p_from - (p_to - p_from + 1), p_to, p_filter, p_buckets) d
    group by d.user_id
  ), reached as (
    -- how many users stopped at each step, in each range
    select x.step, count(*) filter (where x.cur) as cur_users, count(*) filter (where not x.cur) as prev_users
    from per_user u
    cross join lateral (values (u.cur, true), (u.prev, false)) x(step, cur)
    where x.step is not null
    group by x.step
  )
  select f.step_order,
         crm.sample_scale(coalesce((select sum(r.cur_users) from reached r where r.step >= f.step_order), 0), p_buckets),
         crm.sample_scale(coalesce((select sum(r.prev_users) from reached r where r.step >= f.step_order), 0), p_buckets)
  from crm.funnel_steps f
  where f.project_id = p_project_id
$$;

/**
 * Rewrites a project's funnel of the preset range of p_days days ending today, kept in
 * crm.acquisition_rollup as dimension 'funnel' (value: the step number; visitors /
 * prev_visitors: its users); returns the rows written.
 */
create function crm.write_preset_funnel(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  delete from crm.acquisition_rollup r where r.project_id = p_project_id and r.range_days = p_days and r.dimension = 'funnel';
  insert into crm.acquisition_rollup
  select p_project_id, p_days, 'funnel', f.step_order::text, f.users, 0, 0, 0, f.prev_users, 0, 0, 0, 0, 0, now()
  from crm.user_days_funnel(p_project_id, crm.utc_today() - (p_days - 1), crm.utc_today(), '{}') f;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

/** A preset now holds its funnel too. */
create or replace function crm.write_preset(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.write_preset_breakdowns(p_project_id, p_days) + crm.write_preset_pages(p_project_id, p_days)
       + crm.write_preset_funnel(p_project_id, p_days);
end;
$$;

alter function public.calculate_funnel_conversion(uuid, integer) rename to funnel_conversion_last_days;
alter function public.funnel_conversion_last_days(uuid, integer) set schema crm;
revoke execute on function crm.funnel_conversion_last_days(uuid, integer) from public, authenticated, service_role;
comment on function crm.funnel_conversion_last_days(uuid, integer) is
  'calculate_funnel_conversion(p_project_id, p_days) as release 0.2.0 had it: the events of the last p_days days, in event order.';

/**
 * Raises 22023 unless the caller gave either p_days (1–366) or a range (p_from, p_to):
 * not both, and a filter only with a range.
 */
create function crm.check_days_or_range(p_days integer, p_from date, p_to date, p_filter jsonb) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_days is not null and (p_from is not null or p_to is not null) then
    raise exception 'give p_days or p_from and p_to, not both' using errcode = '22023';
  end if;
  if p_days is not null and p_days not between 1 and 366 then
    raise exception 'p_days must be between 1 and 366' using errcode = '22023';
  end if;
  if p_days is null and (p_from is not null or p_to is not null or p_filter is distinct from '{}') then
    perform crm.check_report_args(p_from, p_to, p_filter);
  end if;
end;
$$;

/**
 * The funnel. With p_days (default 30) as in release 0.2.0: events of the last p_days
 * days in event order. With the report contract (p_from, p_to, p_filter): over the
 * user_days rows of the range that pass the filter, steps in day order (one day's steps
 * in any order), with the previous range's users beside, sampled as the reports are;
 * preset ranges without a filter come from the rollup.
 */
create function public.calculate_funnel_conversion(p_project_id uuid, p_days integer default null, p_from date default null,
                                                   p_to date default null, p_filter jsonb default '{}')
returns table (step_order integer, name text, event_name text, users bigint, pct_of_first numeric,
               pct_of_previous numeric, drop_off bigint, drop_off_pct numeric, computed_at timestamptz,
               prev_users bigint, users_change_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_buckets integer := 64;
  v_rolled boolean;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_days_or_range(p_days, p_from, p_to, p_filter);
  if p_from is null then
    return query
    select f.step_order, f.name, f.event_name, f.users, f.pct_of_first, f.pct_of_previous, f.drop_off, f.drop_off_pct,
           f.computed_at, null::bigint, null::numeric, crm.sample_rate(64)
    from crm.funnel_conversion_last_days(p_project_id, coalesce(p_days, 30)) f;
    return;
  end if;
  v_rolled := crm.preset_rollup_readable(p_from, p_to, p_filter,
    (select max(r.computed_at) from crm.acquisition_rollup r
     where r.project_id = p_project_id and r.range_days = p_to - p_from + 1 and r.dimension = 'funnel'));
  if not v_rolled then
    v_buckets := crm.user_days_sample_buckets(p_project_id, p_from, p_to, p_filter);
  end if;
  return query
  with f as (
    select r.value::integer as step_order, r.visitors as users, r.prev_visitors as prev_users, r.computed_at
    from crm.acquisition_rollup r
    where v_rolled and r.project_id = p_project_id and r.range_days = p_to - p_from + 1 and r.dimension = 'funnel'
    union all
    select u.step_order, u.users, u.prev_users, now()
    from crm.user_days_funnel(p_project_id, p_from, p_to, p_filter, v_buckets) u
    where not v_rolled
  ), w as (
    select s.step_order, s.name, s.event_name, coalesce(f.users, 0) as users, coalesce(f.prev_users, 0) as prev_users,
           coalesce(f.computed_at, now()) as computed_at,
           first_value(coalesce(f.users, 0)) over (order by s.step_order) as first_users,
           lag(coalesce(f.users, 0)) over (order by s.step_order) as step_before
    from crm.funnel_steps s
    left join f on f.step_order = s.step_order
    where s.project_id = p_project_id
  )
  select w.step_order, w.name, w.event_name, w.users::bigint,
         case when w.first_users > 0 then round(100.0 * w.users / w.first_users, 1) else 0 end,
         case when w.step_before is null then 100.0
              when w.step_before > 0 then round(100.0 * w.users / w.step_before, 1) else 0 end,
         coalesce(w.step_before - w.users, 0)::bigint,
         case when w.step_before > 0 then round(100.0 * (w.step_before - w.users) / w.step_before, 1) else 0 end,
         w.computed_at, w.prev_users::bigint, crm.change_pct(w.users, w.prev_users), crm.sample_rate(v_buckets)
  from w order by w.step_order;
end;
$$;
grant execute on function public.calculate_funnel_conversion(uuid, integer, date, date, jsonb) to authenticated, service_role;

-- A changed funnel rebuilds the steps of every stored day, a week per job run (newest
-- first), so the funnel reports follow it; today and yesterday are rebuilt at once.
create table crm.user_days_rebuild (
  project_id uuid primary key references crm.projects (id) on delete cascade,
  -- the newest day still to rebuild
  through date not null
);
comment on table crm.user_days_rebuild is
  'Projects whose stored user_days are rebuilt a week per crm-user-days run, from through backwards to the retention limit: set when the funnel changes, since user_days keeps each day''s funnel steps.';
alter table crm.user_days_rebuild enable row level security;

/** Trigger: a project's funnel changed. */
create function crm.funnel_steps_rebuild_days() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into crm.user_days_rebuild (project_id, through)
  select distinct c.project_id, crm.utc_today() from changed c
  -- a deleted project takes its steps along; a new one has no days yet
  where exists (select from crm.projects p where p.id = c.project_id)
    and exists (select from crm.user_days d where d.project_id = c.project_id)
  on conflict (project_id) do update set through = excluded.through;
  return null;
end;
$$;

create trigger funnel_steps_rebuild_days_ins after insert on crm.funnel_steps
  referencing new table as changed for each statement execute function crm.funnel_steps_rebuild_days();
create trigger funnel_steps_rebuild_days_del after delete on crm.funnel_steps
  referencing old table as changed for each statement execute function crm.funnel_steps_rebuild_days();

/** Rebuilds the next week of each queued project's days (crm.user_days_rebuild); returns the user_days rows of those days. */
create function crm.rebuild_queued_user_days() returns integer
language plpgsql
set search_path = ''
as $$
declare
  r record;
  v_oldest date;
  v_rows integer := 0;
begin
  for r in select q.project_id, q.through from crm.user_days_rebuild q loop
    v_oldest := crm.utc_today() - crm.project_setting_int(r.project_id, 'retention_days');
    v_rows := v_rows + crm.refresh_user_days(r.project_id, greatest(r.through - 6, v_oldest), r.through);
    if r.through - 7 < v_oldest then
      delete from crm.user_days_rebuild q where q.project_id = r.project_id;
      perform crm.refresh_acquisition_rollup(r.project_id, true);
    else
      update crm.user_days_rebuild q set through = r.through - 7 where q.project_id = r.project_id;
    end if;
  end loop;
  return v_rows;
end;
$$;

/** The crm-user-days job now also works through the queued rebuilds, a week per run. */
create or replace function crm.job_user_days() returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.refresh_recent_user_days() + crm.rebuild_queued_user_days();
end;
$$;

-- ---------------------------------------------------------------------------
-- Daily active users and the metric cards of a range
-- ---------------------------------------------------------------------------

alter function public.get_daily_active_users(uuid, integer) rename to daily_active_users_last_days;
alter function public.daily_active_users_last_days(uuid, integer) set schema crm;
revoke execute on function crm.daily_active_users_last_days(uuid, integer) from public, authenticated, service_role;
comment on function crm.daily_active_users_last_days(uuid, integer) is
  'get_daily_active_users(p_project_id, p_days) as release 0.2.0 had it: the daily stats of the last p_days days, today live.';

/**
 * Per UTC day of the range (p_from, p_to; or with p_days, default 30, the last p_days
 * days): active users, new users, sessions, page views and the average session length,
 * with the same day of the previous range beside (prev_day = day − the range's length).
 * Without a filter from the daily stats (today live); with one from crm.user_days,
 * sampled as the reports are (the average session length is then null).
 */
create function public.get_daily_active_users(p_project_id uuid, p_days integer default null, p_from date default null,
                                              p_to date default null, p_filter jsonb default '{}')
returns table (day date, active_users integer, new_users integer, sessions integer, page_views integer,
               avg_session_seconds numeric, prev_day date, prev_active_users integer, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_from date := coalesce(p_from, crm.utc_today() - (coalesce(p_days, 30) - 1));
  v_to date := coalesce(p_to, crm.utc_today());
  v_len integer;
  v_buckets integer := 64;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_days_or_range(p_days, p_from, p_to, p_filter);
  v_len := v_to - v_from + 1;
  if p_filter = '{}' then
    return query
    with stats as (
      select d.day, d.active_users, d.new_users, d.sessions, d.page_views, d.avg_session_seconds
      from crm.daily_user_stats d
      where d.project_id = p_project_id and d.day between v_from - v_len and least(v_to, crm.utc_today() - 1)
      union all
      -- today as release 0.2.0 counts it: the last refresh plus the sessions since
      select t.day, t.active_users, t.new_users, t.sessions, t.page_views, t.avg_session_seconds
      from crm.daily_active_users_last_days(p_project_id, 1) t
      where crm.utc_today() between v_from - v_len and v_to
    )
    select g.day::date, coalesce(c.active_users, 0), coalesce(c.new_users, 0), coalesce(c.sessions, 0),
           coalesce(c.page_views, 0), coalesce(c.avg_session_seconds, 0), g.day::date - v_len,
           coalesce(p.active_users, 0), crm.sample_rate(64)
    from generate_series(v_from, v_to, interval '1 day') g(day)
    left join stats c on c.day = g.day::date
    left join stats p on p.day = g.day::date - v_len
    order by 1;
  else
    v_buckets := crm.user_days_sample_buckets(p_project_id, v_from, v_to, p_filter);
    return query
    with per_day as (
      select d.day, count(*) as active_users, count(*) filter (where d.new_user) as new_users,
             sum(d.sessions) as sessions, sum(d.page_views) as page_views
      from crm.filtered_user_days(p_project_id, v_from - v_len, v_to, p_filter, v_buckets) d
      group by d.day
    )
    select g.day::date, crm.sample_scale(coalesce(c.active_users, 0), v_buckets),
           crm.sample_scale(coalesce(c.new_users, 0), v_buckets), crm.sample_scale(coalesce(c.sessions, 0), v_buckets),
           crm.sample_scale(coalesce(c.page_views, 0), v_buckets), null::numeric, g.day::date - v_len,
           crm.sample_scale(coalesce(p.active_users, 0), v_buckets), crm.sample_rate(v_buckets)
    from generate_series(v_from, v_to, interval '1 day') g(day)
    left join per_day c on c.day = g.day::date
    left join per_day p on p.day = g.day::date - v_len
    order by 1;
  end if;
end;
$$;
grant execute on function public.get_daily_active_users(uuid, integer, date, date, jsonb) to authenticated, service_role;

alter function public.get_crm_metrics(uuid) rename to crm_metrics_weekly;
alter function public.crm_metrics_weekly(uuid) set schema crm;
revoke execute on function crm.crm_metrics_weekly(uuid) from public, authenticated, service_role;
comment on function crm.crm_metrics_weekly(uuid) is
  'get_crm_metrics(p_project_id) as release 0.2.0 had it: the cards of now against a week ago.';

/**
 * The metric cards. Without a range as in release 0.2.0: total users, online now, new
 * this week, churn … against a week ago (last_week; previous holds the same). With the
 * report contract: visitors, new visitors, sessions, signups and paying users of the
 * range (as the acquisition reports count them) against the previous range (previous;
 * last_week null), sampled as the reports are.
 */
create function public.get_crm_metrics(p_project_id uuid, p_from date default null, p_to date default null,
                                       p_filter jsonb default '{}')
returns table (metric text, value numeric, last_week numeric, change numeric, change_pct numeric, previous numeric,
               sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  r record;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_from is null and p_to is null and p_filter = '{}' then
    return query
    select m.metric, m.value, m.last_week, m.change, m.change_pct, m.last_week, crm.sample_rate(64)
    from crm.crm_metrics_weekly(p_project_id) m;
    return;
  end if;
  perform crm.check_report_args(p_from, p_to, p_filter);
  select * into r from crm.acquisition_report(p_project_id, p_from, p_to, p_filter, 'total', 1);
  return query
  select m.metric, m.value::numeric, null::numeric, (m.value - m.previous)::numeric,
         crm.change_pct(m.value, m.previous), m.previous::numeric, coalesce(r.sample_rate, 1)
  from (values (1, 'visitors', coalesce(r.visitors, 0), coalesce(r.prev_visitors, 0)),
               (2, 'new_visitors', coalesce(r.new_visitors, 0), coalesce(r.prev_new_visitors, 0)),
               (3, 'sessions', coalesce(r.sessions, 0), coalesce(r.prev_sessions, 0)),
               (4, 'signups', coalesce(r.signups, 0), coalesce(r.prev_signups, 0)),
               (5, 'paying', coalesce(r.paying, 0), coalesce(r.prev_paying, 0))) m(n, metric, value, previous)
  order by m.n;
end;
$$;
grant execute on function public.get_crm_metrics(uuid, date, date, jsonb) to authenticated, service_role;

/** CSV (RFC 4180, CRLF, header row) of get_crm_metrics: metric,value,last_week,change,change_pct. Admin. */
create or replace function public.export_crm_metrics_csv(p_project_id uuid)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'admin');
  return crm.csv_row(array['metric', 'value', 'last_week', 'change', 'change_pct']) || E'\r\n'
    || coalesce((select string_agg(crm.csv_row(array[m.metric, m.value::text, m.last_week::text, m.change::text,
                                                     m.change_pct::text]), E'\r\n' order by ord) || E'\r\n'
                 from crm.crm_metrics_weekly(p_project_id) with ordinality as m(metric, value, last_week, change, change_pct, ord)), '');
end;
$$;

-- The presets now hold the totals and the funnel too.
select crm.refresh_acquisition_rollup(p.id, true) from crm.projects p;

/**
 * Gives report RPCs the settings every report runs with: planned per call with its
 * arguments (a key the filter lacks folds away; a cached generic plan once ran a
 * segment-filtered report for 11 minutes), 32 MB to hash a range's users per value in,
 * and no JIT (a third of a second per call at a million users, for queries that run in a
 * tenth of one). A migration that replaces a report calls it again.
 */
create function crm.set_report_settings(p_functions regprocedure[]) returns void
language plpgsql
set search_path = ''
as $$
declare
  f regprocedure;
  v_setting text;
begin
  foreach f in array p_functions loop
    foreach v_setting in array array['plan_cache_mode = force_custom_plan', 'work_mem = ''32MB''', 'jit = off'] loop
      execute format('alter function %s set %s', f, v_setting);
    end loop;
  end loop;
end;
$$;
revoke execute on function crm.set_report_settings(regprocedure[]) from public;

select crm.set_report_settings(array[
  'public.get_traffic_sources(uuid, date, date, jsonb, text, integer)', 'public.get_geo_breakdown(uuid, date, date, jsonb, integer)',
  'public.get_tech_breakdown(uuid, date, date, jsonb, text, integer)', 'public.get_top_pages(uuid, date, date, jsonb, integer)',
  'public.get_daily_active_users(uuid, integer, date, date, jsonb)', 'public.get_crm_metrics(uuid, date, date, jsonb)',
  'public.calculate_funnel_conversion(uuid, integer, date, date, jsonb)',
  'public.list_site_users(uuid, text, text, integer, integer, jsonb, date, date, jsonb)']::regprocedure[]);
