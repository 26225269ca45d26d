-- Realtime: every change the live view shows is broadcast on the private topic
-- `crm:<project_id>` with realtime.send — small payloads the dashboard merges into the
-- rows of get_online_users. A heartbeat changes none of the watched columns, so the
-- trigger's WHEN clause skips it: never one message per heartbeat.
-- Events and payloads: supabase/API.md, "Realtime".

/**
 * The live-view row of a session, as the payload of session_started, with the seconds
 * on site and on the page measured here as get_online_users does (a browser's clock
 * may be off; these are not).
 */
create function crm.live_session_payload(p_session crm.site_sessions) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'session_id', p_session.id, 'user_id', p_session.user_id,
    'name', u.name, 'email', u.email, 'segment', u.segment::text,
    'current_page', p_session.current_page, 'current_page_since', p_session.current_page_since,
    'started_at', p_session.started_at, 'last_activity_at', p_session.last_activity_at,
    'device_type', p_session.device_type, 'browser', p_session.browser, 'os', p_session.os,
    'country', p_session.country, 'is_stuck', p_session.is_stuck, 'is_idle', p_session.is_idle,
    'time_on_site_seconds', greatest(0, extract(epoch from now() - p_session.started_at))::integer,
    'time_on_page_seconds',
      greatest(0, extract(epoch from now() - coalesce(p_session.current_page_since, p_session.started_at)))::integer)
  from crm.site_users u
  where u.project_id = p_session.project_id and u.id = p_session.user_id
$$;
revoke execute on function crm.live_session_payload(crm.site_sessions) from public;

/**
 * Trigger on crm.site_sessions: session_started (new or back online), session_ended
 * (left, timed out or offline), page_changed, session_identified (moved to another
 * user by a merge), session_stuck, session_idle / session_active.
 */
create function crm.broadcast_session_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_topic text := 'crm:' || new.project_id;
  v_user crm.site_users;
begin
  if tg_op = 'INSERT' then
    if new.is_online then
      perform realtime.send(crm.live_session_payload(new), 'session_started', v_topic, true);
    end if;
    return null;
  end if;

  if old.is_online and not new.is_online then
    perform realtime.send(jsonb_build_object('session_id', new.id, 'user_id', new.user_id,
      'reason', case when new.ended_at is null then 'offline' else 'ended' end, 'ended_at', new.ended_at),
      'session_ended', v_topic, true);
    return null;
  end if;
  if not new.is_online then
    return null;
  end if;
  if not old.is_online then
    perform realtime.send(crm.live_session_payload(new) || '{"reopened": true}', 'session_started', v_topic, true);
    return null;
  end if;

  if new.user_id is distinct from old.user_id then
    select * into v_user from crm.site_users u where u.project_id = new.project_id and u.id = new.user_id;
    perform realtime.send(jsonb_build_object('session_id', new.id, 'user_id', new.user_id,
      'name', v_user.name, 'email', v_user.email,
      'segment', v_user.segment::text, 'verified', v_user.verified), 'session_identified', v_topic, true);
  end if;
  if (new.current_page, new.current_page_since) is distinct from (old.current_page, old.current_page_since) then
    perform realtime.send(jsonb_build_object('session_id', new.id, 'current_page', new.current_page,
      'current_page_since', new.current_page_since, 'is_stuck', new.is_stuck), 'page_changed', v_topic, true);
  end if;
  if new.is_stuck and not old.is_stuck then
    -- who it is, so an alert can name the visitor on any page (rare: once per stuck visit)
    select * into v_user from crm.site_users u where u.project_id = new.project_id and u.id = new.user_id;
    perform realtime.send(jsonb_build_object('session_id', new.id, 'user_id', new.user_id,
      'name', v_user.name, 'email', v_user.email, 'current_page', new.current_page,
      'current_page_since', new.current_page_since), 'session_stuck', v_topic, true);
  end if;
  if new.is_idle is distinct from old.is_idle then
    perform realtime.send(jsonb_build_object('session_id', new.id, 'last_activity_at', new.last_activity_at),
      case when new.is_idle then 'session_idle' else 'session_active' end, v_topic, true);
  end if;
  return null;
end;
$$;
revoke execute on function crm.broadcast_session_change() from public;

create trigger site_sessions_broadcast_insert
  after insert on crm.site_sessions
  for each row execute function crm.broadcast_session_change();

create trigger site_sessions_broadcast_update
  after update on crm.site_sessions
  for each row
  when ((old.is_online, old.current_page, old.current_page_since, old.is_stuck, old.is_idle, old.user_id)
        is distinct from (new.is_online, new.current_page, new.current_page_since, new.is_stuck, new.is_idle, new.user_id))
  execute function crm.broadcast_session_change();

/** Trigger on crm.site_users: user_identified when name, email, segment or verified change and the user is online. */
create function crm.broadcast_user_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select from crm.site_sessions s where s.project_id = new.project_id and s.user_id = new.id and s.is_online) then
    perform realtime.send(jsonb_build_object('user_id', new.id,
      'name', new.name, 'email', new.email,
      'segment', new.segment::text, 'verified', new.verified), 'user_identified', 'crm:' || new.project_id, true);
  end if;
  return null;
end;
$$;
revoke execute on function crm.broadcast_user_change() from public;

create trigger site_users_broadcast_update
  after update on crm.site_users
  for each row
  when ((old.name, old.email, old.segment, old.verified) is distinct from (new.name, new.email, new.segment, new.verified))
  execute function crm.broadcast_user_change();

/**
 * Realtime read predicate: may the signed-in caller read topic `crm:<project_id>`?
 * Used by the policy on realtime.messages (which runs as `authenticated`).
 */
create function public.crm_can_read_topic(p_topic text) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select case
    when p_topic ~ '^crm:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then exists (
      select from crm.project_members m
      where m.project_id = substr(p_topic, 5)::uuid and m.user_id = (select auth.uid()))
    else false
  end
$$;
grant execute on function public.crm_can_read_topic(text) to authenticated;

-- Only members of a project may receive its topic (private channels). Runs as
-- `authenticated`; the predicate is a security definer function of its own.
create policy messages_select_policy on realtime.messages
  for select
  to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select public.crm_can_read_topic((select realtime.topic())))
  );
