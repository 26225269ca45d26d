-- Project administration: the settings page getter, settings, funnel steps, key and
-- secret rotation, members and invitations, deleting a project. viewer reads; admin configures; owner
-- manages keys and members. A project never loses its last owner. (create_crm_project
-- and list_crm_projects live with the projects.)

/** Settings keys a caller may set, with their check. Unknown keys are refused. */
create function crm.validate_project_settings(p_settings jsonb) returns void
language plpgsql immutable
set search_path = ''
as $$
declare
  v_key text;
  v_value jsonb;
begin
  if jsonb_typeof(p_settings) is distinct from 'object' then
    raise exception 'settings must be a JSON object' using errcode = '22023';
  end if;
  -- Integers must be written as plain digits: 5.0 is a whole number but ->> gives
  -- '5.0', which every ::integer read of the setting (ingest, jobs) would refuse.
  for v_key, v_value in select * from jsonb_each(p_settings) loop
    if v_key in ('session_timeout_minutes', 'online_window_minutes', 'stuck_after_minutes') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 1 and 1440 then
        raise exception 'setting % must be an integer from 1 to 1440', v_key using errcode = '22023';
      end if;
    elsif v_key in ('retention_days', 'churn_after_days') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 7 and 3650 then
        raise exception 'setting % must be an integer from 7 to 3650', v_key using errcode = '22023';
      end if;
    elsif v_key in ('rate_limit_project_per_minute', 'rate_limit_ip_per_minute') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 1 and 10000000 then
        raise exception 'setting % must be an integer from 1 to 10000000', v_key using errcode = '22023';
      end if;
    elsif v_key = 'privacy_mode' then
      if v_value not in ('"standard"'::jsonb, '"cookieless"'::jsonb) then
        raise exception 'privacy_mode must be standard or cookieless' using errcode = '22023';
      end if;
    elsif v_key in ('respect_dnt', 'require_signed_identify') then
      if jsonb_typeof(v_value) <> 'boolean' then
        raise exception 'setting % must be true or false', v_key using errcode = '22023';
      end if;
    else
      raise exception 'unknown setting %', v_key using errcode = '22023';
    end if;
  end loop;
end;
$$;
revoke execute on function crm.validate_project_settings(jsonb) from public;

/** The settings page's view of a project (never the identity secret). */
create function crm.project_json(p_project_id uuid) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p.id, 'name', p.name, 'public_key', p.public_key, 'allowed_origins', to_jsonb(p.allowed_origins),
    'settings', crm.default_project_settings() || p.settings,
    'created_at', p.created_at,
    'role', case when crm.caller_is_trusted() then null else crm.caller_project_role(p.id) end,
    'funnel_steps', coalesce((
      select jsonb_agg(jsonb_build_object('step_order', f.step_order, 'name', f.name, 'event_name', f.event_name)
                       order by f.step_order)
      from crm.funnel_steps f where f.project_id = p.id), '[]'::jsonb),
    'members', coalesce((
      select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'email', u.email, 'role', m.role, 'created_at', m.created_at)
                       order by m.role desc, u.email)
      from crm.project_members m join auth.users u on u.id = m.user_id
      where m.project_id = p.id), '[]'::jsonb))
  from crm.projects p where p.id = p_project_id
$$;
revoke execute on function crm.project_json(uuid) from public;

/**
 * A project for its settings page: {id, name, public_key, allowed_origins, settings
 * (defaults merged), created_at, role (the caller's), funnel_steps[], members[]}.
 * Never the identity secret. Viewer.
 */
create function public.get_crm_project(p_project_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.require_project_exists(p_project_id);
  return crm.project_json(p_project_id);
end;
$$;
grant execute on function public.get_crm_project(uuid) to authenticated, service_role;

/**
 * Updates a project's name, allowed origins and/or settings (merged key by key into
 * the stored ones; a null value removes a key, falling back to the default). Null
 * arguments leave things unchanged. Returns the project as get_crm_project. Admin.
 */
create function public.update_crm_project_settings(p_project_id uuid, p_name text default null,
                                                   p_allowed_origins text[] default null, p_settings jsonb default null)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'admin');
  if p_name is not null and length(trim(p_name)) not between 1 and 200 then
    raise exception 'project name must be 1 to 200 characters' using errcode = '22023';
  end if;
  p_allowed_origins := crm.clean_allowed_origins(p_allowed_origins);
  if p_settings is not null then
    perform crm.validate_project_settings(jsonb_strip_nulls(p_settings));
  end if;
  update crm.projects p set
    name = coalesce(trim(p_name), p.name),
    allowed_origins = coalesce(p_allowed_origins, p.allowed_origins),
    settings = case when p_settings is null then p.settings
                    else (p.settings || jsonb_strip_nulls(p_settings))
                         - array(select k from jsonb_each(p_settings) as e(k, v) where v = 'null'::jsonb) end
  where p.id = p_project_id;
  if not found then
    raise exception 'unknown project' using errcode = 'PT404';
  end if;
  return crm.project_json(p_project_id);
