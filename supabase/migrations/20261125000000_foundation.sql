-- Foundation: the project schema `crm` and revoke-by-default.
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
