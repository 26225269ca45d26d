-- Analytics at scale (measured with `npm run bench:analytics`, 10M events): the live
-- parts of get_crm_metrics and of today's row in get_daily_active_users read only what
-- happened since the last 5-minute refresh.
-- * crm.metrics_rollup also keeps last week's online and new users (the figures a week
--   ago barely move in 5 minutes).
-- * today in get_daily_active_users = today's crm.daily_user_stats row (written by
--   crm-analytics-refresh) + the sessions started since it was computed; users who
--   already had a session earlier today are not counted twice. New users today are
--   counted live. Without a row of at most 15 minutes, today is computed in full.

alter table crm.metrics_rollup
  add column online_last_week bigint not null default 0,
  add column new_last_week bigint not null default 0;
comment on table crm.metrics_rollup is
  'Per project, refreshed every 5 minutes: the number of users first seen before users_cutoff (computed_at - 3 days; total users = this + a live count after it), the churn numerators and denominators of this and last week, and last week''s online and new users, as of computed_at.';

drop function crm.compute_metrics_base(uuid, timestamptz);

/**
 * The expensive part of the metrics, as of p_at: users first seen before p_at - 3 days;
 * churned / churn base of the week ending at p_at and of the week before; users new in
 * [p_at - 14 d, p_at - 7 d); users online at p_at - 7 d (a session started at most a day
 * before it, with activity within the online window before it).
 */
create function crm.compute_metrics_base(p_project_id uuid, p_at timestamptz)
returns table (users_cutoff timestamptz, users_before_cutoff bigint,
               churned_this_week bigint, churn_base_this_week bigint,
               churned_last_week bigint, churn_base_last_week bigint,
               online_last_week bigint, new_last_week bigint)
language sql stable
set search_path = ''
as $$
  with k as (
    select p_at - interval '3 days' as cutoff,
           make_interval(days => crm.project_setting_int(p_project_id, 'churn_after_days', 14)) as d,
           make_interval(mins => crm.project_setting_int(p_project_id, 'online_window_minutes', 5)) as online_window,
           p_at - interval '7 days' as w1, p_at - interval '14 days' as w2
  ), u as (
    select k.cutoff,
           count(u.id) filter (where u.first_seen_at < k.cutoff) as before_cutoff,
           count(u.id) filter (where u.first_seen_at < k.w1 and u.last_seen_at >= k.w1 - k.d and u.last_seen_at < p_at - k.d) as churned_this,
           count(u.id) filter (where u.first_seen_at < k.w1 and u.last_seen_at >= k.w1 - k.d) as base_this,
           count(u.id) filter (where u.first_seen_at < k.w2 and u.last_seen_at >= k.w2 - k.d and u.last_seen_at < k.w1 - k.d) as churned_last,
           count(u.id) filter (where u.first_seen_at < k.w2 and u.last_seen_at >= k.w2 - k.d) as base_last,
           count(u.id) filter (where u.first_seen_at >= k.w2 and u.first_seen_at < k.w1) as new_last
    from k
    left join crm.site_users u on u.project_id = p_project_id
    group by k.cutoff
  ), o as (
    select count(distinct s.user_id) as online_last
    from k, crm.site_sessions s
    where s.project_id = p_project_id
      and s.started_at >= k.w1 - interval '1 day' and s.started_at <= k.w1
      and s.last_activity_at >= k.w1 - k.online_window
  )
  select u.cutoff, u.before_cutoff, u.churned_this, u.base_this, u.churned_last, u.base_last, o.online_last, u.new_last
  from u, o
$$;
revoke execute on function crm.compute_metrics_base(uuid, timestamptz) from public;

/** Recomputes crm.metrics_rollup for one project (now). */
create or replace function crm.refresh_metrics_rollup(p_project_id uuid) returns void
language sql volatile
set search_path = ''
as $$
  insert into crm.metrics_rollup as r (project_id, computed_at, users_cutoff, users_before_cutoff,
    churned_this_week, churn_base_this_week, churned_last_week, churn_base_last_week, online_last_week, new_last_week)
  select p_project_id, now(), m.users_cutoff, m.users_before_cutoff, m.churned_this_week,
         m.churn_base_this_week, m.churned_last_week, m.churn_base_last_week, m.online_last_week, m.new_last_week
  from crm.compute_metrics_base(p_project_id, now()) m
  on conflict (project_id) do update set
    computed_at = excluded.computed_at, users_cutoff = excluded.users_cutoff,
    users_before_cutoff = excluded.users_before_cutoff, churned_this_week = excluded.churned_this_week,
    churn_base_this_week = excluded.churn_base_this_week, churned_last_week = excluded.churned_last_week,
    churn_base_last_week = excluded.churn_base_last_week, online_last_week = excluded.online_last_week,
    new_last_week = excluded.new_last_week
$$;
revoke execute on function crm.refresh_metrics_rollup(uuid) from public;

/**
 * Headline metrics: one row per metric (total_users, online_now, new_this_week,
 * churn_rate) with this week's value, last week's, the change and the change in %.
 * churn_rate is a percentage (change in percentage points; change_pct relative).
 * Total, online and new users are live; churn and last week's online / new users come
 * from crm.metrics_rollup when it is at most 15 minutes old, else are computed live.
 */
