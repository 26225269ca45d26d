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

/** The numeric value of a JSON scalar (a number, or a string that is one), else null. */
create function crm.json_number(p_value jsonb) returns numeric
language sql immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_value) = 'number' then (p_value #>> '{}')::numeric
    when jsonb_typeof(p_value) = 'string' and (p_value #>> '{}') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$'
      then (p_value #>> '{}')::numeric
  end
$$;
revoke execute on function crm.json_number(jsonb) from public;

/**
 * Whether an event's props meet an event rule's condition (crm.alert_op): eq / ne
 * compare numbers when both sides are numbers, else text; lt / gt compare numbers only;
 * contains is a case-insensitive substring test. A missing prop meets nothing but ne.
 */
create function crm.alert_props_match(p_condition jsonb, p_props jsonb) returns boolean
language sql immutable
set search_path = ''
as $$
  select case
    when p_condition ->> 'prop' is null then true
    else coalesce((
      select case p_condition ->> 'op'
        when 'eq' then coalesce(crm.json_number(v) = crm.json_number(p_condition -> 'value'), v #>> '{}' = p_condition ->> 'value')
        when 'ne' then not coalesce(crm.json_number(v) = crm.json_number(p_condition -> 'value'),
                                    v #>> '{}' = p_condition ->> 'value', false)
        when 'lt' then crm.json_number(v) < crm.json_number(p_condition -> 'value')
        when 'gt' then crm.json_number(v) > crm.json_number(p_condition -> 'value')
        when 'contains' then strpos(lower(v #>> '{}'), lower(p_condition ->> 'value')) > 0
      end
      from (select p_props -> (p_condition ->> 'prop') as v) x), false)
  end
$$;
revoke execute on function crm.alert_props_match(jsonb, jsonb) from public;

/** How a firing names a user: email, name, external id, or "an anonymous visitor". */
create function crm.alert_who(p_user crm.site_users) returns text
language sql immutable
set search_path = ''
as $$ select coalesce(p_user.email, p_user.name, p_user.external_id, 'an anonymous visitor') $$;
revoke execute on function crm.alert_who(crm.site_users) from public;

/** Statement trigger on crm.user_events: fires the `event` rules the inserted custom events meet. */
create function crm.alerts_on_events() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select from crm.alerts a where a.kind = 'event' and a.enabled) then
    return null;
  end if;
  perform crm.fire_alerts(array(
    select row(a.id, e.user_id::text, e.user_id,
               e.name || coalesce(' (' || (a.condition ->> 'prop') || ' = ' || (e.properties ->> (a.condition ->> 'prop')) || ')', '')
                 || ' by ' || crm.alert_who(u),
               jsonb_build_object('event', jsonb_build_object(
                 'name', e.name, 'properties', e.properties, 'page', e.page, 'occurred_at', e.occurred_at,
                 'session_id', e.session_id)))::crm.alert_firing
    from new_events e
    join crm.alerts a on a.kind = 'event' and a.enabled and a.project_id = e.project_id and a.condition ->> 'event' = e.name
    left join crm.site_users u on u.project_id = e.project_id and u.id = e.user_id
    where e.type = 'event' and crm.alert_props_match(a.condition, e.properties)
    order by e.occurred_at));
  return null;
end;
$$;
revoke execute on function crm.alerts_on_events() from public;
create trigger user_events_alerts after insert on crm.user_events
  referencing new table as new_events for each statement execute function crm.alerts_on_events();

/** Row trigger on crm.site_users, only for a changed segment: fires the matching `segment_change` rules. */
create function crm.alerts_on_segment_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform crm.fire_alerts(array(
    select row(a.id, new.id::text, new.id,
               crm.alert_who(new) || ' went from ' || old.segment || ' to ' || new.segment,
               jsonb_build_object('from', old.segment::text, 'to', new.segment::text))::crm.alert_firing
    from crm.alerts a
    where a.kind = 'segment_change' and a.enabled and a.project_id = new.project_id
      and coalesce(a.condition ->> 'from' = old.segment::text, true)
      and coalesce(a.condition ->> 'to' = new.segment::text, true)));
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
  perform crm.fire_alerts(array(
    select row(a.id, new.id::text, new.id, 'New user: ' || crm.alert_who(new) || ' (' || new.segment || ')',
               jsonb_build_object('segment', new.segment::text))::crm.alert_firing
    from crm.alerts a
    where a.kind = 'new_user' and a.enabled and a.project_id = new.project_id
      and coalesce(a.condition ->> 'segment' = new.segment::text, true)));
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
  since timestamptz not null
);
alter table crm.alert_conditions enable row level security;
comment on table crm.alert_conditions is
  'Since when an online_threshold rule''s condition has held, as the minute job saw it; the row goes when it stops holding or the rule changes.';

/** A changed condition or a paused rule starts its time-based state afresh. */
create function crm.alerts_reset_condition() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from crm.alert_conditions c where c.alert_id = new.id;
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
 * has held for their minutes. Returns the deliveries made.
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
  v_made := crm.fire_alerts(array(
    select row(a.id, s.user_id::text, s.user_id,
               crm.alert_who(u) || ' is stuck on ' || coalesce(s.current_page, '?') || ' for '
                 || floor(extract(epoch from now() - coalesce(s.current_page_since, s.started_at)) / 60) || ' min',
               jsonb_build_object('page', s.current_page, 'since', coalesce(s.current_page_since, s.started_at),
                                  'session_id', s.id))::crm.alert_firing
    from crm.alerts a
    join crm.site_sessions s on s.project_id = a.project_id and s.is_online
    join crm.site_users u on u.project_id = s.project_id and u.id = s.user_id
    where a.kind = 'stuck' and a.enabled
      and s.last_activity_at >= now() - interval '60 seconds'
      and coalesce(s.current_page_since, s.started_at) <= now() - make_interval(mins => (a.condition ->> 'minutes')::integer)
      and (a.condition ->> 'path' is null or s.current_page like crm.glob_like(a.condition ->> 'path'))
      and (not (a.condition ->> 'identified_only')::boolean or u.email is not null or u.external_id is not null)
      and coalesce(a.condition ->> 'segment' = u.segment::text, true)));

  -- One statement: the counts, the state kept since when each condition holds (read
  -- before this statement's own changes, so a new episode starts at now()), and the firing.
  with o as (
    select a.id as alert_id, a.condition, n.online,
           case a.condition ->> 'direction' when 'above' then n.online > (a.condition ->> 'count')::integer
                                            else n.online < (a.condition ->> 'count')::integer end as holds,
           coalesce(c.since, now()) as since
    from crm.alerts a
    cross join lateral (
      select count(*)::integer as online from crm.site_sessions s
      where s.project_id = a.project_id and s.is_online and s.last_activity_at >= crm.online_since(a.project_id)) n
    left join crm.alert_conditions c on c.alert_id = a.id
    where a.kind = 'online_threshold' and a.enabled
  ), cleared as (
    delete from crm.alert_conditions c using o where o.alert_id = c.alert_id and not o.holds
  ), started as (
    insert into crm.alert_conditions (alert_id, since)
    select o.alert_id, o.since from o where o.holds
    on conflict (alert_id) do nothing
  )
  select crm.fire_alerts(array(
    select row(o.alert_id, 'project', null,
               'Online now: ' || o.online || ' (' || (o.condition ->> 'direction') || ' ' || (o.condition ->> 'count')
                 || ' for ' || floor(extract(epoch from now() - o.since) / 60) || ' min)',
               jsonb_build_object('online', o.online, 'since', o.since))::crm.alert_firing
    from o
    where o.holds and o.since <= now() - make_interval(mins => (o.condition ->> 'minutes')::integer)))
  into v_more;
  return v_made + v_more;
end;
$$;
revoke execute on function crm.job_alert_rules() from public;

select crm.schedule_job('crm-alert-rules', '* * * * *', 'select crm.job_alert_rules()');
