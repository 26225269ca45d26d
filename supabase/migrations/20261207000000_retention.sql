-- Who comes back: cohort retention, the retention curve, stickiness and lifecycle, all
-- from crm.user_days (one row per user per active day) under the report contract
-- (p_from, p_to, p_filter), sampled as the acquisition reports are.

/** The first day of the week (ISO, Monday) or month of p_day. */
create function crm.period_start(p_day date, p_period text) returns date
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it (a call per row cost ~5 µs).
as $$ select pg_catalog.date_trunc(p_period, p_day::timestamp)::date $$;

/** Whole periods from the period starting p_a to the one starting p_b. */
create function crm.periods_between(p_a date, p_b date, p_period text) returns integer
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it.
as $$
  select case p_period
    when 'week' then (p_b - p_a) / 7
    else (pg_catalog.date_part('year', p_b::timestamp)::integer - pg_catalog.date_part('year', p_a::timestamp)::integer) * 12
         + pg_catalog.date_part('month', p_b::timestamp)::integer - pg_catalog.date_part('month', p_a::timestamp)::integer
  end
$$;

/** Raises 22023 unless p_period is week or month. */
create function crm.check_period(p_period text) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_period is null or p_period not in ('week', 'month') then
    raise exception 'p_period must be week or month (got %)', coalesce(p_period, 'null') using errcode = '22023';
  end if;
end;
$$;

/**
 * The user_days.steps bits of an event (null: null). crm.user_days keeps, per day, the
 * events of the project's funnel, so those are the events a retention report can start
 * or return on; any other name is 22023.
 */
create function crm.retention_event_mask(p_project_id uuid, p_event text, p_param text) returns integer
language plpgsql stable
set search_path = ''
as $$
declare
  v_mask integer;
begin
  if p_event is null then
    return null;
  end if;
  select bit_or(1 << (f.step_order - 1)) into v_mask
  from crm.funnel_steps f where f.project_id = p_project_id and f.event_name = p_event;
  if v_mask is null then
    raise exception '% must be one of the funnel''s events (%), which are kept per day (got "%")', p_param,
      (select string_agg(f.event_name, ', ' order by f.step_order) from crm.funnel_steps f where f.project_id = p_project_id),
      p_event using errcode = '22023';
  end if;
  return v_mask;
end;
$$;

/**
 * The members of a project's cohorts: each user whose start (their first day; with
 * p_start, a mask of user_days.steps, their first day in the range with that event) falls
 * in [p_from, p_to] on a user_days row that passes the filter, with that day and its
 * week or month. Users of sample buckets below p_buckets.
 */
create function crm.cohort_members(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_period text,
                                   p_start integer, p_buckets integer)
returns table (user_id uuid, day date, cohort date)
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$
  select d.user_id, min(d.day), crm.period_start(min(d.day), p_period)
  from crm.filtered_user_days(p_project_id, p_from, p_to, p_filter, p_buckets) d
  where case when p_start is null then d.new_user else d.steps & p_start <> 0 end
  group by d.user_id
$$;

/** The first day of the period p_offset periods after the one starting p_start. */
create function crm.period_after(p_start date, p_offset integer, p_period text) returns date
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it.
as $$ select (p_start + p_offset * case p_period when 'week' then interval '1 week' else interval '1 month' end)::date $$;

/**
 * Cohorts of the range: the users whose start (their first day, or with p_start_event
 * their first day in the range with that event) falls in [p_from, p_to] on a user_days row
 * that passes the filter, grouped by the week or month of that day; the latest p_cohorts.
 * Per cohort, its size and per period offset 0..n (n: up to the period of p_to) the users
 * active then (any day, or with p_return_event a day with that event) and their share in
 * % (one decimal). p_segment is the filter's segment, kept for callers of the first version.
 */
create function public.get_retention_cohorts(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                             p_period text default 'week', p_cohorts integer default 8,
                                             p_start_event text default null, p_return_event text default null,
                                             p_segment text default null)
