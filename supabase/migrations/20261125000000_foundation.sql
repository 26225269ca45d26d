-- Foundation: the project schema `crm`, revoke-by-default, the extensions every later
-- migration uses, and the enums that are written once here and nowhere else.
--
-- Tables, trigger functions and helpers live in `crm`, which the API roles get no
-- USAGE on; `public` holds only the RPC functions, each with its own explicit grant.

create schema if not exists crm;
comment on schema crm is 'Vibe CRM: tables, triggers and internal functions. Not exposed to the API roles.';
revoke all on schema crm from public;

-- Postgres grants EXECUTE on every new function to PUBLIC, and hosted Supabase
-- projects add per-schema defaults that grant `public` functions to anon and
-- authenticated. A global revoke does not undo per-schema grants, so revoke both.
alter default privileges revoke execute on functions from public, anon, authenticated;
alter default privileges in schema public revoke execute on functions from public, anon, authenticated;

-- Nothing in `public` is a table the API should reach directly either.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

-- Random keys and HMAC (pgcrypto), substring search (pg_trgm), where Supabase keeps them.
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_trgm with schema extensions;

create type crm.segment as enum ('visitor', 'user', 'premium', 'trial', 'churned');
comment on type crm.segment is
  'Where a site user stands: visitor (anonymous or unlabelled), user, trial, premium, churned (set by the nightly segment upkeep). The one list: SQL checks, API messages and the dashboard read it from here.';

-- Declared in rank order, so roles compare with < and >.
create type crm.project_role as enum ('viewer', 'admin', 'owner');
comment on type crm.project_role is
  'A dashboard user''s role in a project, in rank order: viewer reads; admin also exports, configures, recalculates and identifies users; owner also manages members and keys.';

/** The labels of an enum type as text, in order (for messages and checks). */
create function crm.enum_labels(p_type regtype) returns text[]
language sql stable
set search_path = ''
as $$
  select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = p_type
$$;
revoke execute on function crm.enum_labels(regtype) from public;

/** 22023 unless p_segment is null or a crm.segment label (a typo must not read as "nobody"). */
create function crm.require_segment(p_segment text) returns crm.segment
language plpgsql stable
set search_path = ''
as $$
begin
  if p_segment is not null and not p_segment = any (crm.enum_labels('crm.segment')) then
    raise exception 'unknown segment %: use %', p_segment, array_to_string(crm.enum_labels('crm.segment'), ', ')
      using errcode = '22023';
  end if;
  return p_segment::crm.segment;
end;
$$;
revoke execute on function crm.require_segment(text) from public;
