-- The 5-minute funnel refresh reads the first step's events once for all three
-- windows (7, 30, 90 days): each user's earliest first-step event after each window's
-- start comes out of one pass over the 90 days, instead of one pass per window.

/**
 * Funnel steps 2..n of a project over events in [p_from, p_to), starting from the
 * users who reached step 1 (p_users) and when (p_times); returns every step, step 1
 * being cardinality(p_users). Same rule as crm.compute_funnel.
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
create or replace function crm.compute_funnel(p_project_id uuid, p_from timestamptz, p_to timestamptz)
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
 * now, the first step's events read once for the three.
 */
create or replace function crm.refresh_funnel_rollup(p_project_id uuid) returns void
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
