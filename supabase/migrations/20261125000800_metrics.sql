-- Headline metrics (total users, online now, new this week, churn) with last week's
-- figures beside them. Definitions: supabase/API.md, "Metric definitions".
--
-- The heavy part (churn over every user, last week's figures) is read from
-- crm.metrics_rollup, which the 5-minute analytics job refreshes; when it is missing or
-- older than 15 minutes it is computed live. The live part reads only narrow index
-- ranges (users first seen since the rollup's cutoff, the partial is_online index).

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
alter table crm.metrics_rollup enable row level security;

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
