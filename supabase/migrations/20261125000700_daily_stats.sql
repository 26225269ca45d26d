-- Daily stats: one row per project and UTC day (active and new users, sessions, page
-- views, average session length, signups, conversions), kept by the jobs, and the DAU
-- chart that reads it. All days are UTC days.

create table crm.daily_user_stats (
  project_id uuid not null references crm.projects (id) on delete cascade,
  day date not null,
  active_users integer not null default 0,
  new_users integer not null default 0,
  sessions integer not null default 0,
  page_views integer not null default 0,
  avg_session_seconds numeric not null default 0,
  signups integer not null default 0,
  conversions integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (project_id, day)
);
comment on table crm.daily_user_stats is 'Daily rollup per project (UTC days): active/new users, sessions, page views, average session length, signups, conversions.';
alter table crm.daily_user_stats enable row level security;

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
