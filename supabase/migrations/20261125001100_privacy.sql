-- Privacy: erasure of a site user (with suppression of their ids so a replayed
-- offline queue cannot bring them back) and export of everything stored about one.

create table crm.erased_ids (
  project_id uuid not null references crm.projects (id) on delete cascade,
  anonymous_id uuid not null,
  erased_at timestamptz not null default now(),
  primary key (project_id, anonymous_id)
);
comment on table crm.erased_ids is
  'Anonymous ids (and the user id) of site users erased on request. crm.ingest rejects every event of a batch whose visitor id is listed here with reason erased, so a replayed offline queue cannot recreate them. Holds no personal data beyond the random id.';
alter table crm.erased_ids enable row level security;

/**
 * The advisory lock that an erasure and an ingest of one visitor take turns on: erasure
 * holds it exclusively, ingest shared (crm.ingest_visitors). A collision of two keys
 * only makes one wait for the other.
 */
create function crm.visitor_lock(p_project_id uuid, p_anonymous_id uuid) returns bigint
language sql immutable
-- no SET clause, so that it is inlined: ingest calls it for every batch
as $$
  select pg_catalog.hashtextextended(p_project_id::text || p_anonymous_id::text, 0)
$$;
revoke execute on function crm.visitor_lock(uuid, uuid) from public;

/**
 * Erases a site user: their events, sessions, anonymous ids and profile are deleted,
 * and their anonymous ids and user id are recorded in crm.erased_ids so ingest
 * refuses them from now on (reason `erased`). Daily rollups keep their anonymous
 * counts. Returns {user_id, events, sessions, anonymous_ids}. Admin. Unknown user: PT404.
 */
create function public.delete_site_user(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_first_seen timestamptz;
  v_events bigint;
  v_sessions bigint;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  -- In-flight ingest of this person commits first; later ingest waits for this erasure
  -- and then sees it. Taken before any row lock, in key order, as ingest takes them.
  perform pg_advisory_xact_lock(k.key)
  from (select distinct crm.visitor_lock(p_project_id, a.anonymous_id) as key from crm.anonymous_ids a
        where a.project_id = p_project_id and a.user_id = p_user_id order by 1) k;
  select u.first_seen_at into v_first_seen from crm.site_users u
  where u.project_id = p_project_id and u.id = p_user_id
  for update;
  if not found then
    raise exception 'site user not found' using errcode = 'PT404';
  end if;
  v_ids := array(select a.anonymous_id from crm.anonymous_ids a where a.project_id = p_project_id and a.user_id = p_user_id)
           || p_user_id;
  insert into crm.erased_ids (project_id, anonymous_id)
  select p_project_id, i from unnest(v_ids) i
  on conflict do nothing;
  -- the live view drops their open sessions (session_ended broadcast by the realtime trigger)
  update crm.site_sessions s set is_online = false, ended_at = coalesce(s.ended_at, now())
  where s.project_id = p_project_id and s.user_id = p_user_id and s.is_online;
  delete from crm.user_events e where e.project_id = p_project_id and e.user_id = p_user_id;
  get diagnostics v_events = row_count;
  delete from crm.site_sessions s where s.project_id = p_project_id and s.user_id = p_user_id;
  get diagnostics v_sessions = row_count;
  delete from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;
  -- keep the total-users rollup exact until its next refresh
  update crm.metrics_rollup r set users_before_cutoff = r.users_before_cutoff - 1
  where r.project_id = p_project_id and v_first_seen < r.users_cutoff;
  return jsonb_build_object('user_id', p_user_id, 'events', v_events, 'sessions', v_sessions,
    'anonymous_ids', cardinality(v_ids) - 1);
end;
$$;
grant execute on function public.delete_site_user(uuid, uuid) to authenticated, service_role;

/**
 * Everything stored about one site user, as jsonb: {exported_at, project_id, user
 * (profile), anonymous_ids[], sessions[] (all, oldest first), events[] (all, oldest
 * first, with properties)}. Admin. Unknown user: PT404.
 */
create function public.export_site_user(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user jsonb;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  select to_jsonb(u) - 'project_id' into v_user
  from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;
  if v_user is null then
    raise exception 'site user not found' using errcode = 'PT404';
  end if;
  return jsonb_build_object(
    'exported_at', now(),
    'project_id', p_project_id,
    'user', v_user,
    'anonymous_ids', coalesce((
      select jsonb_agg(jsonb_build_object('anonymous_id', a.anonymous_id, 'created_at', a.created_at) order by a.created_at)
      from crm.anonymous_ids a where a.project_id = p_project_id and a.user_id = p_user_id), '[]'::jsonb),
    'sessions', coalesce((
      select jsonb_agg(to_jsonb(s) - 'project_id' - 'user_id' order by s.started_at)
      from crm.site_sessions s where s.project_id = p_project_id and s.user_id = p_user_id), '[]'::jsonb),
    'events', coalesce((
      select jsonb_agg(to_jsonb(e) - 'project_id' - 'user_id' order by e.occurred_at, e.id)
      from crm.user_events e where e.project_id = p_project_id and e.user_id = p_user_id), '[]'::jsonb));
end;
$$;
grant execute on function public.export_site_user(uuid, uuid) to authenticated, service_role;
