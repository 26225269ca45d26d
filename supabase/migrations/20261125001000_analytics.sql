-- CRM analytics: metrics, daily active users, funnel conversion, the user list and
-- a user's detail, and the daily rollup that feeds them. All days are UTC days.
--
-- Definitions (also in README "Metrics definitions" and supabase/API.md):
-- * total users     = site users of the project now; last week's value = those of
--                     them first seen more than 7 days ago.
-- * online now      = distinct users with an online session (is_online, with activity
--                     within the project's online window, as get_online_users); last week's
--                     value = distinct users with a session that had started and had
--                     activity within the project's online window at now() - 7 days.
-- * new this week   = users first seen in [now - 7 d, now); last week's value the same
--                     for [now - 14 d, now - 7 d).
-- * churn rate      = D = settings.churn_after_days (default 14). A user churns when D
--                     days pass without activity. Churn rate this week = users whose
--                     last activity is in [now - 7 d - D, now - D) (they crossed the line
--                     this week) / users that were first seen before now - 7 d and had
--                     not churned at now - 7 d (last activity >= now - 7 d - D), in %.
--                     Last week's value: the same shifted by 7 days, from current data.
--
-- Heavy parts (churn over every user, the funnel over a window of events) are read
-- from rollups that crm.job_refresh_analytics() refreshes every 5 minutes; when a
-- rollup is missing or older than 15 minutes they are computed live instead.
-- The live parts of get_crm_metrics and of today's row in get_daily_active_users read
-- only what happened since the last 5-minute refresh (measured with
-- `npm run bench:analytics`, 10M events); the funnel refresh reads the first step's
-- events once for all three windows (7, 30, 90 days).
-- No index here touches a column that heartbeats or page views update.
-- Every event index costs crm.ingest an index insert, so there is none by session: no
-- query reads events by session (get_site_user_detail finds a user's page views through
-- user_events (project_id, user_id, occurred_at) from the start of their 20th-last session).

create index site_users_first_seen_idx on crm.site_users (project_id, first_seen_at);
create index site_users_segment_idx on crm.site_users (project_id, segment);
create index user_events_custom_idx on crm.user_events (project_id, name, occurred_at) where type = 'event';

-- ---------------------------------------------------------------------------
-- Rollup tables
-- ---------------------------------------------------------------------------

create table crm.metrics_rollup (
  project_id uuid primary key references crm.projects (id) on delete cascade,
  computed_at timestamptz not null,
  users_cutoff timestamptz not null,
  users_before_cutoff bigint not null,
  churned_this_week bigint not null,
  churn_base_this_week bigint not null,
  churned_last_week bigint not null,
  churn_base_last_week bigint not null,
  online_last_week bigint not null default 0,
  new_last_week bigint not null default 0
);
comment on table crm.metrics_rollup is
  'Per project, refreshed every 5 minutes: the number of users first seen before users_cutoff (computed_at - 3 days; total users = this + a live count after it), the churn numerators and denominators of this and last week, and last week''s online and new users, as of computed_at.';

create table crm.funnel_rollup (
  project_id uuid not null references crm.projects (id) on delete cascade,
  window_days integer not null,
  step_order integer not null,
  name text not null,
  event_name text not null,
  users bigint not null,
  computed_at timestamptz not null,
  primary key (project_id, window_days, step_order)
);
comment on table crm.funnel_rollup is
  'Funnel conversion per project for the windows 7, 30 and 90 days ending at computed_at, refreshed every 5 minutes; set_crm_funnel_steps clears a project''s rows.';

alter table crm.metrics_rollup enable row level security;
alter table crm.funnel_rollup enable row level security;

-- ---------------------------------------------------------------------------
-- Internal helpers
-- ---------------------------------------------------------------------------

/** Start of a UTC day as timestamptz. */
create function crm.utc_day_start(p_day date) returns timestamptz
language sql immutable
set search_path = ''
as $$
  select p_day::timestamp at time zone 'UTC'
$$;
revoke execute on function crm.utc_day_start(date) from public;

/** Today as a UTC date. */
create function crm.utc_today() returns date
language sql stable
set search_path = ''
as $$
  select (now() at time zone 'UTC')::date
$$;
revoke execute on function crm.utc_today() from public;

/**
 * Daily figures of one project and UTC day, computed from the base tables:
 * active users = distinct users with a session started that day; new users = first
 * seen that day; sessions started that day, their page views and average length
 * (last activity or end - start); signups / conversions = distinct users with the
 * funnel's step-2 / last-step event that day.
 */
create function crm.compute_daily_stats(p_project_id uuid, p_day date)
returns table (active_users integer, new_users integer, sessions integer, page_views integer,
               avg_session_seconds numeric, signups integer, conversions integer)
language sql stable
set search_path = ''
as $$
  with b as (
    select crm.utc_day_start(p_day) as t0, crm.utc_day_start(p_day + 1) as t1
  ), s as (
    select count(*)::integer as sessions,
           count(distinct s.user_id)::integer as active_users,
           coalesce(sum(s.page_views), 0)::integer as page_views,
           coalesce(round(avg(extract(epoch from greatest(coalesce(s.ended_at, s.last_activity_at) - s.started_at, interval '0'))), 1), 0) as avg_seconds
    from crm.site_sessions s, b
    where s.project_id = p_project_id and s.started_at >= b.t0 and s.started_at < b.t1
  ), n as (
    select count(*)::integer as new_users
    from crm.site_users u, b
    where u.project_id = p_project_id and u.first_seen_at >= b.t0 and u.first_seen_at < b.t1
  ), steps as (
    select (select f.event_name from crm.funnel_steps f where f.project_id = p_project_id and f.step_order = 2) as signup_event,
           (select f.event_name from crm.funnel_steps f where f.project_id = p_project_id and f.step_order > 1
            order by f.step_order desc limit 1) as conversion_event
  ), e as (
    select count(distinct e.user_id) filter (where e.name = steps.signup_event)::integer as signups,
           count(distinct e.user_id) filter (where e.name = steps.conversion_event)::integer as conversions
    from crm.user_events e, b, steps
    where e.project_id = p_project_id and e.type = 'event'
      and e.name in (steps.signup_event, steps.conversion_event)
      and e.occurred_at >= b.t0 and e.occurred_at < b.t1
  )
  select s.active_users, n.new_users, s.sessions, s.page_views, s.avg_seconds, e.signups, e.conversions
  from s, n, e
$$;
revoke execute on function crm.compute_daily_stats(uuid, date) from public;

/** Upserts crm.daily_user_stats for one project and UTC day from crm.compute_daily_stats. */
create function crm.store_daily_stats(p_project_id uuid, p_day date) returns crm.daily_user_stats
language sql volatile
set search_path = ''
as $$
  insert into crm.daily_user_stats as d (project_id, day, active_users, new_users, sessions, page_views,
                                         avg_session_seconds, signups, conversions, updated_at)
  select p_project_id, p_day, c.active_users, c.new_users, c.sessions, c.page_views,
         c.avg_session_seconds, c.signups, c.conversions, now()
  from crm.compute_daily_stats(p_project_id, p_day) c
  on conflict (project_id, day) do update set
    active_users = excluded.active_users, new_users = excluded.new_users, sessions = excluded.sessions,
    page_views = excluded.page_views, avg_session_seconds = excluded.avg_session_seconds,
    signups = excluded.signups, conversions = excluded.conversions, updated_at = excluded.updated_at
  returning d.*
$$;
revoke execute on function crm.store_daily_stats(uuid, date) from public;

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
           make_interval(days => crm.project_setting_int(p_project_id, 'churn_after_days')) as d,
           make_interval(mins => crm.project_setting_int(p_project_id, 'online_window_minutes')) as online_window,
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

/**
 * Recomputes crm.metrics_rollup for one project (now). work_mem: room to aggregate
 * over every user of the project in memory instead of spilling to disk.
 */
create function crm.refresh_metrics_rollup(p_project_id uuid) returns void
language sql volatile
set search_path = ''
set work_mem = '64MB'
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
 * Funnel steps 2..n of a project over events in [p_from, p_to), starting from the
 * users who reached step 1 (p_users) and when (p_times); returns every step, step 1
 * being cardinality(p_users). Same rule as crm.compute_funnel. Each step reads its
 * events in the window once (materialized) and hash-joins them to the users still in
 * the funnel: never one index probe per user.
 */
create function crm.compute_funnel_from(p_project_id uuid, p_from timestamptz, p_to timestamptz,
                                        p_users uuid[], p_times timestamptz[])
returns table (step_order integer, name text, event_name text, users bigint)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_step record;
  v_prev_event text;
  v_users uuid[] := coalesce(p_users, '{}');
  v_times timestamptz[] := coalesce(p_times, '{}');
begin
  for v_step in
    select f.step_order, f.name, f.event_name from crm.funnel_steps f
    where f.project_id = p_project_id order by f.step_order
  loop
    if v_prev_event is not null and cardinality(v_users) > 0 then
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
    users := cardinality(v_users);
    return next;
  end loop;
end;
$$;
revoke execute on function crm.compute_funnel_from(uuid, timestamptz, timestamptz, uuid[], timestamptz[]) from public;

/**
 * Funnel of a project over events in [p_from, p_to): a user counts at step n when
 * they have events of steps 1..n in that order (each at or after the previous one;
 * strictly after when two consecutive steps share an event). Greedy: the earliest
 * qualifying event of each step is taken, which finds every user with such a chain.
 */
create function crm.compute_funnel(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (step_order integer, name text, event_name text, users bigint)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_first text := (select f.event_name from crm.funnel_steps f where f.project_id = p_project_id order by f.step_order limit 1);
  v_users uuid[];
  v_times timestamptz[];
begin
  select coalesce(array_agg(x.user_id), '{}'), coalesce(array_agg(x.t), '{}')
  into v_users, v_times
  from (
    select e.user_id, min(e.occurred_at) as t
    from crm.user_events e
    where e.project_id = p_project_id and e.occurred_at >= p_from and e.occurred_at < p_to
      and case when v_first = 'pageview' then e.type = 'pageview' else e.type = 'event' and e.name = v_first end
    group by e.user_id) x;
  return query select * from crm.compute_funnel_from(p_project_id, p_from, p_to, v_users, v_times);
end;
$$;
revoke execute on function crm.compute_funnel(uuid, timestamptz, timestamptz) from public;

/**
 * Recomputes crm.funnel_rollup for one project: windows of 7, 30 and 90 days ending
 * now, the first step's events read once for the three (one pass over the 90 days
 * gives each user's earliest first-step event after each window's start). work_mem:
 * room to aggregate per user over up to 90 days of events in memory, not on disk.
 */
create function crm.refresh_funnel_rollup(p_project_id uuid) returns void
language plpgsql volatile
set search_path = ''
set work_mem = '128MB'
as $$
declare
  v_now timestamptz := now();
  v_first text := (select f.event_name from crm.funnel_steps f where f.project_id = p_project_id order by f.step_order limit 1);
  v_users7 uuid[];
  v_times7 timestamptz[];
  v_users30 uuid[];
  v_times30 timestamptz[];
  v_users90 uuid[];
  v_times90 timestamptz[];
begin
  select coalesce(array_agg(x.user_id) filter (where x.t7 is not null), '{}'),
         coalesce(array_agg(x.t7) filter (where x.t7 is not null), '{}'),
         coalesce(array_agg(x.user_id) filter (where x.t30 is not null), '{}'),
         coalesce(array_agg(x.t30) filter (where x.t30 is not null), '{}'),
         coalesce(array_agg(x.user_id), '{}'),
         coalesce(array_agg(x.t90), '{}')
  into v_users7, v_times7, v_users30, v_times30, v_users90, v_times90
  from (
    select e.user_id,
           min(e.occurred_at) filter (where e.occurred_at >= v_now - interval '7 days') as t7,
           min(e.occurred_at) filter (where e.occurred_at >= v_now - interval '30 days') as t30,
           min(e.occurred_at) as t90
    from crm.user_events e
    where e.project_id = p_project_id and e.occurred_at >= v_now - interval '90 days' and e.occurred_at < v_now
      and case when v_first = 'pageview' then e.type = 'pageview' else e.type = 'event' and e.name = v_first end
    group by e.user_id) x;

  delete from crm.funnel_rollup r where r.project_id = p_project_id;
  insert into crm.funnel_rollup (project_id, window_days, step_order, name, event_name, users, computed_at)
  select p_project_id, 7, f.step_order, f.name, f.event_name, f.users, v_now
  from crm.compute_funnel_from(p_project_id, v_now - interval '7 days', v_now, v_users7, v_times7) f
  union all
  select p_project_id, 30, f.step_order, f.name, f.event_name, f.users, v_now
  from crm.compute_funnel_from(p_project_id, v_now - interval '30 days', v_now, v_users30, v_times30) f
  union all
  select p_project_id, 90, f.step_order, f.name, f.event_name, f.users, v_now
  from crm.compute_funnel_from(p_project_id, v_now - interval '90 days', v_now, v_users90, v_times90) f;
end;
$$;
revoke execute on function crm.refresh_funnel_rollup(uuid) from public;

/** Total site users of a project now: rollup count before its cutoff + a live count after it. */
create function crm.total_users(p_project_id uuid) returns bigint
language sql stable
set search_path = ''
as $$
  select case when r.project_id is not null and r.computed_at >= now() - interval '15 minutes' then
           r.users_before_cutoff
           + (select count(*) from crm.site_users u where u.project_id = p_project_id and u.first_seen_at >= r.users_cutoff)
         else (select count(*) from crm.site_users u where u.project_id = p_project_id) end
  from (select p_project_id as id) p
  left join crm.metrics_rollup r on r.project_id = p.id
$$;
revoke execute on function crm.total_users(uuid) from public;

/** RFC 4180 cell: neutralises formula starts (= + - @ tab CR) with a leading quote unless the value is a plain number, then quotes when needed. */
create function crm.csv_cell(p_value text) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when p_value is null then ''
    else (
      with v as (
        select case when p_value ~ '^[=+\-@\t\r]' and p_value !~ '^[+-]?[0-9]+(\.[0-9]+)?$'
                    then '''' || p_value else p_value end as s)
      select case when v.s ~ '[",\r\n]' then '"' || replace(v.s, '"', '""') || '"' else v.s end
      from v)
  end
$$;
revoke execute on function crm.csv_cell(text) from public;

/** One CSV record (no line break) from an array of cell values. */
create function crm.csv_row(p_cells text[]) returns text
language sql immutable
set search_path = ''
as $$
  select string_agg(crm.csv_cell(c), ',' order by i)
  from unnest(p_cells) with ordinality as t(c, i)
$$;
revoke execute on function crm.csv_row(text[]) from public;

-- ---------------------------------------------------------------------------
-- Public RPCs
-- ---------------------------------------------------------------------------

/**
 * Headline metrics: one row per metric (total_users, online_now, new_this_week,
 * churn_rate) with this week's value, last week's, the change and the change in %.
 * churn_rate is a percentage (change in percentage points; change_pct relative).
 * Total, online and new users are live; churn and last week's online / new users come
 * from crm.metrics_rollup when it is at most 15 minutes old, else are computed live.
 */
create function public.get_crm_metrics(p_project_id uuid)
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
            -- nobody could churn last week: no comparison (not a 0 % week)
            case when v_base.churn_base_last_week > 0
                 then round(100.0 * v_base.churned_last_week / v_base.churn_base_last_week, 2) end)
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
create function public.get_daily_active_users(p_project_id uuid, p_days integer default 30)
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
 * Funnel conversion over the last p_days days (1–366): per step its users, % of the
 * first step, % of the previous step and the drop-off from the previous step (users
 * and %). A user
 * counts at step n only after steps 1..n in order within the window. Windows of 7, 30
 * and 90 days are read from crm.funnel_rollup when it is at most 15 minutes old
 * (computed_at says when); otherwise computed live.
 */
create function public.calculate_funnel_conversion(p_project_id uuid, p_days integer default 30)
returns table (step_order integer, name text, event_name text, users bigint, pct_of_first numeric,
               pct_of_previous numeric, drop_off bigint, drop_off_pct numeric, computed_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_days is null or p_days not between 1 and 366 then
    raise exception 'p_days must be between 1 and 366' using errcode = '22023';
  end if;
  return query
  with rolled as (
    select r.step_order, r.name, r.event_name, r.users, r.computed_at
    from crm.funnel_rollup r
    where r.project_id = p_project_id and r.window_days = p_days
      and r.computed_at >= now() - interval '15 minutes'
  ), f as (
    select * from rolled
    union all
    select c.step_order, c.name, c.event_name, c.users, now()
    from crm.compute_funnel(p_project_id, now() - make_interval(days => p_days), now()) c
    where not exists (select from rolled)
  ), w as (
    select f.*, first_value(f.users) over (order by f.step_order) as first_users,
           lag(f.users) over (order by f.step_order) as prev_users
    from f
  )
  select w.step_order, w.name, w.event_name, w.users,
         case when w.first_users > 0 then round(100.0 * w.users / w.first_users, 1) else 0 end,
         case when w.prev_users is null then 100.0
              when w.prev_users > 0 then round(100.0 * w.users / w.prev_users, 1) else 0 end,
         coalesce(w.prev_users - w.users, 0),
         case when w.prev_users > 0 then round(100.0 * (w.prev_users - w.users) / w.prev_users, 1) else 0 end,
         w.computed_at
  from w order by w.step_order;
end;
$$;
grant execute on function public.calculate_funnel_conversion(uuid, integer) to authenticated, service_role;

/**
 * One site user: profile ({user}) and their last 20 sessions, newest first, each with
 * duration, device, browser, os, country, entry page and its pages in order
 * (path, entered_at, seconds on page = until the next page view, or until the
 * session's end / last activity for the last page). Raises PT404 (HTTP 404) for an unknown user.
 */
create function public.get_site_user_detail(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user jsonb;
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  v_since := crm.online_since(p_project_id);
  select jsonb_build_object(
    'id', u.id, 'external_id', u.external_id, 'email', u.email, 'name', u.name, 'segment', u.segment,
    'verified', u.verified, 'metadata', u.metadata, 'first_seen_at', u.first_seen_at,
    'last_seen_at', u.last_seen_at, 'sessions_count', u.sessions_count,
    'pageviews_count', u.pageviews_count, 'events_count', u.events_count,
    'is_online', exists (select from crm.site_sessions s
                         where s.project_id = u.project_id and s.user_id = u.id and s.is_online and s.last_activity_at >= v_since))
  into v_user
  from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;
  if v_user is null then
    raise exception 'site user not found' using errcode = 'PT404';
  end if;
  return jsonb_build_object('user', v_user, 'sessions', coalesce((
    with s as (
      select s.* from crm.site_sessions s
      where s.project_id = p_project_id and s.user_id = p_user_id
      order by s.started_at desc limit 20
    ), pv as (
      select e.session_id, e.page, e.occurred_at,
             lead(e.occurred_at) over (partition by e.session_id order by e.occurred_at, e.id) as next_at
      from crm.user_events e
      where e.project_id = p_project_id and e.user_id = p_user_id and e.type = 'pageview'
        and e.occurred_at >= (select min(s.started_at) - interval '1 minute' from s)
        and e.session_id in (select s.id from s)
    )
    select jsonb_agg(jsonb_build_object(
      'id', s.id, 'started_at', s.started_at, 'last_activity_at', s.last_activity_at, 'ended_at', s.ended_at,
      'duration_seconds', round(extract(epoch from greatest(coalesce(s.ended_at, s.last_activity_at) - s.started_at, interval '0'))),
      'is_online', s.is_online and s.last_activity_at >= v_since, 'device_type', s.device_type, 'browser', s.browser, 'os', s.os,
      'country', s.country, 'referrer', s.referrer, 'entry_page', s.entry_page, 'page_views', s.page_views,
      'pages', coalesce((
        select jsonb_agg(jsonb_build_object(
          'path', pv.page, 'entered_at', pv.occurred_at,
          'seconds', round(extract(epoch from greatest(
             coalesce(pv.next_at, greatest(coalesce(s.ended_at, s.last_activity_at), pv.occurred_at)) - pv.occurred_at, interval '0'))))
          order by pv.occurred_at)
        from pv where pv.session_id = s.id), '[]'::jsonb))
      order by s.started_at desc)
    from s), '[]'::jsonb));
end;
$$;
grant execute on function public.get_site_user_detail(uuid, uuid) to authenticated, service_role;

-- The user list's search: a trigram index, so a substring search stays fast at a
-- million users instead of reading every row of the project (over a second there).
-- site_users counters change on every ingest; they are in no index (updates stay HOT).
create extension if not exists pg_trgm with schema extensions;

/**
 * The text list_site_users searches: email, name and external id, one per line (a
 * search never spans two of them: its line breaks are dropped). Plain SQL, immutable
 * and without a SET clause, so it inlines and site_users_search_idx matches the query.
 */
create function crm.site_user_search_text(p_email text, p_name text, p_external_id text) returns text
language sql immutable parallel safe
as $$
  select coalesce(p_email, '') || E'\n' || coalesce(p_name, '') || E'\n' || coalesce(p_external_id, '')
$$;
revoke execute on function crm.site_user_search_text(text, text, text) from public;

create index site_users_search_idx on crm.site_users
  using gin (crm.site_user_search_text(email, name, external_id) extensions.gin_trgm_ops);

/**
 * The CRM user list: every site user (online or not), newest first (first_seen_at
 * desc), optionally of one segment and/or matching p_search (case-insensitive
 * substring of email, name or external id), paged by p_limit (1–1000) / p_offset.
 * Each row carries total_count, the number of rows matching the filters.
 */
create function public.list_site_users(p_project_id uuid, p_segment text default null, p_search text default null,
                                       p_limit integer default 50, p_offset integer default 0)
returns table (id uuid, external_id text, email text, name text, segment text, verified boolean,
               first_seen_at timestamptz, last_seen_at timestamptz, sessions_count integer,
               pageviews_count integer, events_count integer, is_online boolean, total_count bigint)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_pattern text := case when nullif(trim(replace(p_search, E'\n', '')), '') is not null
    then '%' || replace(replace(replace(trim(replace(p_search, E'\n', '')), '\', '\\'), '%', '\%'), '_', '\_') || '%' end;
  v_total bigint;
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.require_segment(p_segment);
  v_since := crm.online_since(p_project_id);
  if p_limit is null or p_limit not between 1 and 1000 or p_offset is null or p_offset < 0 then
    raise exception 'p_limit must be 1 to 1000 and p_offset >= 0' using errcode = '22023';
  end if;

  -- Planned for this very call (EXECUTE): a null filter folds away, a rare pattern reads
  -- its few matches through site_users_search_idx, a common one walks the newest users
  -- and stops at the page.
  if v_pattern is null and p_segment is null then
    v_total := crm.total_users(p_project_id);
  else
    execute 'select count(*) from crm.site_users u
             where u.project_id = $1 and ($2::text is null or u.segment = $2)
               and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)'
      into v_total using p_project_id, p_segment, v_pattern;
  end if;
  return query execute
    'select u.id, u.external_id, u.email, u.name, u.segment, u.verified, u.first_seen_at, u.last_seen_at,
            u.sessions_count, u.pageviews_count, u.events_count,
            exists (select from crm.site_sessions s
                    where s.project_id = u.project_id and s.user_id = u.id and s.is_online and s.last_activity_at >= $4),
            $5::bigint
     from crm.site_users u
     where u.project_id = $1 and ($2::text is null or u.segment = $2)
       and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)
     order by u.first_seen_at desc, u.id desc
     limit $6 offset $7'
    using p_project_id, p_segment, v_pattern, v_since, v_total, p_limit, p_offset;
end;
$$;
grant execute on function public.list_site_users(uuid, text, text, integer, integer) to authenticated, service_role;

/**
 * CSV (RFC 4180, CRLF, header row) of site users, optionally of one segment, by
 * default only those online now. Admin. Cells starting with = + - @ tab or CR are
 * prefixed with ' (formula injection), numbers excepted. Online sessions are read
 * once (partial is_online index), not per user.
 */
create function public.export_site_users_csv(p_project_id uuid, p_segment text default null,
                                             p_online_only boolean default true)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_segment(p_segment);
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

/** CSV (RFC 4180, CRLF, header row) of get_crm_metrics: metric,value,last_week,change,change_pct. Admin. */
create function public.export_crm_metrics_csv(p_project_id uuid)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'admin');
  return crm.csv_row(array['metric', 'value', 'last_week', 'change', 'change_pct']) || E'\r\n'
    || coalesce((select string_agg(crm.csv_row(array[m.metric, m.value::text, m.last_week::text, m.change::text,
                                                     m.change_pct::text]), E'\r\n' order by ord) || E'\r\n'
                 from public.get_crm_metrics(p_project_id) with ordinality as m(metric, value, last_week, change, change_pct, ord)), '');
end;
$$;
grant execute on function public.export_crm_metrics_csv(uuid) to authenticated, service_role;

/**
 * Recomputes and stores crm.daily_user_stats for one UTC day (not in the future) of
 * a project and returns the stored row. Admin.
 */
create function public.calculate_daily_stats(p_project_id uuid, p_day date)
returns table (day date, active_users integer, new_users integer, sessions integer, page_views integer,
               avg_session_seconds numeric, signups integer, conversions integer, updated_at timestamptz)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_project_exists(p_project_id);
  if p_day is null or p_day > crm.utc_today() or p_day < crm.utc_today() - 3660 then -- (±infinity fail one of them)
    raise exception 'p_day must be a UTC day of the last ten years, up to today' using errcode = '22023';
  end if;
  return query
  select d.day, d.active_users, d.new_users, d.sessions, d.page_views, d.avg_session_seconds,
         d.signups, d.conversions, d.updated_at
  from crm.store_daily_stats(p_project_id, p_day) d;
end;
$$;
grant execute on function public.calculate_daily_stats(uuid, date) to authenticated, service_role;
