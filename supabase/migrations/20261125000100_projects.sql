-- Projects and their members, project settings, and who may call what.
--
-- Every public function that takes a project id starts with
-- `perform crm.require_project_role(p_project_id, '<role>')`; trusted callers
-- (service_role, or the database owner connected directly) pass.

/** The settings every project starts with; `settings` keys override them. (No SET clause, so it inlines.) */
create function crm.default_project_settings() returns jsonb
language sql immutable
as $$
  select jsonb_build_object(
    'session_timeout_minutes', 30,
    'online_window_minutes', 5,
    'stuck_after_minutes', 5,
    'retention_days', 395,
    'rate_limit_project_per_minute', 60000,
    'rate_limit_ip_per_minute', 600,
    'privacy_mode', 'standard',
    'respect_dnt', true,
    'require_signed_identify', false,
    'churn_after_days', 14)
$$;
revoke execute on function crm.default_project_settings() from public;

create table crm.projects (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  public_key text not null unique default 'pk_' || encode(extensions.gen_random_bytes(16), 'hex')
    check (public_key ~ '^pk_[A-Za-z0-9]{8,64}$'),
  allowed_origins text[] not null default '{}',
  identity_secret text not null default encode(extensions.gen_random_bytes(32), 'hex'),
  settings jsonb not null default crm.default_project_settings()
    check (jsonb_typeof(settings) = 'object'
      and coalesce(settings ->> 'privacy_mode', 'standard') in ('standard', 'cookieless')),
  created_at timestamptz not null default now()
);
comment on table crm.projects is
  'A tracked site. public_key (pk_…) identifies it in ingest batches; allowed_origins (empty = any) are checked per batch; identity_secret signs identify calls (HMAC-SHA256); settings overrides crm.default_project_settings().';
alter table crm.projects enable row level security;

/** An integer project setting: the project's own value, else its default. */
create function crm.project_setting_int(p_project_id uuid, p_key text) returns integer
language sql stable
set search_path = ''
as $$
  select ((crm.default_project_settings() || p.settings) ->> p_key)::integer
  from crm.projects p where p.id = p_project_id
$$;
revoke execute on function crm.project_setting_int(uuid, text) from public;

create table crm.project_members (
  project_id uuid not null references crm.projects (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role crm.project_role not null,
  created_at timestamptz not null default now(),
  primary key (project_id, user_id)
);
create index project_members_user_idx on crm.project_members (user_id);
comment on table crm.project_members is 'Dashboard users of a project and their role (crm.project_role).';
alter table crm.project_members enable row level security;

-- ---------------------------------------------------------------------------
-- Who may call what
-- ---------------------------------------------------------------------------

/**
 * True when the caller is trusted: the API role service_role, or a direct
 * connection of a superuser / the `postgres` owner with no API role set.
 * Reads the `role` setting, which a security definer function does not change.
 */
create function crm.caller_is_trusted() returns boolean
language sql stable
set search_path = ''
as $$
  select case coalesce(nullif(current_setting('role', true), ''), 'none')
    when 'service_role' then true
    when 'none' then session_user::text = 'postgres'
      or coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname = session_user), false)
    else false
  end
$$;
revoke execute on function crm.caller_is_trusted() from public;

/** The signed-in caller's role in a project, or null. */
create function crm.caller_project_role(p_project_id uuid) returns crm.project_role
language sql stable
set search_path = ''
as $$
  select m.role from crm.project_members m
  where m.project_id = p_project_id and m.user_id = (select auth.uid())
$$;
revoke execute on function crm.caller_project_role(uuid) from public;

/**
 * Raises 42501 unless the caller is trusted or has at least p_min_role in the project
 * (roles compare in rank order). An unknown project is refused the same way.
 */
create function crm.require_project_role(p_project_id uuid, p_min_role crm.project_role) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if p_min_role is null then
    raise exception 'a minimum role is required' using errcode = '22023'; -- a caller's slip must not open the door
  end if;
  if crm.caller_is_trusted() then
    return;
  end if;
  if coalesce(crm.caller_project_role(p_project_id) < p_min_role, true) then
    raise exception 'not allowed: % role required in this project', p_min_role using errcode = '42501';
  end if;
end;
$$;
revoke execute on function crm.require_project_role(uuid, crm.project_role) from public;