returns table (cohort_start date, cohort_size integer, retained integer[], retained_pct numeric[], sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_filter jsonb := p_filter;
  v_start integer;
  v_return integer;
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_period(p_period);
  if p_cohorts is null or p_cohorts not between 1 and 52 then
    raise exception 'p_cohorts must be between 1 and 52' using errcode = '22023';
  end if;
  if p_segment is not null then
    if p_filter ? 'segment' and p_filter ->> 'segment' <> p_segment then
      raise exception 'p_segment and p_filter''s segment differ' using errcode = '22023';
    end if;
    v_filter := p_filter || jsonb_build_object('segment', p_segment);
    perform crm.check_report_args(p_from, p_to, v_filter);
  end if;
  v_start := crm.retention_event_mask(p_project_id, p_start_event, 'p_start_event');
  v_return := crm.retention_event_mask(p_project_id, p_return_event, 'p_return_event');
  v_buckets := crm.user_days_sample_buckets(p_project_id, p_from, p_to, v_filter);
  return query
  with members as (
    select * from crm.cohort_members(p_project_id, p_from, p_to, v_filter, p_period, v_start, v_buckets)
  ), kept as (
    select c.cohort from (select distinct m.cohort from members m) c order by c.cohort desc limit p_cohorts
  ), active as (
    -- a member's activity from their start to p_to, whatever the filter (it chose the cohort)
    select distinct m.cohort, m.user_id, crm.periods_between(m.cohort, crm.period_start(d.day, p_period), p_period) as k
    from members m
    join kept using (cohort)
    join crm.user_days d on d.project_id = p_project_id and d.user_id = m.user_id and d.day between m.day and p_to
      and d.sample < v_buckets
    where v_return is null or d.steps & v_return <> 0
  ), sizes as (
    select m.cohort, count(*) as size from members m join kept using (cohort) group by m.cohort
  ), counts as (
    select a.cohort, a.k, count(*) as n from active a group by a.cohort, a.k
  )
  select s.cohort, crm.sample_scale(s.size, v_buckets),
         array_agg(crm.sample_scale(coalesce(c.n, 0), v_buckets) order by g.k),
         array_agg(round(100.0 * coalesce(c.n, 0) / s.size, 1) order by g.k),
         crm.sample_rate(v_buckets)
  from sizes s
  cross join lateral generate_series(0, crm.periods_between(s.cohort, crm.period_start(p_to, p_period), p_period)) g(k)
  left join counts c on c.cohort = s.cohort and c.k = g.k
  group by s.cohort, s.size
  order by s.cohort;
end;
$$;
grant execute on function public.get_retention_cohorts(uuid, date, date, jsonb, text, integer, text, text, text)
  to authenticated, service_role;

/**
 * The cohort table of get_retention_cohorts (same arguments) as CSV (RFC 4180, CRLF,
 * cells through crm.csv_row): cohort_start, cohort_size, then one column per period
 * offset (week_0 … or month_0 …) holding "count (pct%)"; a younger cohort's later
 * offsets are empty. Viewer, as the report.
 */
create function public.export_retention_cohorts_csv(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                                    p_period text default 'week', p_cohorts integer default 8,
                                                    p_start_event text default null, p_return_event text default null,
                                                    p_segment text default null)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  return (
    with c as (
      select * from public.get_retention_cohorts(p_project_id, p_from, p_to, p_filter, p_period, p_cohorts,
                                                 p_start_event, p_return_event, p_segment)
    ), w as (
      select coalesce(max(cardinality(c.retained)), 0) as n from c
    )
    select crm.csv_row(array['cohort_start', 'cohort_size']
                       || array(select p_period || '_' || k from w, generate_series(0, w.n - 1) k order by k)) || E'\r\n'
        || coalesce((select string_agg(crm.csv_row(array[c.cohort_start::text, c.cohort_size::text]
                                                   || array(select case when k <= cardinality(c.retained)
                                                                        then c.retained[k] || ' (' || trim_scale(c.retained_pct[k]) || '%)'
                                                                        else '' end
                                                            from w, generate_series(1, w.n) k order by k)),
                                       E'\r\n' order by c.cohort_start) || E'\r\n'
                     from c), ''));
end;
$$;
grant execute on function public.export_retention_cohorts_csv(uuid, date, date, jsonb, text, integer, text, text, text)
  to authenticated, service_role;

/**
 * The members of one cohort (p_cohort_start, as get_retention_cohorts returns it) who
 * were active in period p_period_offset after it (0: the whole cohort), with the same
 * arguments as get_retention_cohorts; never sampled. Newest first seen first, paged.
 */
create function public.list_retention_cohort_users(p_project_id uuid, p_from date, p_to date, p_cohort_start date,
                                                   p_period_offset integer default 0, p_filter jsonb default '{}',
                                                   p_period text default 'week', p_start_event text default null,
                                                   p_return_event text default null, p_limit integer default 50,
                                                   p_offset integer default 0)
returns table (id uuid, external_id text, email text, name text, segment text, first_seen_at timestamptz,
               last_seen_at timestamptz, total_count bigint)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_start integer;
  v_return integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_period(p_period);
  if p_cohort_start is null or p_cohort_start <> crm.period_start(p_cohort_start, p_period) then
    raise exception 'p_cohort_start must be the first day of a %', p_period using errcode = '22023';
  end if;
  if p_period_offset is null or p_period_offset < 0 then
    raise exception 'p_period_offset must be 0 or more' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 1000 or p_offset is null or p_offset < 0 then
    raise exception 'p_limit must be 1 to 1000 and p_offset >= 0' using errcode = '22023';
  end if;
  v_start := crm.retention_event_mask(p_project_id, p_start_event, 'p_start_event');
  v_return := crm.retention_event_mask(p_project_id, p_return_event, 'p_return_event');
  return query
  with members as (
    -- a first day is a new_user row, so by first day only the cohort's own period is read
    select m.user_id, m.day
    from crm.cohort_members(p_project_id,
                            case when v_start is null then greatest(p_from, p_cohort_start) else p_from end,
                            least(p_to, crm.period_after(p_cohort_start, 1, p_period) - 1),
                            p_filter, p_period, v_start, 64) m
    where m.cohort = p_cohort_start
  ), picked as (
    select m.user_id from members m
    where exists (
      select from crm.user_days d
      where d.project_id = p_project_id and d.user_id = m.user_id and d.sample = crm.sample_bucket(m.user_id)
        and d.day between greatest(m.day, crm.period_after(p_cohort_start, p_period_offset, p_period))
                      and least(crm.period_after(p_cohort_start, p_period_offset + 1, p_period) - 1, p_to)
        and (v_return is null or d.steps & v_return <> 0))
  )
  select u.id, u.external_id, u.email, u.name, u.segment::text, u.first_seen_at, u.last_seen_at, count(*) over ()
  from picked p
  join crm.site_users u on u.project_id = p_project_id and u.id = p.user_id
  order by u.first_seen_at desc, u.id desc
  limit p_limit offset p_offset;
end;
$$;
grant execute on function public.list_retention_cohort_users(uuid, date, date, date, integer, jsonb, text, text, text, integer, integer)
  to authenticated, service_role;

/**
 * The retention curve of the people first seen in the range on a user_days row that
 * passes the filter: for day 1, 7, 14 and 30, of those whose first day is at least that
 * many days before today (eligible), the share active on that day after their first or
 * any later day (retained; one decimal).
 */
create function public.get_retention_curve(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}')
returns table (day_n integer, eligible integer, retained integer, retained_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  v_buckets := crm.user_days_sample_buckets(p_project_id, p_from, p_to, p_filter);
  return query
  with firsts as (
    select distinct d.user_id, d.day
    from crm.filtered_user_days(p_project_id, p_from, p_to, p_filter, v_buckets) d
    where d.new_user
  ), last_seen as (
    -- each newcomer's last active day up to today
    select f.user_id, f.day, max(d.day) as last_day
    from firsts f
    join crm.user_days d on d.project_id = p_project_id and d.user_id = f.user_id and d.day >= f.day and d.sample < v_buckets
    group by f.user_id, f.day
  )
  select n.n,
         crm.sample_scale(count(l.user_id) filter (where l.day + n.n <= crm.utc_today()), v_buckets),
         crm.sample_scale(count(l.user_id) filter (where l.day + n.n <= crm.utc_today() and l.last_day >= l.day + n.n), v_buckets),
         coalesce(round(100.0 * count(l.user_id) filter (where l.day + n.n <= crm.utc_today() and l.last_day >= l.day + n.n)
                        / nullif(count(l.user_id) filter (where l.day + n.n <= crm.utc_today()), 0), 1), 0),
         crm.sample_rate(v_buckets)
  from unnest(array[1, 7, 14, 30]) n(n)
  left join last_seen l on true
  group by n.n
  order by n.n;
end;
$$;
grant execute on function public.get_retention_curve(uuid, date, date, jsonb) to authenticated, service_role;

/**
 * Stickiness per day of the range: users active that day (dau), in the 7 days ending then
 * (wau) and in the 30 days ending then (mau), on user_days rows that pass the filter, and
 * dau / mau in % (one decimal).
 */
create function public.get_stickiness(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}')
returns table (day date, dau integer, wau integer, mau integer, dau_mau_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  v_buckets := crm.user_days_sample_buckets(p_project_id, p_from - 29, p_to, p_filter);
  return query
  with rows as (
    select d.user_id, d.day, d.day - lag(d.day) over (partition by d.user_id order by d.day) as gap
    from crm.filtered_user_days(p_project_id, p_from - 29, p_to, p_filter, v_buckets) d
  ), windows as (
    -- a user counts in the w-day window ending on day x when active in x-w+1..x: each run
    -- of days with gaps under w covers its first day to its last day + w - 1
    select w.w, r.user_id, r.day,
           sum(case when r.gap is null or r.gap >= w.w then 1 else 0 end)
             over (partition by w.w, r.user_id order by r.day) as run
    from rows r cross join (values (7), (30)) w(w)
  ), runs as (
    select x.w, min(x.day) as first_day, max(x.day) + x.w - 1 as last_day
    from windows x group by x.w, x.user_id, x.run
  ), edges as (
    select r.w, r.first_day as day, 1 as delta from runs r
    union all
    select r.w, r.last_day + 1, -1 from runs r
  ), counts as (
    -- users in the window on each day where the count changes: a running sum of the edges
    select e.w, e.day, sum(sum(e.delta)) over (partition by e.w order by e.day) as n
    from edges e group by e.w, e.day
  ), dau as (
    select r.day, count(*) as n from rows r group by r.day
  ), per_day as (
    select g.day::date as day, d.n as dau,
           (select c.n from counts c where c.w = 7 and c.day <= g.day::date order by c.day desc limit 1) as wau,
           (select c.n from counts c where c.w = 30 and c.day <= g.day::date order by c.day desc limit 1) as mau
    from generate_series(p_from, p_to, interval '1 day') g(day)
    left join dau d on d.day = g.day::date
  )
  select p.day, crm.sample_scale(coalesce(p.dau, 0), v_buckets), crm.sample_scale(coalesce(p.wau, 0), v_buckets),
         crm.sample_scale(coalesce(p.mau, 0), v_buckets),
         coalesce(round(100.0 * coalesce(p.dau, 0) / nullif(p.mau, 0), 1), 0), crm.sample_rate(v_buckets)
  from per_day p
  order by p.day;
end;
$$;
grant execute on function public.get_stickiness(uuid, date, date, jsonb) to authenticated, service_role;

/**
 * Lifecycle of the last p_periods weeks or months (ending with the current one), on
 * user_days rows that pass the filter: per period, new users (first seen in it),
 * returning (active in it and in the period before), resurrecting (active in it, not in
 * the period before, first seen earlier) and dormant (active in the period before, not in
 * it; a count, shown below the axis by the dashboard).
 */
create function public.get_lifecycle(p_project_id uuid, p_period text default 'week', p_periods integer default 12,
                                     p_filter jsonb default '{}')
returns table (period_start date, new_users integer, returning_users integer, resurrecting_users integer,
               dormant_users integer, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_last date;
  v_first date;
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_period(p_period);
  if p_periods is null or p_periods not between 1 and 52 then
    raise exception 'p_periods must be between 1 and 52' using errcode = '22023';
  end if;
  v_last := crm.period_start(crm.utc_today(), p_period);
  -- one period more than shown: the first one's "period before"
  v_first := (v_last - (p_periods * (case p_period when 'week' then interval '1 week' else interval '1 month' end)))::date;
  perform crm.check_report_args(v_first, crm.utc_today(), p_filter);
  v_buckets := crm.user_days_sample_buckets(p_project_id, v_first, crm.utc_today(), p_filter);
  return query
  with act as (
    select d.user_id, crm.period_start(d.day, p_period) as p, bool_or(d.new_user) as new
    from crm.filtered_user_days(p_project_id, v_first, crm.utc_today(), p_filter, v_buckets) d
    group by d.user_id, crm.period_start(d.day, p_period)
  ), flags as (
    -- each active period of a user with the one before and after it
    select a.p, a.new, lag(a.p) over w as prev_p, lead(a.p) over w as next_p
    from act a
    window w as (partition by a.user_id order by a.p)
  ), periods as (
    select g.p::date as p, lag(g.p::date) over (order by g.p) as before
    from generate_series(v_first, v_last, case p_period when 'week' then interval '1 week' else interval '1 month' end) g(p)
  )
  select x.p,
         crm.sample_scale(count(*) filter (where f.p = x.p and f.new), v_buckets),
         crm.sample_scale(count(*) filter (where f.p = x.p and not f.new and f.prev_p = x.before), v_buckets),
         crm.sample_scale(count(*) filter (where f.p = x.p and not f.new and f.prev_p is distinct from x.before), v_buckets),
         crm.sample_scale(count(*) filter (where f.p = x.before and f.next_p is distinct from x.p), v_buckets),
         crm.sample_rate(v_buckets)
  from periods x
  left join flags f on f.p in (x.p, x.before)
  where x.before is not null
  group by x.p
  order by x.p;
end;
$$;
grant execute on function public.get_lifecycle(uuid, text, integer, jsonb) to authenticated, service_role;

-- Every retention report runs with the report settings.
select crm.set_report_settings(array[
  'public.get_retention_cohorts(uuid, date, date, jsonb, text, integer, text, text, text)',
  'public.get_retention_curve(uuid, date, date, jsonb)', 'public.get_stickiness(uuid, date, date, jsonb)',
  'public.get_lifecycle(uuid, text, integer, jsonb)',
  'public.list_retention_cohort_users(uuid, date, date, date, integer, jsonb, text, text, text, integer, integer)']::regprocedure[]);
