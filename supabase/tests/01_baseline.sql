-- The Supabase-compatible baseline (scripts/supabase-baseline.sql locally; the real
-- thing on Supabase): roles, auth helpers, realtime broadcast, hosted defaults.
begin;
\ir helpers/auth.psql
select plan(22);

-- Roles and their attributes (spec §6)
select ok(exists (select from pg_roles where rolname = 'anon' and not rolcanlogin), 'anon exists and cannot log in');
select ok(exists (select from pg_roles where rolname = 'authenticated' and not rolcanlogin), 'authenticated exists and cannot log in');
select ok(exists (select from pg_roles where rolname = 'service_role' and rolbypassrls and not rolcanlogin),
  'service_role bypasses RLS and cannot log in');
select ok(exists (select from pg_roles where rolname = 'authenticator' and rolcanlogin and not rolinherit),
  'authenticator logs in and does not inherit');
select ok(pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can switch to the three API roles');
select ok(not exists (select from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') and rolsuper),
  'no API role is a superuser');
select is((select array_to_string(setconfig, ',') from pg_db_role_setting where setrole = 'anon'::regrole and setdatabase = 0),
  'statement_timeout=3s', 'anon statement_timeout is 3s');
select is((select array_to_string(setconfig, ',') from pg_db_role_setting where setrole = 'authenticated'::regrole and setdatabase = 0),
  'statement_timeout=8s', 'authenticated statement_timeout is 8s');

-- Extensions and the publication
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto'), 'extensions', 'pgcrypto lives in extensions');
select ok(exists (select from pg_publication where pubname = 'supabase_realtime'), 'publication supabase_realtime exists');

-- auth.uid() / role() / email() / jwt() read the request claims
set local request.jwt.claims = '{"sub":"11111111-1111-1111-1111-111111111111","role":"authenticated","email":"a@example.com"}';
select is(auth.uid(), '11111111-1111-1111-1111-111111111111'::uuid, 'auth.uid() reads sub from request.jwt.claims');
select is(auth.role(), 'authenticated', 'auth.role() reads role from request.jwt.claims');
select is(auth.email(), 'a@example.com', 'auth.email() reads email from request.jwt.claims');
select is(auth.jwt() ->> 'email', 'a@example.com', 'auth.jwt() returns the claims');
set local request.jwt.claim.sub = '22222222-2222-2222-2222-222222222222';
select is(auth.uid(), '22222222-2222-2222-2222-222222222222'::uuid, 'the legacy request.jwt.claim.sub wins when set');
set local request.jwt.claim.sub = '';
set local request.jwt.claims = '';
select is(auth.uid(), null, 'auth.uid() is null without claims');

-- realtime.send inserts the broadcast row the Realtime server delivers
do $$ begin perform realtime.send('{"a":1}'::jsonb, 'evt', 'crm:test-topic'); end $$;
select is(
  (select row(topic, extension, event, private, payload - 'id')::text from realtime.messages where topic = 'crm:test-topic'),
  row('crm:test-topic', 'broadcast', 'evt', true, '{"a":1}'::jsonb)::text,
  'realtime.send inserts a private broadcast row with topic, event and payload');
select ok((select (payload ->> 'id') is not null from realtime.messages where topic = 'crm:test-topic'),
  'realtime.send adds an id to the payload');
select lives_ok($$ select realtime.send('{}'::jsonb, 'evt', null) $$, 'realtime.send never fails its caller (a bad row becomes a warning)');

-- realtime.broadcast_changes sends {old_record, record, operation, table, schema}
create temp table bc_probe (id int, name text);
insert into bc_probe values (1, 'x');
do $$ begin perform realtime.broadcast_changes('crm:bc', 'INSERT', 'INSERT', 'bc_probe', 'pg_temp', r, null) from bc_probe r; end $$;
select is((select payload - 'id' from realtime.messages where topic = 'crm:bc'),
  '{"old_record":null,"record":{"id":1,"name":"x"},"operation":"INSERT","table":"bc_probe","schema":"pg_temp"}'::jsonb,
  'broadcast_changes sends the row change');

-- Hosted per-schema default privileges are mirrored (so a migration that forgets
-- to revoke leaks locally exactly as on a hosted project): service_role still gets
-- new tables and functions in public; 02_privileges.sql shows anon/authenticated don't.
create table public.zz_probe_table (id int);
create function public.zz_probe_fn() returns int language sql as 'select 1';
select ok(has_table_privilege('service_role', 'public.zz_probe_table', 'select'),
  'like a hosted project, new tables in public are granted to service_role by default');
select ok(has_function_privilege('service_role', 'public.zz_probe_fn()', 'execute'),
  'like a hosted project, new functions in public are granted to service_role by default');

select * from finish();
rollback;
