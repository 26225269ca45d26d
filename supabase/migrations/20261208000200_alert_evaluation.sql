-- Alert evaluation: what fires the rules. Event-driven kinds fire from triggers on what
-- ingest writes, in ingest's own transaction: `event` from one statement trigger per
-- insert into crm.user_events (the inserted rows as a set, joined with the rules),
-- `segment_change` and `new_user` from row triggers whose WHEN clause passes only the
-- rare rows that changed segment or became identified. Each looks for an enabled rule of
-- its kind first, with one index probe: a project without rules pays nothing per event.
-- Time-driven kinds (`stuck`, `online_threshold`) are evaluated by a minute job.

/** A glob with * as wildcard (path patterns of stuck rules) as a LIKE pattern. */
create function crm.glob_like(p_glob text) returns text
language sql immutable
set search_path = ''
as $$ select replace(replace(replace(replace(p_glob, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%') $$;
revoke execute on function crm.glob_like(text) from public;

/**
 * Whether an event's prop (p_actual: the prop's JSON value, null when absent) meets an
 * event rule's test (crm.alert_op p_op with p_value, and p_value_num when the value is a
 * number): eq / ne compare numbers when both sides are numbers, else text; lt / gt
 * compare numbers only; contains is a case-insensitive substring test. A missing prop
 * meets nothing but ne; no op meets everything. One expression without a SET clause,
 * so the planner inlines it: it runs for every inserted custom event naming a rule's event.
 */
create function crm.alert_props_match(p_op text, p_value text, p_value_num numeric, p_actual jsonb) returns boolean
language sql immutable
as $$
  select case
    when p_op is null then true
    else coalesce(case p_op
      when 'eq' then coalesce(crm.json_number(p_actual) = p_value_num, p_actual #>> '{}' = p_value)
      when 'ne' then not coalesce(crm.json_number(p_actual) = p_value_num, p_actual #>> '{}' = p_value, false)
      when 'lt' then crm.json_number(p_actual) < p_value_num
      when 'gt' then crm.json_number(p_actual) > p_value_num
      when 'contains' then strpos(lower(p_actual #>> '{}'), lower(p_value)) > 0
    end, false)
  end
$$;
revoke execute on function crm.alert_props_match(text, text, numeric, jsonb) from public;

/** How a firing names a user: email, name, external id, or "an anonymous visitor". */
create function crm.alert_who(p_user crm.site_users) returns text
language sql immutable
set search_path = ''
as $$ select coalesce(p_user.email, p_user.name, p_user.external_id, 'an anonymous visitor') $$;
revoke execute on function crm.alert_who(crm.site_users) from public;

/**
 * Statement trigger on crm.user_events: fires the `event` rules the inserted custom
 * events meet. A pair already in its cooldown is dropped here without a lock (ingest's
 * common case: the same visitor again); crm.fire_alerts checks the rest under a lock.
 */
create function crm.alerts_on_events() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_firings crm.alert_firing[];
begin
  if not exists (select from crm.alerts a where a.kind = 'event' and a.enabled) then
    return null;
  end if;
  -- The inserted rows hash-joined with the (few) rules; per hit, index probes for the
  -- cooldown and the user's name as scalar subqueries. (Joined, the planner scanned the
  -- whole of site_users and alert_cooldowns in every statement.) Nothing here can raise:
  -- a prop's number passes crm.json_number's pattern only if the cast takes it.
  v_firings := array(
    select row(a.id, e.user_id::text, e.user_id,
               e.name || coalesce(' (' || a.prop || ' = ' || (e.properties ->> a.prop) || ')', '')
                 || ' by ' || coalesce((select crm.alert_who(u) from crm.site_users u
                                        where u.project_id = e.project_id and u.id = e.user_id), 'an anonymous visitor'),
               jsonb_build_object('event', jsonb_build_object(
                 'name', e.name, 'properties', e.properties, 'page', e.page, 'occurred_at', e.occurred_at,
                 'session_id', e.session_id)))::crm.alert_firing
    from new_events e
    join crm.alerts a on a.kind = 'event' and a.enabled and a.project_id = e.project_id and a.event_name = e.name
    where e.type = 'event' and crm.alert_props_match(a.op, a.value, a.value_num, e.properties -> a.prop)
      and coalesce((select c.fired_at from crm.alert_cooldowns c where c.alert_id = a.id and c.subject = e.user_id::text),
                   '-infinity') <= now() - make_interval(mins => a.cooldown_minutes)
    order by e.occurred_at);
  if cardinality(v_firings) = 0 then
    return null;
  end if;
  -- A subtransaction only when something fires: one in every ingest statement cost
  -- 18–26 % of single-event and heartbeat throughput (one paired bench run).
  begin
    perform crm.fire_alerts(v_firings);
  exception when others then
    -- An alert must never cost an event: ingest goes on, the failure goes to the log.
    raise warning 'alerts: event rules failed (%): %', sqlstate, sqlerrm;
  end;
  return null;
end;
$$;
revoke execute on function crm.alerts_on_events() from public;
create trigger user_events_alerts after insert on crm.user_events
  referencing new table as new_events for each statement execute function crm.alerts_on_events();

/** The `segment_change` firings for users (as they are now) and the segments they had before. */
create function crm.segment_change_firings(p_users crm.site_users[], p_before crm.segment[])
returns crm.alert_firing[]
language sql stable
set search_path = ''
as $$
  select array(
    select row(a.id, (p_users[i]).id::text, (p_users[i]).id,
               crm.alert_who(p_users[i]) || ' went from ' || p_before[i] || ' to ' || (p_users[i]).segment,
               jsonb_build_object('from', p_before[i]::text, 'to', (p_users[i]).segment::text))::crm.alert_firing
    from generate_subscripts(p_users, 1) i
    join crm.alerts a on a.kind = 'segment_change' and a.enabled and a.project_id = (p_users[i]).project_id
    where coalesce(a.condition ->> 'from' = p_before[i]::text, true)
      and coalesce(a.condition ->> 'to' = (p_users[i]).segment::text, true))
$$;
revoke execute on function crm.segment_change_firings(crm.site_users[], crm.segment[]) from public;

/**
 * Row trigger on crm.site_users, only for a changed segment: fires the matching
 * `segment_change` rules. Skipped while vibe.alerts_deferred is on: the nightly churn
 * job fires its changes itself, as one set.
 */
create function crm.alerts_on_segment_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if coalesce(current_setting('vibe.alerts_deferred', true), '') = 'on'
     or not exists (select from crm.alerts a where a.kind = 'segment_change' and a.enabled and a.project_id = new.project_id) then
    return null;
  end if;
  begin
    perform crm.fire_alerts(crm.segment_change_firings(array[new], array[old.segment]));
  exception when others then
    -- An alert must never cost the change that caused it.
    raise warning 'alerts: segment rules failed (%): %', sqlstate, sqlerrm;
  end;
  return null;
end;
$$;
revoke execute on function crm.alerts_on_segment_change() from public;
create trigger site_users_alerts_segment after update of segment on crm.site_users
  for each row when (old.segment is distinct from new.segment) execute function crm.alerts_on_segment_change();

/** Row trigger on crm.site_users, only for a user who just became identified: fires `new_user` rules. */
create function crm.alerts_on_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select from crm.alerts a where a.kind = 'new_user' and a.enabled and a.project_id = new.project_id) then
    return null;
  end if;
  begin
    perform crm.fire_alerts(array(
      select row(a.id, new.id::text, new.id, 'New user: ' || crm.alert_who(new) || ' (' || new.segment || ')',
                 jsonb_build_object('segment', new.segment::text))::crm.alert_firing
      from crm.alerts a
      where a.kind = 'new_user' and a.enabled and a.project_id = new.project_id
        and coalesce(a.condition ->> 'segment' = new.segment::text, true)));
  exception when others then
    raise warning 'alerts: new-user rules failed (%): %', sqlstate, sqlerrm;
  end;
  return null;
end;
$$;
revoke execute on function crm.alerts_on_new_user() from public;
create trigger site_users_alerts_new_insert after insert on crm.site_users
  for each row when (new.email is not null or new.external_id is not null)
  execute function crm.alerts_on_new_user();
-- email / external_id are what make a user identified; the update trigger's column list
-- keeps it off the counter updates ingest makes on every batch.
create trigger site_users_alerts_new_update after update of email, external_id on crm.site_users
  for each row when (old.email is null and old.external_id is null and (new.email is not null or new.external_id is not null))
  execute function crm.alerts_on_new_user();

create table crm.alert_conditions (
  alert_id uuid primary key references crm.alerts (id) on delete cascade,
  since timestamptz not null,
  -- The rule fired (or its cooldown held it) in this episode: once per episode.
  fired boolean not null default false
);
alter table crm.alert_conditions enable row level security;
comment on table crm.alert_conditions is
  'Since when an online_threshold rule''s condition has held, as the minute job saw it, and whether this episode has fired; the row goes when it stops holding or the rule changes.';

create table crm.alert_episodes (
  alert_id uuid not null references crm.alerts (id) on delete cascade,
  subject text not null,
  -- The stuck episode that fired: since when the visitor has been on that page.
  since timestamptz not null,
  primary key (alert_id, subject)
);
alter table crm.alert_episodes enable row level security;
comment on table crm.alert_episodes is
  'The latest stuck episode (page since) a stuck rule fired for, per user: a visitor parked on one page fires once, not every cooldown. Deleted by crm.job_alert_rules once the user is offline.';

/** A changed condition or a paused rule starts its time-based state afresh. */
create function crm.alerts_reset_condition() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from crm.alert_conditions c where c.alert_id = new.id;
  delete from crm.alert_episodes e where e.alert_id = new.id;
  return null;
end;
$$;
revoke execute on function crm.alerts_reset_condition() from public;
create trigger alerts_reset_condition after update on crm.alerts
  for each row when (old.condition is distinct from new.condition or old.enabled is distinct from new.enabled)
  execute function crm.alerts_reset_condition();

/**
 * Every minute: fires `stuck` rules for active visitors (activity in the last 60 s) on
 * one page longer than the rule's minutes, and `online_threshold` rules whose condition
 * has held for their minutes: each once per episode, and an episode that comes due
 * within the cooldown fires once the cooldown has passed. Returns the deliveries made.
 */
create function crm.job_alert_rules() returns integer
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_made integer;
  v_more integer;
begin
  with stuck as (
    select a.id as alert_id, s.user_id, s.id as session_id, s.current_page,
           coalesce(s.current_page_since, s.started_at) as since, crm.alert_who(u) as who
    from crm.alerts a
    join crm.site_sessions s on s.project_id = a.project_id and s.is_online
    join crm.site_users u on u.project_id = s.project_id and u.id = s.user_id
    where a.kind = 'stuck' and a.enabled
      and s.last_activity_at >= now() - interval '60 seconds'
      and coalesce(s.current_page_since, s.started_at) <= now() - make_interval(mins => (a.condition ->> 'minutes')::integer)
      and (a.condition ->> 'path' is null or s.current_page like crm.glob_like(a.condition ->> 'path'))
      and (not (a.condition ->> 'identified_only')::boolean or u.email is not null or u.external_id is not null)
      and coalesce(a.condition ->> 'segment' = u.segment::text, true)
      -- Handled already: this episode, or a later one of the user's other tab.
      and not exists (select from crm.alert_episodes e
                      where e.alert_id = a.id and e.subject = s.user_id::text
                        and e.since >= coalesce(s.current_page_since, s.started_at))
      -- Held by the cooldown: left for when it has passed.
      and coalesce((select c.fired_at from crm.alert_cooldowns c where c.alert_id = a.id and c.subject = s.user_id::text),
                   '-infinity') <= now() - make_interval(mins => a.cooldown_minutes)
  ), noted as (
    insert into crm.alert_episodes as e (alert_id, subject, since)
    select distinct on (stuck.alert_id, stuck.user_id) stuck.alert_id, stuck.user_id::text, stuck.since
    from stuck order by stuck.alert_id, stuck.user_id, stuck.since desc
    on conflict (alert_id, subject) do update set since = greatest(e.since, excluded.since)
  )
  select crm.fire_alerts(array(
    select row(stuck.alert_id, stuck.user_id::text, stuck.user_id,
               stuck.who || ' is stuck on ' || coalesce(stuck.current_page, '?') || ' for '
                 || floor(extract(epoch from now() - stuck.since) / 60) || ' min',
               jsonb_build_object('page', stuck.current_page, 'since', stuck.since, 'session_id', stuck.session_id))::crm.alert_firing
    from stuck order by stuck.since))
  into v_made;
  -- An episode is remembered while its user is online (a kiosk tab may stay for days).
  delete from crm.alert_episodes e using crm.alerts a
  where a.id = e.alert_id
    and not exists (select from crm.site_sessions s where s.project_id = a.project_id and s.is_online and s.user_id::text = e.subject);

  -- One statement: the counts, the state kept since when each condition holds (read
  -- before this statement's own changes, so a new episode starts at now()), and the firing.
  with o as (
    select a.id as alert_id, a.condition, a.cooldown_minutes, n.online,
           case a.condition ->> 'direction' when 'above' then n.online > (a.condition ->> 'count')::integer
                                            else n.online < (a.condition ->> 'count')::integer end as holds,
           coalesce(c.since, now()) as since, coalesce(c.fired, false) as fired
    from crm.alerts a
    cross join lateral (
      select count(*)::integer as online from crm.site_sessions s
      where s.project_id = a.project_id and s.is_online and s.last_activity_at >= crm.online_since(a.project_id)) n
    left join crm.alert_conditions c on c.alert_id = a.id
    where a.kind = 'online_threshold' and a.enabled
  ), due as (
    select o.* from o
    where o.holds and not o.fired and o.since <= now() - make_interval(mins => (o.condition ->> 'minutes')::integer)
      -- Held by the cooldown: left for when it has passed.
      and coalesce((select c.fired_at from crm.alert_cooldowns c where c.alert_id = o.alert_id and c.subject = 'project'),
                   '-infinity') <= now() - make_interval(mins => o.cooldown_minutes)
  ), cleared as (
    delete from crm.alert_conditions c using o where o.alert_id = c.alert_id and not o.holds
  ), kept as (
    insert into crm.alert_conditions as c (alert_id, since, fired)
    select o.alert_id, o.since, o.fired or o.alert_id in (select due.alert_id from due) from o where o.holds
    on conflict (alert_id) do update set fired = c.fired or excluded.fired
  )
  select crm.fire_alerts(array(
    select row(due.alert_id, 'project', null,
               'Online now: ' || due.online || ' (' || (due.condition ->> 'direction') || ' ' || (due.condition ->> 'count')
                 || ' for ' || floor(extract(epoch from now() - due.since) / 60) || ' min)',
               jsonb_build_object('online', due.online, 'since', due.since))::crm.alert_firing
    from due))
  into v_more;
  return v_made + v_more;
end;
$$;
revoke execute on function crm.job_alert_rules() from public;

select crm.schedule_job('crm-alert-rules', '* * * * *', 'select crm.job_alert_rules()');

/**
 * The nightly segment upkeep (0.2.0's, unchanged in what it does), now firing
 * `segment_change` rules for the users it churns as one set: the row trigger stands
 * aside (vibe.alerts_deferred) so thousands of churns cost one firing statement, and
 * the hourly limit per rule holds. Returns the number of users changed.
 */
create or replace function crm.job_segment_upkeep() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
  v_users crm.site_users[];
  v_before crm.segment[];
begin
  perform set_config('vibe.alerts_deferred', 'on', true);
  with changed as (
    update crm.site_users u
    set segment = 'churned',
        metadata = u.metadata || jsonb_build_object('churned_from', u.segment),
        updated_at = now()
    from crm.projects p
    where u.project_id = p.id
      and u.segment in ('user', 'trial', 'premium')
      and u.last_seen_at < now() - make_interval(days => crm.project_setting_int(p.id, 'churn_after_days'))
    returning u.*
  )
  -- Only the users of projects with a rule that a churn meets are kept for firing.
  select count(*),
         array_agg(c::crm.site_users) filter (where r.any_rule),
         array_agg((c.metadata ->> 'churned_from')::crm.segment) filter (where r.any_rule)
  into v_count, v_users, v_before
  from changed c
  cross join lateral (select exists (select from crm.alerts a
                                     where a.kind = 'segment_change' and a.enabled and a.project_id = c.project_id
                                       and coalesce(a.condition ->> 'to' = 'churned', true)) as any_rule) r;
  perform set_config('vibe.alerts_deferred', '', true);
  if v_users is not null then
    begin
      perform crm.fire_alerts(crm.segment_change_firings(v_users, v_before));
    exception when others then
      raise warning 'alerts: segment rules of the churn failed (%): %', sqlstate, sqlerrm;
    end;
  end if;
  return v_count;
end;
$$;
revoke execute on function crm.job_segment_upkeep() from public;