end;
$$;
grant execute on function public.update_crm_project_settings(uuid, text, text[], jsonb) to authenticated, service_role;

/**
 * Replaces a project's funnel with p_steps, a JSON array (1–10) of {name, event_name}
 * in order (event_name 'pageview' means any page view). Clears the funnel rollup.
 * Returns the new steps [{step_order, name, event_name}]. Admin.
 */
create function public.set_crm_funnel_steps(p_project_id uuid, p_steps jsonb)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'admin');
  if jsonb_typeof(p_steps) is distinct from 'array' or jsonb_array_length(p_steps) not between 1 and 10
     or exists (select from jsonb_array_elements(p_steps) s
                where jsonb_typeof(s) <> 'object' or jsonb_typeof(s -> 'name') is distinct from 'string'
                   or jsonb_typeof(s -> 'event_name') is distinct from 'string'
                   or length(trim(s ->> 'name')) not between 1 and 128
                   or length(trim(s ->> 'event_name')) not between 1 and 128) then
    raise exception 'p_steps must be an array of 1 to 10 {name, event_name} strings of 1 to 128 characters'
      using errcode = '22023';
  end if;
  -- The project row locked (not its key: ingest and foreign keys go on) so that two
  -- saves at once run one after the other instead of both deleting the old steps and
  -- colliding on insert.
  perform from crm.projects p where p.id = p_project_id for no key update;
  if not found then
    raise exception 'unknown project' using errcode = 'PT404';
  end if;
  delete from crm.funnel_steps f where f.project_id = p_project_id;
  insert into crm.funnel_steps (project_id, step_order, name, event_name)
  select p_project_id, s.n, trim(s.step ->> 'name'), trim(s.step ->> 'event_name')
  from jsonb_array_elements(p_steps) with ordinality as s(step, n);
  delete from crm.funnel_rollup r where r.project_id = p_project_id;
  return crm.project_json(p_project_id) -> 'funnel_steps';
end;
$$;
grant execute on function public.set_crm_funnel_steps(uuid, jsonb) to authenticated, service_role;

