-- Conformance fixtures for the gateway tests: RPC functions in public (each with
-- explicit grants: revoke-by-default is in force), a membership table and the RLS
-- policies Realtime authorisation reads. Everything is named gwtest and dropped by
-- teardown.sql.
create schema if not exists gwtest;
grant usage on schema gwtest to anon, authenticated, service_role;
create table if not exists gwtest.members (
  topic text not null,
  user_id uuid not null,
  can_write boolean not null default true,
  primary key (topic, user_id)
);
grant select on gwtest.members to authenticated;
create table if not exists gwtest.log (n int);
grant insert on gwtest.log to anon, authenticated;
create table if not exists gwtest.uniq (k text primary key);
grant insert on gwtest.uniq to anon, authenticated;

drop policy if exists gwtest_messages_select_policy on realtime.messages;
create policy gwtest_messages_select_policy on realtime.messages for select to authenticated
  using (realtime.topic() like 'gwtest:%' and exists (
    select from gwtest.members m where m.topic = realtime.topic() and m.user_id = (select auth.uid())));
drop policy if exists gwtest_messages_insert_policy on realtime.messages;
create policy gwtest_messages_insert_policy on realtime.messages for insert to authenticated
  with check (realtime.topic() like 'gwtest:%' and exists (
    select from gwtest.members m
    where m.topic = realtime.topic() and m.user_id = (select auth.uid()) and m.can_write));

create or replace function public.gwtest_whoami() returns jsonb language sql stable as $$
  select jsonb_build_object(
    'role', current_user,
    'sub', auth.uid(),
    'claims_role', auth.role(),
    'method', current_setting('request.method', true),
    'has_apikey_header', coalesce(current_setting('request.headers', true)::jsonb ? 'apikey', false),
    'read_only', current_setting('transaction_read_only'))
$$;
create or replace function public.gwtest_add(a int, b int default 10) returns int
  language sql immutable as 'select a + b';
create or replace function public.gwtest_echo_json(jsonb) returns jsonb
  language sql immutable as 'select $1';
create or replace function public.gwtest_series(n int) returns table (i int, label text)
  language sql immutable as $$ select g, 'item ' || g from generate_series(1, n) g $$;
create or replace function public.gwtest_point(out x int, out y int)
  language sql immutable as 'select 1, 2';
create or replace function public.gwtest_tags(tags text[]) returns int
  language sql immutable as 'select cardinality(tags)';
create or replace function public.gwtest_echo_text(t text) returns text
  language sql immutable as 'select t';
create or replace function public.gwtest_nothing() returns void
  language sql as 'select';
create or replace function public.gwtest_fail(state text) returns int language plpgsql as $$
begin
  raise exception 'gwtest failure %', state using errcode = state, hint = 'gwtest hint';
end;
$$;
create or replace function public.gwtest_write() returns int language sql as
  'insert into gwtest.log values (1) returning 1';
create or replace function public.gwtest_dupe() returns void language sql as
  $$ insert into gwtest.uniq values ('x'); insert into gwtest.uniq values ('x') $$;
create or replace function public.gwtest_members_only() returns int language sql as 'select 1';

do $$
declare f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'public' and p.proname like 'gwtest\_%'
  loop
    execute format('revoke execute on function %s from public', f);
    if f <> 'public.gwtest_members_only()'::regprocedure then
      execute format('grant execute on function %s to anon, authenticated, service_role', f);
    end if;
  end loop;
end
$$;
grant execute on function public.gwtest_members_only() to authenticated, service_role;