create or replace function public.get_crm_metrics(p_project_id uuid)
returns table (metric text, value numeric, last_week numeric, change numeric, change_pct numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := now();
  v_base record;
  v_total bigint;
  v_new bigint;
  v_online bigint;
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  v_since := crm.online_since(p_project_id);

  select r.users_cutoff, r.users_before_cutoff, r.churned_this_week, r.churn_base_this_week,
         r.churned_last_week, r.churn_base_last_week, r.online_last_week, r.new_last_week
  into v_base
  from crm.metrics_rollup r
  where r.project_id = p_project_id and r.computed_at >= v_now - interval '15 minutes';
  if not found then
    select * into v_base from crm.compute_metrics_base(p_project_id, v_now);
  end if;

  -- one index range: users first seen since the cutoff (total) and in the last 7 days (new)
  select v_base.users_before_cutoff + count(*) filter (where u.first_seen_at >= v_base.users_cutoff),
         count(*) filter (where u.first_seen_at >= v_now - interval '7 days')
  into v_total, v_new
  from crm.site_users u
  where u.project_id = p_project_id and u.first_seen_at >= least(v_base.users_cutoff, v_now - interval '7 days');

  select count(distinct s.user_id) into v_online
  from crm.site_sessions s
  where s.project_id = p_project_id and s.is_online and s.last_activity_at >= v_since;

  return query
  with m(ord, metric, value, last_week) as (
    values (1, 'total_users', v_total::numeric, (v_total - v_new)::numeric),
           (2, 'online_now', v_online::numeric, v_base.online_last_week::numeric),
           (3, 'new_this_week', v_new::numeric, v_base.new_last_week::numeric),
           (4, 'churn_rate',
            case when v_base.churn_base_this_week > 0
                 then round(100.0 * v_base.churned_this_week / v_base.churn_base_this_week, 2) else 0 end,
            case when v_base.churn_base_last_week > 0
                 then round(100.0 * v_base.churned_last_week / v_base.churn_base_last_week, 2) else 0 end)
  )
  select m.metric, m.value, m.last_week, m.value - m.last_week,
         case when m.last_week <> 0 then round(100.0 * (m.value - m.last_week) / m.last_week, 1) end
  from m order by m.ord;
end;
$$;
grant execute on function public.get_crm_metrics(uuid) to authenticated, service_role;

/**
 * Daily activity of the last p_days UTC days (1–366), today included: one row per
 * day, oldest first, zero-filled. Past days come from crm.daily_user_stats (kept by
 * the jobs). Today: its stored row when at most 15 minutes old plus the sessions
 * started since it was computed (new users counted live), else computed in full.
 */
create or replace function public.get_daily_active_users(p_project_id uuid, p_days integer default 30)
returns table (day date, active_users integer, new_users integer, sessions integer, page_views integer,
               avg_session_seconds numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_today date := crm.utc_today();
  v_stored crm.daily_user_stats;
  v_live record;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_days is null or p_days not between 1 and 366 then
    raise exception 'p_days must be between 1 and 366' using errcode = '22023';
  end if;

  select * into v_stored from crm.daily_user_stats d
  where d.project_id = p_project_id and d.day = v_today and d.updated_at >= now() - interval '15 minutes';
  if found then
    select (v_stored.active_users + count(distinct s.user_id) filter (where not exists (
              select from crm.site_sessions e
              where e.project_id = p_project_id and e.user_id = s.user_id
                and e.started_at >= crm.utc_day_start(v_today) and e.started_at < v_stored.updated_at)))::integer as active_users,
           (select count(*) from crm.site_users u where u.project_id = p_project_id
              and u.first_seen_at >= crm.utc_day_start(v_today) and u.first_seen_at < crm.utc_day_start(v_today + 1))::integer as new_users,
           (v_stored.sessions + count(*))::integer as sessions,
           (v_stored.page_views + coalesce(sum(s.page_views), 0))::integer as page_views,
           coalesce(round((v_stored.avg_session_seconds * v_stored.sessions
                          + coalesce(sum(extract(epoch from greatest(coalesce(s.ended_at, s.last_activity_at) - s.started_at, interval '0'))), 0))
                         / nullif(v_stored.sessions + count(*), 0), 1), 0) as avg_session_seconds
    into v_live
    from crm.site_sessions s
    where s.project_id = p_project_id and s.started_at >= v_stored.updated_at and s.started_at < crm.utc_day_start(v_today + 1);
  else
    select c.active_users, c.new_users, c.sessions, c.page_views, c.avg_session_seconds into v_live
    from crm.compute_daily_stats(p_project_id, v_today) c;
  end if;

  return query
  select g.day::date,
         coalesce(d.active_users, 0), coalesce(d.new_users, 0), coalesce(d.sessions, 0),
         coalesce(d.page_views, 0), coalesce(d.avg_session_seconds, 0)
  from generate_series(v_today - (p_days - 1), v_today - 1, interval '1 day') as g(day)
  left join crm.daily_user_stats d on d.project_id = p_project_id and d.day = g.day::date
  union all
  select v_today, v_live.active_users, v_live.new_users, v_live.sessions, v_live.page_views, v_live.avg_session_seconds
  order by 1;
end;
$$;
grant execute on function public.get_daily_active_users(uuid, integer) to authenticated, service_role;

/**
 * CSV (RFC 4180, CRLF, header row) of site users, optionally of one segment, by
 * default only those online now. Admin. Cells starting with = + - @ tab or CR are
 * prefixed with ' (formula injection), numbers excepted. Online sessions are read
 * once (partial is_online index), not per user.
 */
create or replace function public.export_site_users_csv(p_project_id uuid, p_segment text default null,
                                                        p_online_only boolean default true)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  v_since := crm.online_since(p_project_id);
  return (
    with online as (
      select s.user_id, (array_agg(s.current_page order by s.last_activity_at desc))[1] as current_page
      from crm.site_sessions s
      where s.project_id = p_project_id and s.is_online and s.last_activity_at >= v_since
      group by s.user_id
    )
    select string_agg(line, E'\r\n' order by ord, first_seen_at desc, id desc) || E'\r\n'
    from (
      select 0 as ord, null::timestamptz as first_seen_at, null::uuid as id,
             crm.csv_row(array['id', 'external_id', 'email', 'name', 'segment', 'verified', 'first_seen_at',
                               'last_seen_at', 'sessions', 'page_views', 'events', 'online', 'current_page']) as line
      union all
      select 1, u.first_seen_at, u.id, crm.csv_row(array[
        u.id::text, u.external_id, u.email, u.name, u.segment, u.verified::text,
        to_char(u.first_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(u.last_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        u.sessions_count::text, u.pageviews_count::text, u.events_count::text,
        (o.user_id is not null)::text, o.current_page])
      from crm.site_users u
      left join online o on o.user_id = u.id
      where u.project_id = p_project_id
        and (p_segment is null or u.segment = p_segment)
        and (not coalesce(p_online_only, true) or o.user_id is not null)
    ) t);
end;
$$;
grant execute on function public.export_site_users_csv(uuid, text, boolean) to authenticated, service_role;

-- The 5-minute refresh aggregates per user over up to 90 days of events: give it room
-- to hash in memory instead of spilling to disk (only these functions, only then).
alter function crm.refresh_funnel_rollup(uuid) set work_mem = '128MB';
alter function crm.refresh_metrics_rollup(uuid) set work_mem = '64MB';

/**
 * Funnel of a project over events in [p_from, p_to): a user counts at step n when
 * they have events of steps 1..n in that order (each at or after the previous one;
 * strictly after when two consecutive steps share an event). Greedy: the earliest
 * qualifying event of each step is taken, which finds every user with such a chain.
 * Each step reads its events in the window once (materialized) and hash-joins them
 * to the users still in the funnel: never one index probe per user.
 */
create or replace function crm.compute_funnel(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (step_order integer, name text, event_name text, users bigint)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_prev_event text;
  v_users uuid[];
  v_times timestamptz[];
begin
  for v_step in
    select f.step_order, f.name, f.event_name from crm.funnel_steps f
    where f.project_id = p_project_id order by f.step_order
  loop
    if v_prev_event is null then
      select coalesce(array_agg(x.user_id), '{}'), coalesce(array_agg(x.t), '{}')
      into v_users, v_times
      from (
        select e.user_id, min(e.occurred_at) as t
        from crm.user_events e
        where e.project_id = p_project_id and e.occurred_at >= p_from and e.occurred_at < p_to
          and case when v_step.event_name = 'pageview' then e.type = 'pageview'
                   else e.type = 'event' and e.name = v_step.event_name end
        group by e.user_id) x;
    elsif cardinality(v_users) > 0 then
      with prev as materialized (
        select p.user_id, p.t0 from unnest(v_users, v_times) as p(user_id, t0)
      ), ev as materialized (
        select e.user_id, e.occurred_at
        from crm.user_events e
        where e.project_id = p_project_id and e.occurred_at >= p_from and e.occurred_at < p_to
          and case when v_step.event_name = 'pageview' then e.type = 'pageview'
                   else e.type = 'event' and e.name = v_step.event_name end
      )
      select coalesce(array_agg(x.user_id), '{}'), coalesce(array_agg(x.t), '{}')
      into v_users, v_times
      from (
        select prev.user_id, min(ev.occurred_at) as t
        from prev
        join ev on ev.user_id = prev.user_id
         and (ev.occurred_at > prev.t0 or (ev.occurred_at = prev.t0 and v_step.event_name <> v_prev_event))
        group by prev.user_id) x;
    end if;
    v_prev_event := v_step.event_name;
    step_order := v_step.step_order;
    name := v_step.name;
    event_name := v_step.event_name;
    users := coalesce(cardinality(v_users), 0);
    return next;
  end loop;
end;
$$;
revoke execute on function crm.compute_funnel(uuid, timestamptz, timestamptz) from public;
