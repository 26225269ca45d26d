-- Supabase-compatible baseline for a plain PostgreSQL 15, with hosted Supabase's role
-- model: `supabase_admin` is the superuser and owns the platform's schemas and
-- extensions; `postgres` (migrations, seed, pgTAP, pg_cron jobs, the ingest function)
-- is not a superuser, so whatever needs more than its rights fails here as it would
-- on a hosted project.
--
-- A Supabase database (hosted, self-hosted or `supabase start`) already has all of
-- this. The local stack (scripts/stack/) applies this file, as `supabase_admin`, only
-- when the target database is NOT a Supabase one, so the project's migrations run
-- unchanged on both. It is never part of a deployment.
--
-- Versioned: bump the number in the last statement whenever this file changes;
-- starting an existing cluster re-applies the file when its recorded version is
-- older. Every statement is therefore idempotent.

-- ---------------------------------------------------------------------------
-- Roles, as a hosted project's `pg_dumpall --roles-only` shows them
-- (supabase/postgres: migrations/db). Local passwords are the non-secret `postgres`
-- that `supabase start` uses too.
-- ---------------------------------------------------------------------------
do $$
declare
  r text;
begin
  foreach r in array array['postgres', 'authenticator', 'supabase_auth_admin', 'supabase_realtime_admin'] loop
    if not exists (select from pg_roles where rolname = r) then
      execute format('create role %I login', r);
    end if;
  end loop;
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select from pg_roles where rolname = r) then
      execute format('create role %I nologin', r);
    end if;
  end loop;
end
$$;

alter role postgres nosuperuser inherit createrole createdb login replication bypassrls password 'postgres';
-- Hosted made the API roles inheriting in 2023; what matters is that they cannot log in.
alter role anon nologin inherit;
alter role authenticated nologin inherit;
alter role service_role nologin inherit bypassrls;
alter role authenticator noinherit login password 'postgres';
-- Hosted also preloads `safeupdate` for authenticator (UPDATE/DELETE without WHERE
-- refused). Debian has no package of it, so scripts/checks/ proves with a SQL parser
-- that no API-reachable statement is one.
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_auth_admin noinherit createrole login noreplication password 'postgres';
alter role supabase_auth_admin set search_path = auth;
-- Realtime reads and authorises broadcasts as this role; it becomes the API roles to
-- evaluate the realtime.messages policies.
alter role supabase_realtime_admin noinherit login noreplication password 'postgres';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated to supabase_realtime_admin;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant anon, authenticated, service_role, supabase_realtime_admin to postgres;
grant authenticator to postgres with admin option;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- The database belongs to postgres (so does `public`, through pg_database_owner), as
-- on a hosted project; the platform's schemas below belong to supabase_admin.
do $$ begin execute format('alter database %I owner to postgres', current_database()); end $$;

-- ---------------------------------------------------------------------------
-- Schemas and extensions. Hosted lets `postgres` enable allow-listed extensions
-- through supautils, which Debian lacks, so the ones the project needs are created
-- here, as supabase_admin, and the migrations' `create extension if not exists` finds
-- them in place.
-- ---------------------------------------------------------------------------
create schema if not exists extensions authorization supabase_admin;
grant all on schema extensions to postgres;
grant usage on schema extensions to anon, authenticated, service_role, supabase_auth_admin;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_trgm with schema extensions;
-- `supabase db lint` enables plpgsql_check (in a transaction it rolls back).
create extension if not exists plpgsql_check with schema extensions;
-- pgTAP lives in `extensions` too (as `supabase test db` creates it). Created here,
-- before the first migration revokes EXECUTE by default, so its functions stay
-- callable by the API roles the tests switch to.
do $$
begin
  if exists (select from pg_available_extensions where name = 'pgtap') then
    create extension if not exists pgtap with schema extensions;
  end if;
end
$$;
grant all on all tables in schema extensions to postgres;
grant all on all sequences in schema extensions to postgres;
grant all on all routines in schema extensions to postgres;

-- pg_cron: only in the database cron.database_name names (a benchmark's database has
-- none). postgres schedules through cron.schedule/unschedule and reads the run history;
-- writes to cron.job are revoked.
do $$
begin
  if current_database() = coalesce(current_setting('cron.database_name', true), 'postgres') then
    create extension if not exists pg_cron;
    grant usage on schema cron to postgres with grant option;
    grant all on all tables in schema cron to postgres with grant option;
    grant all on all sequences in schema cron to postgres with grant option;
    grant all on all routines in schema cron to postgres with grant option;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
  end if;
