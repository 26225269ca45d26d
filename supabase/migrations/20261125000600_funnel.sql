-- Funnel: the ordered steps a project counts (visitors → signup → active → paid by
-- default), their conversion over a window of days, and its 5-minute rollup.

create table crm.funnel_steps (
  project_id uuid not null references crm.projects (id) on delete cascade,
  step_order integer not null check (step_order >= 1),
  name text not null check (length(name) between 1 and 128),
  event_name text not null check (length(event_name) between 1 and 128),
  primary key (project_id, step_order)
);
comment on table crm.funnel_steps is 'Ordered funnel of a project: a step is reached by an event whose name (or type, for pageview) equals event_name.';

/** Trigger: every new project gets the default funnel Bezoekers → Signup → Actief → Betaald. */
create function crm.projects_default_funnel() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into crm.funnel_steps (project_id, step_order, name, event_name)
  values (new.id, 1, 'Bezoekers', 'pageview'),
         (new.id, 2, 'Signup', 'signup'),
         (new.id, 3, 'Actief', 'activated'),
         (new.id, 4, 'Betaald', 'payment_success');
  return null;
end;
$$;
revoke execute on function crm.projects_default_funnel() from public;

create trigger projects_default_funnel
  after insert on crm.projects
  for each row execute function crm.projects_default_funnel();

alter table crm.funnel_steps enable row level security;

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
alter table crm.funnel_rollup enable row level security;

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