/**
 * After the role check: PT404 (PostgREST answers HTTP 404) for a project that does not
 * exist (service_role passes the role check for any id, and would otherwise meet a
 * foreign-key error or an empty answer).
 */
create function crm.require_project_exists(p_project_id uuid) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if not exists (select from crm.projects p where p.id = p_project_id) then
    raise exception 'unknown project' using errcode = 'PT404';
  end if;
end;
$$;
revoke execute on function crm.require_project_exists(uuid) from public;

/** 22023 unless p_role is a crm.project_role label; returns it as one. */
create function crm.require_role_name(p_role text) returns crm.project_role
language plpgsql stable
set search_path = ''
as $$
begin
  if p_role is null or not p_role = any (crm.enum_labels('crm.project_role')) then
    raise exception 'role must be one of %', array_to_string(crm.enum_labels('crm.project_role'), ', ')
      using errcode = '22023';
  end if;
  return p_role::crm.project_role;
end;
$$;
revoke execute on function crm.require_role_name(text) from public;

/**
 * Allowed origins as a browser sends its Origin header, which ingest compares exactly:
 * scheme://host[:port] without a path or trailing slash (or * for any), at most 100.
 * Returns them lower-cased, without the scheme's default port (:443, :80) and without
 * repeats; 22023 for anything else (a stored "https://shop.example/" would refuse
 * every batch of that site with 403). Null stays null.
 */
create function crm.clean_allowed_origins(p_origins text[]) returns text[]
language plpgsql immutable
set search_path = ''
as $$
declare
  v_clean text[];
begin
  if p_origins is null then
    return null;
  end if;
  if cardinality(p_origins) > 100 or exists (
       select from unnest(p_origins) o
       where o is null or (o <> '*' and o !~* '^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$')) then
    raise exception 'allowed origins must be scheme://host[:port] (or *), at most 100' using errcode = '22023';
  end if;
  select coalesce(array_agg(c order by first), '{}') into v_clean
  from (select c, min(n) as first
        from unnest(p_origins) with ordinality as x (o, n)
        cross join lateral (select regexp_replace(lower(o), '^(https://.*):443$|^(http://.*):80$', '\1\2') as c) y
        group by c) z;
  return v_clean;
end;
$$;
revoke execute on function crm.clean_allowed_origins(text[]) from public;

-- ---------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------

/**
 * Projects the caller is a member of, with the caller's role; service_role sees all
 * projects (role null).
 */
create function public.list_crm_projects()
returns table (id uuid, name text, public_key text, role text, created_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select p.id, p.name, p.public_key, m.role::text, p.created_at
  from crm.projects p
  join crm.project_members m on m.project_id = p.id and m.user_id = (select auth.uid())
  union all
  select p.id, p.name, p.public_key, null, p.created_at
  from crm.projects p
  where crm.caller_is_trusted()
  order by 2, 1
$$;
grant execute on function public.list_crm_projects() to authenticated, service_role;

/**
 * Creates a project owned by the signed-in caller, with default settings and the
 * default funnel. Returns {id, name, public_key, allowed_origins, settings, role, created_at}.
 */
create function public.create_crm_project(p_name text, p_allowed_origins text[] default '{}')
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_project crm.projects;
begin
  if v_user is null or not exists (select from auth.users u where u.id = v_user) then
    raise exception 'not allowed: sign in to create a project' using errcode = '42501';
  end if;
  if p_name is null or length(trim(p_name)) not between 1 and 200 then
    raise exception 'project name must be 1 to 200 characters' using errcode = '22023';
  end if;
  insert into crm.projects (name, allowed_origins)
  values (trim(p_name), coalesce(crm.clean_allowed_origins(p_allowed_origins), '{}'))
  returning * into v_project;
  insert into crm.project_members (project_id, user_id, role) values (v_project.id, v_user, 'owner');
  return jsonb_build_object(
    'id', v_project.id, 'name', v_project.name, 'public_key', v_project.public_key,
    'allowed_origins', to_jsonb(v_project.allowed_origins), 'settings', v_project.settings,
    'role', 'owner', 'created_at', v_project.created_at);
end;
$$;
grant execute on function public.create_crm_project(text, text[]) to authenticated;
