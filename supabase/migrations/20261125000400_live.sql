-- Live view: who is on the site right now.

/** Sessions with activity since this instant (now - the project's online_window_minutes) and is_online are online. */
create function crm.online_since(p_project_id uuid) returns timestamptz
language sql stable
set search_path = ''
as $$
  select now() - make_interval(mins => crm.project_setting_int(p_project_id, 'online_window_minutes'))
$$;
revoke execute on function crm.online_since(uuid) from public;

/**
 * Sessions active within the project's online window, newest first. p_segment filters:
 * null or 'all'; 'active' (activity in the last 60 s); 'inactive' (online, idle longer,
 * e.g. a hidden tab); or a crm.segment label. is_idle = no activity for 60 s;
 * is_stuck = active but on the same page longer than settings.stuck_after_minutes.
 * name and email are the user's own (null when unknown): the dashboard makes the
 * display name, in its language. Viewer.
 */
create function public.get_online_users(p_project_id uuid, p_segment text default null)
returns table (
  session_id uuid, user_id uuid, name text, email text, current_page text,
  time_on_site_seconds integer, time_on_page_seconds integer, device_type text, browser text, os text,
  country text, segment text, is_stuck boolean, is_idle boolean,
  started_at timestamptz, current_page_since timestamptz, last_activity_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_online_since timestamptz;
  v_stuck_before timestamptz;
  v_segment crm.segment;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_segment is not null and p_segment not in ('all', 'active', 'inactive')
     and not p_segment = any (crm.enum_labels('crm.segment')) then
    raise exception 'unknown filter %: use all, active, inactive or a segment (%)', p_segment,
      array_to_string(crm.enum_labels('crm.segment'), ', ') using errcode = '22023';
  end if;
  if p_segment not in ('all', 'active', 'inactive') then
    v_segment := p_segment::crm.segment;
  end if;
  v_online_since := crm.online_since(p_project_id);
  v_stuck_before := now() - make_interval(mins => crm.project_setting_int(p_project_id, 'stuck_after_minutes'));
  return query
  select s.id, s.user_id, u.name, u.email, s.current_page,
         greatest(0, extract(epoch from now() - s.started_at))::integer,
         greatest(0, extract(epoch from now() - coalesce(s.current_page_since, s.started_at)))::integer,
         s.device_type, s.browser, s.os, s.country, u.segment::text,
         s.last_activity_at >= now() - interval '60 seconds'
           and coalesce(s.current_page_since, s.started_at) < v_stuck_before,
         s.last_activity_at < now() - interval '60 seconds',
         s.started_at, s.current_page_since, s.last_activity_at
  from crm.site_sessions s
  join crm.site_users u on u.project_id = s.project_id and u.id = s.user_id
  where s.project_id = p_project_id and s.is_online
    and s.last_activity_at >= v_online_since
    and case coalesce(p_segment, 'all')
      when 'all' then true
      when 'active' then s.last_activity_at >= now() - interval '60 seconds'
      when 'inactive' then s.last_activity_at < now() - interval '60 seconds'
      else u.segment = v_segment
    end
  order by s.started_at desc, s.id;
end;
$$;
grant execute on function public.get_online_users(uuid, text) to authenticated, service_role;