/** Gives the project a new random public key (the old one stops working at once); returns it. Owner. */
create function public.rotate_crm_public_key(p_project_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_key text;
begin
  perform crm.require_project_role(p_project_id, 'owner');
  update crm.projects p set public_key = 'pk_' || encode(extensions.gen_random_bytes(16), 'hex')
  where p.id = p_project_id
  returning p.public_key into v_key;
  if v_key is null then
    raise exception 'unknown project' using errcode = 'PT404';
  end if;
  return v_key;
end;
$$;
grant execute on function public.rotate_crm_public_key(uuid) to authenticated, service_role;

/**
 * Gives the project a new random identity secret (HMAC key of signed identify calls)
 * and returns it: the only time it is ever shown. Owner.
 */
create function public.rotate_crm_identity_secret(p_project_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_secret text;
begin
  perform crm.require_project_role(p_project_id, 'owner');
  update crm.projects p set identity_secret = encode(extensions.gen_random_bytes(32), 'hex')
  where p.id = p_project_id
  returning p.identity_secret into v_secret;
  if v_secret is null then
    raise exception 'unknown project' using errcode = 'PT404';
  end if;
  return v_secret;
end;
$$;
grant execute on function public.rotate_crm_identity_secret(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Members and invitations. A project owner invites by email; whether that email has
-- an account is never told (the answer is the same either way), and nobody joins a
-- project without accepting.
-- ---------------------------------------------------------------------------

/** An invitee's email as it is stored and compared: lower-case, one @, at most 320 characters. */
create domain crm.invitation_email as text
  check (value = lower(value) and value ~ '^[^@\s]+@[^@\s]+$' and length(value) <= 320);

create table crm.invitations (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references crm.projects (id) on delete cascade,
  email crm.invitation_email not null,
  role crm.project_role not null,
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  unique (project_id, email)
);
create index invitations_email_idx on crm.invitations (email);
comment on table crm.invitations is
  'Pending invitations to a project, by email, valid until expires_at (7 days, renewed by a resend). Accepting makes the invitee a member with role; declining, revoking or accepting deletes the row.';
alter table crm.invitations enable row level security;

/** An invitation as the RPCs return it. */
create function crm.invitation_json(p_invitation crm.invitations) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('id', p_invitation.id, 'project_id', p_invitation.project_id, 'email', p_invitation.email,
    'role', p_invitation.role, 'created_at', p_invitation.created_at, 'expires_at', p_invitation.expires_at)
$$;
revoke execute on function crm.invitation_json(crm.invitations) from public;

/** The signed-in caller's email, when it is confirmed (an unconfirmed one proves nothing); else null. */
create function crm.caller_confirmed_email() returns text
language sql stable
set search_path = ''
as $$
  select lower(u.email) from auth.users u
  where u.id = (select auth.uid()) and u.email_confirmed_at is not null
$$;
revoke execute on function crm.caller_confirmed_email() from public;

/**
 * Invites an email to the project with a role (a crm.project_role), or renews and
 * re-roles the pending invitation of that email for 7 days. Answers the same
 * {id, project_id, email, role, created_at, expires_at} whether or not the email has an
 * account, and whether or not it is already a member. Owner. Malformed email: 22023.
 */
create function public.invite_crm_member(p_project_id uuid, p_email text, p_role text default 'viewer')
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_email crm.invitation_email;
  v_role crm.project_role;
  v_invitation crm.invitations;
begin
  perform crm.require_project_role(p_project_id, 'owner');
  perform crm.require_project_exists(p_project_id);
  v_role := crm.require_role_name(p_role);
  begin
    v_email := coalesce(lower(trim(p_email)), '');
  exception when check_violation then
    raise exception 'email must be an address (name@domain)' using errcode = '22023';
  end;
  insert into crm.invitations as i (project_id, email, role, invited_by)
  values (p_project_id, v_email, v_role, (select auth.uid()))
  on conflict (project_id, email) do update
    set role = excluded.role, invited_by = excluded.invited_by, expires_at = now() + interval '7 days'
  returning * into v_invitation;
  return crm.invitation_json(v_invitation);
end;
$$;
grant execute on function public.invite_crm_member(uuid, text, text) to authenticated, service_role;

/** The project's pending (unexpired) invitations, newest first. Owner. */
create function public.list_crm_invitations(p_project_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'owner');
  return coalesce((select jsonb_agg(crm.invitation_json(i) order by i.created_at desc, i.email)
                   from crm.invitations i where i.project_id = p_project_id and i.expires_at > now()), '[]');
end;
$$;
grant execute on function public.list_crm_invitations(uuid) to authenticated, service_role;

/** Renews a pending invitation for another 7 days; returns it. Owner. Unknown invitation: PT404. */
create function public.resend_crm_invitation(p_project_id uuid, p_invitation_id uuid)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_invitation crm.invitations;
begin
  perform crm.require_project_role(p_project_id, 'owner');
  update crm.invitations i set expires_at = now() + interval '7 days'
  where i.project_id = p_project_id and i.id = p_invitation_id
  returning * into v_invitation;
  if v_invitation.id is null then
    raise exception 'invitation not found' using errcode = 'PT404';
  end if;
  return crm.invitation_json(v_invitation);
end;
$$;
grant execute on function public.resend_crm_invitation(uuid, uuid) to authenticated, service_role;

/** Withdraws a pending invitation. Returns true when one was withdrawn. Owner. */
create function public.revoke_crm_invitation(p_project_id uuid, p_invitation_id uuid)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'owner');
  delete from crm.invitations i where i.project_id = p_project_id and i.id = p_invitation_id;
  return found;
end;
$$;
grant execute on function public.revoke_crm_invitation(uuid, uuid) to authenticated, service_role;

/**
 * The signed-in caller's pending invitations (to their confirmed email): {id,
 * project_id, project_name, role, invited_by_email, expires_at}, newest first.
 */
create function public.list_my_crm_invitations()
returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'project_id', i.project_id, 'project_name', p.name,
           'role', i.role, 'invited_by_email', u.email, 'expires_at', i.expires_at) order by i.created_at desc), '[]')
  from crm.invitations i
  join crm.projects p on p.id = i.project_id
  left join auth.users u on u.id = i.invited_by
  where i.email = crm.caller_confirmed_email() and i.expires_at > now()
$$;
grant execute on function public.list_my_crm_invitations() to authenticated;

/**
 * Accepts one of the caller's pending invitations: the caller becomes a member with
 * its role (a member already keeps a higher role), and the invitation is gone. Returns
 * {project_id, role}. Not the caller's, expired or unknown: PT404.
 */