end
$$;

grant usage on schema public to anon, authenticated, service_role;

-- Hosted projects resolve unqualified extension functions through this path.
do $$ begin execute format('alter database %I set search_path = "$user", public, extensions', current_database()); end $$;

-- What a hosted project grants on everything new in `public` (per-schema default
-- privileges). Kept here on purpose: a migration that forgets to revoke leaks
-- locally exactly as it would leak on a hosted project, and the pgTAP suite sees it.
alter default privileges for role postgres in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- auth (the subset of GoTrue's schema the project and the local gateway use)
-- ---------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin, postgres;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255) unique,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{"provider":"email","providers":["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  phone text unique,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  is_anonymous boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  deleted_at timestamptz
);
comment on table auth.users is 'Local stand-in for GoTrue''s auth.users (subset).';

create table if not exists auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  aal text default 'aal1',
  not_after timestamptz
);
comment on table auth.sessions is 'Local stand-in for GoTrue''s auth.sessions (subset).';

create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean default false,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create index if not exists refresh_tokens_session_id_idx on auth.refresh_tokens (session_id);
comment on table auth.refresh_tokens is 'Local stand-in for GoTrue''s auth.refresh_tokens (subset).';

-- The claim helpers read request.jwt.claims (PostgREST >= 9) and fall back to the
-- legacy per-claim settings, exactly like supabase/postgres does.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

-- GoTrue (supabase_auth_admin) owns its tables and helpers; postgres may use them all.
alter table auth.users owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant all on all routines in schema auth to postgres;

-- ---------------------------------------------------------------------------
-- realtime (broadcast from the database)
-- ---------------------------------------------------------------------------
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant usage on schema realtime to supabase_realtime_admin;