create function public.accept_crm_invitation(p_invitation_id uuid)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_invitation crm.invitations;
  v_role crm.project_role;
begin
  delete from crm.invitations i
  where i.id = p_invitation_id and i.email = crm.caller_confirmed_email() and i.expires_at > now()
  returning * into v_invitation;
  if v_invitation.id is null then
    raise exception 'invitation not found' using errcode = 'PT404';
  end if;
  insert into crm.project_members as m (project_id, user_id, role)
  values (v_invitation.project_id, (select auth.uid()), v_invitation.role)
  on conflict (project_id, user_id) do update set role = greatest(m.role, excluded.role)
  returning m.role into v_role;
  return jsonb_build_object('project_id', v_invitation.project_id, 'role', v_role);
end;
$$;
grant execute on function public.accept_crm_invitation(uuid) to authenticated;

/** Declines one of the caller's pending invitations. Returns true when one was declined. */
create function public.decline_crm_invitation(p_invitation_id uuid)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  delete from crm.invitations i where i.id = p_invitation_id and i.email = crm.caller_confirmed_email();
  return found;
end;
$$;
grant execute on function public.decline_crm_invitation(uuid) to authenticated;

/**
 * PT409 (HTTP 409) when p_user_id is the project's last owner: a project never loses its
 * last owner, by demotion or removal. Locks the project's members first, so two
 * concurrent demotions cannot both pass.
 */
create function crm.require_another_owner(p_project_id uuid, p_user_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform from crm.project_members m where m.project_id = p_project_id for update;
  if exists (select from crm.project_members m where m.project_id = p_project_id and m.user_id = p_user_id and m.role = 'owner')
     and not exists (
       select from crm.project_members m where m.project_id = p_project_id and m.role = 'owner' and m.user_id <> p_user_id) then
    raise exception 'a project keeps at least one owner' using errcode = 'PT409';
  end if;
end;
$$;
revoke execute on function crm.require_another_owner(uuid, uuid) from public;

/**
 * Changes a member's role (a crm.project_role). Demoting the last owner is refused
 * (PT409). Returns {user_id, role}. Owner. Not a member: PT404.
 */
create function public.set_crm_member_role(p_project_id uuid, p_user_id uuid, p_role text)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_role crm.project_role;
begin
  perform crm.require_project_role(p_project_id, 'owner');
  v_role := crm.require_role_name(p_role);
  if not exists (select from crm.project_members m where m.project_id = p_project_id and m.user_id = p_user_id) then
    raise exception 'not a member of this project' using errcode = 'PT404';
  end if;
  if v_role <> 'owner' then
    perform crm.require_another_owner(p_project_id, p_user_id);
  end if;
  update crm.project_members m set role = v_role where m.project_id = p_project_id and m.user_id = p_user_id;
  return jsonb_build_object('user_id', p_user_id, 'role', v_role);
end;
$$;
grant execute on function public.set_crm_member_role(uuid, uuid, text) to authenticated, service_role;

/**
 * Removes a member from the project: owners remove anyone, any member may remove
 * themselves. Removing the last owner is refused (PT409, HTTP 409). Returns true when a member
 * was removed, false when the user was not a member.
 */
create function public.remove_crm_member(p_project_id uuid, p_user_id uuid)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_user_id is distinct from (select auth.uid()) then
    perform crm.require_project_role(p_project_id, 'owner');
  end if;
  perform crm.require_another_owner(p_project_id, p_user_id);
  delete from crm.project_members m where m.project_id = p_project_id and m.user_id = p_user_id;
  return found;
end;
$$;
grant execute on function public.remove_crm_member(uuid, uuid) to authenticated, service_role;

/**
 * Deletes the project and everything of it — members, site users, sessions, events,
 * stats, funnel, rollups (foreign keys, and the projects_delete_unreferenced trigger
 * for the tables without one). p_confirm_name must be the project's name, so a wrong
 * id or a slip cannot delete. Owner. Returns true.
 */
create function public.delete_crm_project(p_project_id uuid, p_confirm_name text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'owner');
  perform crm.require_project_exists(p_project_id);
  if not exists (select from crm.projects p where p.id = p_project_id and p.name = p_confirm_name) then
    raise exception 'p_confirm_name must be the project''s name' using errcode = '22023';
  end if;
  delete from crm.projects p where p.id = p_project_id;
  return true;
end;
$$;
grant execute on function public.delete_crm_project(uuid, text) to authenticated, service_role;