create table if not exists realtime.messages (
  id uuid primary key default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now()
);
create index if not exists messages_inserted_at_topic_idx on realtime.messages (inserted_at desc, topic);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
comment on table realtime.messages is 'Local stand-in for Realtime''s broadcast message table.';

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;
grant execute on function realtime.topic() to anon, authenticated, service_role;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (payload, event, topic, private, extension)
    values (
      case when payload ? 'id' then payload
           else payload || jsonb_build_object('id', gen_random_uuid()) end,
      event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
) returns void
language plpgsql
as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation in ('INSERT', 'UPDATE', 'DELETE') then
    row_data := jsonb_build_object(
      'old_record', case when old is null then null else to_jsonb(old) end,
      'record', case when new is null then null else to_jsonb(new) end,
      'operation', operation, 'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation %', operation;
  end if;
end;
$$;

-- The hosted Realtime server reads new messages from the WAL. The local gateway
-- LISTENs instead; NOTIFY payloads are capped at 8,000 bytes, so only the id goes.
create or replace function realtime.local_notify_message() returns trigger
language plpgsql
as $$
begin
  perform pg_notify('realtime_messages', new.id::text);
  return null;
end;
$$;

drop trigger if exists local_notify_message on realtime.messages;
create trigger local_notify_message
  after insert on realtime.messages
  for each row execute function realtime.local_notify_message();

-- Realtime (supabase_realtime_admin) owns the message table: postgres, a member of
-- that role, writes the policies on it.
alter table realtime.messages owner to supabase_realtime_admin;
grant all on all tables in schema realtime to postgres;
grant all on all routines in schema realtime to postgres;

do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
alter publication supabase_realtime owner to postgres;

-- ---------------------------------------------------------------------------
-- vault: Supabase Vault (supabase/vault 0.3.1), secrets the database itself reads,
-- e.g. where to deliver notifications and with which token. Same table, view and
-- functions, and the access hosted grants when it creates the extension
-- (supabase/postgres: postgresql_extension_custom_scripts/supabase_vault/after-create.sql):
-- postgres (with grant option) and service_role may use the schema, select and delete
-- vault.secrets and vault.decrypted_secrets, and call create_secret, update_secret and
-- _crypto_aead_det_decrypt; nobody may insert or update the table directly; anon and
-- authenticated get nothing.
-- Hosted encrypts with libsodium under a key outside the database. Locally the secret is
-- encrypted too (pgcrypto, AES-256, bound to the row's id and nonce) under a random key
-- in the data directory, vault_local.key, which only the superuser can read
-- (pg_read_file): a key in a table would not do, as postgres holds pg_read_all_data. So
-- vault.secrets.secret is ciphertext here as there, and only decrypted_secrets reads it.
-- ---------------------------------------------------------------------------
create schema if not exists vault authorization supabase_admin;

do $$
begin
  if pg_stat_file('vault_local.key', true) is null then
    execute format('copy (select encode(extensions.gen_random_bytes(32), %L)) to %L',
                   'hex', current_setting('data_directory') || '/vault_local.key');
  end if;
end
$$;

create or replace function vault._local_key() returns text
language sql stable security definer set search_path = ''
as $$ select pg_catalog.btrim(pg_catalog.pg_read_file('vault_local.key'), E'\n') $$;

create or replace function vault._crypto_aead_det_noncegen() returns bytea
language sql volatile security definer set search_path = ''
as $$ select extensions.gen_random_bytes(16) $$;

-- The signatures of Vault's libsodium functions; key_id and context are not used here.
-- The id (additional) and the nonce are part of the key, so a secret copied to
-- another row does not decrypt.
create or replace function vault._crypto_aead_det_encrypt(
  message bytea, additional bytea, key_id bigint, context bytea = 'pgsodium', nonce bytea = null
) returns bytea
language sql volatile security definer set search_path = ''
as $$
  select extensions.pgp_sym_encrypt_bytea(message,
    vault._local_key() || pg_catalog.encode(additional, 'hex') || coalesce(pg_catalog.encode(nonce, 'hex'), ''),
    'cipher-algo=aes256')
$$;

create or replace function vault._crypto_aead_det_decrypt(
  message bytea, additional bytea, key_id bigint, context bytea = 'pgsodium', nonce bytea = null
) returns bytea
language sql stable security definer set search_path = ''
as $$
  select extensions.pgp_sym_decrypt_bytea(message,
    vault._local_key() || pg_catalog.encode(additional, 'hex') || coalesce(pg_catalog.encode(nonce, 'hex'), ''))
$$;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default vault._crypto_aead_det_noncegen(),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;
comment on table vault.secrets is 'Local stand-in for Supabase Vault''s secrets (the secret column is encrypted).';

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret,
       convert_from(vault._crypto_aead_det_decrypt(
         decode(s.secret, 'base64'), convert_to(s.id::text, 'utf8'), 0, 'pgsodium', s.nonce), 'utf8') as decrypted_secret,
       s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
) returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  new_id uuid := gen_random_uuid();
  new_nonce bytea := vault._crypto_aead_det_noncegen();
begin
  insert into vault.secrets (id, name, description, secret, nonce)
  values (new_id, new_name, new_description,
          encode(vault._crypto_aead_det_encrypt(convert_to(new_secret, 'utf8'), convert_to(new_id::text, 'utf8'), 0, 'pgsodium', new_nonce), 'base64'),
          new_nonce);
  return new_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid, new_secret text default null, new_name text default null,
  new_description text default null, new_key_id uuid default null
) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update vault.secrets s
     set secret = case when new_secret is null then s.secret
                       else encode(vault._crypto_aead_det_encrypt(convert_to(new_secret, 'utf8'), convert_to(s.id::text, 'utf8'), 0, 'pgsodium', s.nonce), 'base64') end,
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   where s.id = secret_id;
end
$$;

revoke all on function vault._local_key(), vault._crypto_aead_det_noncegen(),
  vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea),
  vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid)
  from public;
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to postgres with grant option;
grant usage on schema vault to service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to service_role;

-- ---------------------------------------------------------------------------
-- Marker: which baseline version this database carries.
-- ---------------------------------------------------------------------------
create schema if not exists supabase_local authorization supabase_admin;
revoke all on schema supabase_local from public;
create table if not exists supabase_local.baseline (
  version int not null,
  applied_at timestamptz not null default now()
);
comment on table supabase_local.baseline is 'Version of scripts/stack/supabase-baseline.sql applied to this local database.';
delete from supabase_local.baseline;
insert into supabase_local.baseline (version) values (4);
