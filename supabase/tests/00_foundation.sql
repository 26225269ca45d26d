-- Foundation: what the project needs from the platform (the Supabase-compatible baseline
-- locally, the real thing on Supabase), revoke-by-default, the enums, and the rules every
-- function follows — the API contract of supabase/API.md and the authorisation matrix of
-- every public RPC (anon, a signed-in non-member, viewer, admin, owner, service_role).
-- Generic over pg_proc and pg_class, so everything added later is covered too.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(416);

-- The platform ----------------------------------------------------------------------------
-- Roles and their attributes
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

-- Hosted Supabase's role model: supabase_admin is the superuser and owns the platform;
-- postgres, which runs the migrations, the jobs and this suite, is not.
select ok(exists (select from pg_roles where rolname = 'supabase_admin' and rolsuper), 'supabase_admin is the superuser');
select is((select row(rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls)::text
             from pg_roles where rolname = 'postgres'),
  '(f,t,t,t,t,t,t)', 'postgres: NOSUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS');
select ok(not (select rolsuper from pg_roles where rolname = current_user), 'this suite runs without superuser rights');
select ok(not exists (
  select from unnest(array['pg_monitor', 'pg_read_all_data', 'pg_signal_backend', 'anon', 'authenticated', 'service_role',
                           'authenticator', 'supabase_realtime_admin']) r(name)
   where not exists (select from pg_auth_members m where m.member = 'postgres'::regrole and m.roleid = r.name::regrole)),
  'postgres is a member of pg_monitor, pg_read_all_data, pg_signal_backend, the API roles, authenticator and supabase_realtime_admin');
select ok((select admin_option from pg_auth_members where member = 'postgres'::regrole and roleid = 'authenticator'::regrole),
  'postgres holds authenticator with admin option');
select ok(not exists (select from pg_auth_members where member = 'postgres'::regrole and roleid = 'supabase_admin'::regrole),
  'postgres cannot become supabase_admin');
select ok((select 'statement_timeout=8s' = any(setconfig) and 'lock_timeout=8s' = any(setconfig)
             from pg_db_role_setting where setrole = 'authenticator'::regrole and setdatabase = 0),
  'authenticator: statement_timeout and lock_timeout 8s');
select ok(not exists (select from pg_roles where rolname in ('supabase_auth_admin', 'supabase_realtime_admin') and (rolsuper or rolbypassrls)),
  'the Auth and Realtime service roles are not superusers');
select is((select array_agg(nspname || ':' || pg_get_userbyid(nspowner) order by nspname) from pg_namespace
            where nspname in ('auth', 'cron', 'extensions', 'realtime')),
  array['auth:supabase_admin', 'cron:supabase_admin', 'extensions:supabase_admin', 'realtime:supabase_admin'],
  'supabase_admin owns the schemas auth, cron, extensions and realtime');
select is((select array_agg(extname::text order by extname) from pg_extension
            where extname in ('pg_cron', 'pg_trgm', 'pgcrypto') and pg_get_userbyid(extowner) = 'supabase_admin'),
  array['pg_cron', 'pg_trgm', 'pgcrypto'], 'supabase_admin owns the extensions the project uses');
select is(pg_get_userbyid((select relowner from pg_class where oid = 'auth.users'::regclass)), 'supabase_auth_admin',
  'Auth (supabase_auth_admin) owns auth.users');
select is(pg_get_userbyid((select relowner from pg_class where oid = 'realtime.messages'::regclass)), 'supabase_realtime_admin',
  'Realtime (supabase_realtime_admin) owns realtime.messages');
select ok(has_table_privilege('postgres', 'cron.job', 'select') and not has_table_privilege('postgres', 'cron.job', 'insert')
          and not has_table_privilege('postgres', 'cron.job', 'update') and not has_table_privilege('postgres', 'cron.job', 'delete'),
  'postgres reads cron.job but writes it only through cron.schedule/unschedule');

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

-- Revoke by default --------------------------------------------------------------------
select is(
  array(
    select p.oid::regprocedure::text
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'crm')
      and (p.proacl is null -- a null ACL means the built-in default: EXECUTE for PUBLIC
           or exists (select from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'))
    order by 1),
  '{}'::text[],
  'no function in public or crm is executable by PUBLIC');

select is(
  array(
    select p.oid::regprocedure::text
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'crm'
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
    order by 1),
  '{}'::text[],
  'no crm function is executable by anon or authenticated');

select ok(not has_schema_privilege('anon', 'crm', 'usage') and not has_schema_privilege('authenticated', 'crm', 'usage'),
  'anon and authenticated have no USAGE on schema crm');

select is(
  array(
    select c.oid::regclass::text
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'crm') and c.relkind in ('r', 'p', 'v', 'm')
      and (has_table_privilege('anon', c.oid, 'select, insert, update, delete')
           or has_table_privilege('authenticated', c.oid, 'select, insert, update, delete'))
    order by 1),
  '{}'::text[],
  'no table or view in public or crm is directly reachable by anon or authenticated');

-- A function created now (as migrations create them) gets no API grant, in either
-- schema: proves the global AND the per-schema default privileges were revoked.
create function public.zz_new_rpc() returns int language sql as 'select 1';
create function crm.zz_new_helper() returns int language sql as 'select 1';
select ok(not has_function_privilege('anon', 'public.zz_new_rpc()', 'execute')
  and not has_function_privilege('authenticated', 'public.zz_new_rpc()', 'execute'),
  'a new function in public is not executable by anon or authenticated until granted');
select ok(not exists (select from aclexplode((select proacl from pg_proc where oid = 'crm.zz_new_helper()'::regprocedure)) a
  where a.grantee = 0), 'a new function in crm is not executable by PUBLIC');

create table public.zz_new_table (id int);
select ok(not has_table_privilege('anon', 'public.zz_new_table', 'select')
  and not has_table_privilege('authenticated', 'public.zz_new_table', 'select'),
  'a new table in public is not granted to anon or authenticated');

-- Enums: written once, read by every check and message ---------------------------------
select is(crm.enum_labels('crm.segment'), array['visitor', 'user', 'premium', 'trial', 'churned'],
  'crm.segment lists the segments in order');
select is(crm.enum_labels('crm.project_role'), array['viewer', 'admin', 'owner'], 'crm.project_role lists the roles in rank order');
select ok('viewer'::crm.project_role < 'admin' and 'admin'::crm.project_role < 'owner', 'roles compare by rank');
select throws_ok($$ select crm.require_segment('gold') $$, '22023', 'unknown segment gold: use visitor, user, premium, trial, churned',
  'an unknown segment is refused with the list from the enum');
select is(crm.require_segment(null), null, 'no segment is no filter');
select throws_ok($$ select crm.require_role_name('boss') $$, '22023', 'role must be one of viewer, admin, owner',
  'an unknown role is refused with the list from the enum');
select is(
  array(select format('%s.%s', c.relname, a.attname) from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'crm'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
          and a.attname in ('segment', 'role') and a.atttypid not in ('crm.segment'::regtype, 'crm.project_role'::regtype)
        order by 1),
  '{}'::text[], 'every segment and role column is of its enum type');

-- Signatures and results ----------------------------------------------------------------
select has_function('public', 'list_crm_projects', '{}'::name[], 'list_crm_projects()');
select function_returns('public', 'list_crm_projects', '{}'::name[], 'setof record', 'list_crm_projects returns a table');
select has_function('public', 'create_crm_project', array['text', 'text[]'], 'create_crm_project(text, text[])');
select function_returns('public', 'create_crm_project', array['text', 'text[]'], 'jsonb', 'create_crm_project returns jsonb');
select has_function('public', 'get_online_users', array['uuid', 'text'], 'get_online_users(uuid, text)');
select function_returns('public', 'get_online_users', array['uuid', 'text'], 'setof record', 'get_online_users returns a table');
select has_function('public', 'identify_site_user', array['uuid', 'text', 'text', 'text', 'text', 'json', 'uuid'],
  'identify_site_user(uuid, text, text, text, text, json, uuid)');
select function_returns('public', 'identify_site_user', array['uuid', 'text', 'text', 'text', 'text', 'json', 'uuid'], 'jsonb',
  'identify_site_user returns jsonb');
select has_function('public', 'crm_can_read_topic', array['text'], 'crm_can_read_topic(text)');
select function_returns('public', 'crm_can_read_topic', array['text'], 'boolean', 'crm_can_read_topic returns boolean');
select has_function('crm', 'ingest', array['json', 'json'], 'crm.ingest(json, json)');
select function_returns('crm', 'ingest', array['json', 'json'], 'jsonb', 'crm.ingest returns jsonb');
select has_function('crm', 'ingest_batches', array['json'], 'crm.ingest_batches(json)');
select function_returns('crm', 'ingest_batches', array['json'], 'jsonb', 'crm.ingest_batches returns jsonb');

-- Parameter names (PostgREST calls with named arguments) and result columns.
create function pg_temp.args(p regprocedure, p_modes text) returns text
language sql as $$
  select string_agg(n, ', ' order by i) from pg_proc f,
    unnest(f.proargnames, coalesce(f.proargmodes, array_fill('i'::"char", array[cardinality(f.proargnames)]))) with ordinality as a (n, m, i)
  where f.oid = p and position(m in p_modes) > 0
$$;
select is(pg_temp.args('public.list_crm_projects()', 't'), 'id, name, public_key, role, created_at',
  'list_crm_projects columns');
select is(pg_temp.args('public.create_crm_project(text, text[])', 'i'), 'p_name, p_allowed_origins', 'create_crm_project parameters');
select is(pg_temp.args('public.get_online_users(uuid, text)', 'i'), 'p_project_id, p_segment', 'get_online_users parameters');
select is(pg_temp.args('public.get_online_users(uuid, text)', 't'),
  'session_id, user_id, name, email, current_page, time_on_site_seconds, time_on_page_seconds, device_type, browser, os, country, segment, is_stuck, is_idle, started_at, current_page_since, last_activity_at',
  'get_online_users columns');
select is(pg_temp.args('public.identify_site_user(uuid, text, text, text, text, json, uuid)', 'i'),
  'p_project_id, p_email, p_external_id, p_name, p_segment, p_metadata, p_anonymous_id', 'identify_site_user parameters');

-- Generic rules -------------------------------------------------------------------------
select is(
  array(select p.proname::text from pg_proc p where p.pronamespace = 'public'::regnamespace
        group by p.proname having count(*) > 1 order by 1),
  '{}'::text[], 'one function per name in public (overloads break PostgREST with PGRST203)');

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'crm'::regnamespace) and p.prosecdef
          and not coalesce('search_path=""' = any (p.proconfig), false)
        order by 1),
  '{}'::text[], 'every security definer function pins search_path to empty');

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace and 'p_project_id' = any (p.proargnames)
          and not (p.prosecdef and p.prolang = (select oid from pg_language where lanname = 'plpgsql')
                   and substr(p.prosrc, regexp_instr(p.prosrc, '\mbegin\M') + 5)
                       ~ '^\s+perform crm\.require_project_role\(p_project_id, ''(viewer|admin|owner)''\);')
        order by 1),
  '{}'::text[],
  'every public function taking a project id is security definer and first checks the caller''s role in that project');

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace
          and (has_function_privilege('anon', p.oid, 'execute')
               or not (has_function_privilege('authenticated', p.oid, 'execute') or has_function_privilege('service_role', p.oid, 'execute')))
        order by 1),
  '{}'::text[], 'every public function has its own grant to authenticated and/or service_role, none to anon');
select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace = 'crm'::regnamespace and has_function_privilege('service_role', p.oid, 'execute')
        order by 1),
  array['crm.ingest(json,json)', 'crm.ingest_admit(json)', 'crm.ingest_apply(crm.ingest_batch[])',
        'crm.ingest_auth_trust(text)', 'crm.ingest_batches(json)', 'crm.ingest_call(json,jsonb)',
        'crm.record_ingest_refusals(json)'],
  'service_role may execute exactly the ingest entry points (crm.ingest_call runs as its caller: its two halves too) and the trust lookup of tokens');


-- Every crm table, generically ---------------------------------------------------------------
select is(
  array(select c.oid::regclass::text from pg_class c
        where c.relnamespace = 'crm'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
          and (has_table_privilege('anon', c.oid, 'select, insert, update, delete, truncate')
            or has_table_privilege('authenticated', c.oid, 'select, insert, update, delete, truncate')
            or has_table_privilege('service_role', c.oid, 'select, insert, update, delete, truncate'))
        order by 1),
  '{}'::text[], 'no crm table grants anything to anon, authenticated or service_role');
select is(
  array(select c.oid::regclass::text from pg_class c
        where c.relnamespace = 'crm'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity order by 1),
  '{}'::text[], 'every crm table has row level security on (a second fence)');

-- Every RPC that takes a project id: contract and matrix ---------------------------------
create table tests.an_fns (name text primary key, args text[] not null, returns text not null, min_role text not null, call text not null);
grant select on tests.an_fns to anon, authenticated, service_role;
insert into tests.an_fns values
  ('get_online_users', '{uuid,text}', 'setof record', 'viewer', 'select * from public.get_online_users(tests.an_id(''project''))'),
  ('get_ingest_health', '{uuid,integer}', 'setof record', 'viewer', 'select * from public.get_ingest_health(tests.an_id(''project''))'),
  ('get_ingest_summary', '{uuid,integer}', 'jsonb', 'viewer', 'select public.get_ingest_summary(tests.an_id(''project''))'),
  ('identify_site_user', '{uuid,text,text,text,text,json,uuid}', 'jsonb', 'admin', 'select public.identify_site_user(tests.an_id(''project''), p_email => ''paid@example.com'', p_segment => ''premium'')'),
  ('get_crm_metrics', '{uuid,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.get_crm_metrics(tests.an_id(''project''))'),
  ('get_daily_active_users', '{uuid,integer,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.get_daily_active_users(tests.an_id(''project''), 7)'),
  ('calculate_funnel_conversion', '{uuid,integer,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.calculate_funnel_conversion(tests.an_id(''project''), 7)'),
  ('get_site_user_detail', '{uuid,uuid}', 'jsonb', 'viewer', 'select public.get_site_user_detail(tests.an_id(''project''), tests.an_id(''site_user''))'),
  ('list_site_users', '{uuid,text,text,integer,integer,jsonb,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.list_site_users(tests.an_id(''project''))'),
  ('get_crm_project', '{uuid}', 'jsonb', 'viewer', 'select public.get_crm_project(tests.an_id(''project''))'),
  ('export_site_users_csv', '{uuid,text,boolean}', 'text', 'admin', 'select public.export_site_users_csv(tests.an_id(''project''))'),
  ('export_crm_metrics_csv', '{uuid}', 'text', 'admin', 'select public.export_crm_metrics_csv(tests.an_id(''project''))'),
  ('calculate_daily_stats', '{uuid,date}', 'setof record', 'admin', 'select * from public.calculate_daily_stats(tests.an_id(''project''), current_date - 1)'),
  ('update_crm_project_settings', '{uuid,text,text[],jsonb}', 'jsonb', 'admin', 'select public.update_crm_project_settings(tests.an_id(''project''), ''Renamed'')'),
  ('set_crm_funnel_steps', '{uuid,jsonb}', 'jsonb', 'admin', 'select public.set_crm_funnel_steps(tests.an_id(''project''), ''[{"name":"a","event_name":"pageview"}]'')'),
  ('delete_site_user', '{uuid,uuid}', 'jsonb', 'admin', 'select public.delete_site_user(tests.an_id(''project''), tests.an_id(''site_user''))'),
  ('export_site_user', '{uuid,uuid}', 'jsonb', 'admin', 'select public.export_site_user(tests.an_id(''project''), tests.an_id(''site_user''))'),
  ('rotate_crm_public_key', '{uuid}', 'text', 'owner', 'select public.rotate_crm_public_key(tests.an_id(''project''))'),
  ('rotate_crm_identity_secret', '{uuid}', 'text', 'owner', 'select public.rotate_crm_identity_secret(tests.an_id(''project''))'),
  ('invite_crm_member', '{uuid,text,text}', 'jsonb', 'owner', 'select public.invite_crm_member(tests.an_id(''project''), ''an-outsider@example.test'', ''viewer'')'),
  ('list_crm_invitations', '{uuid}', 'jsonb', 'owner', 'select public.list_crm_invitations(tests.an_id(''project''))'),
  ('resend_crm_invitation', '{uuid,uuid}', 'jsonb', 'owner', 'select public.resend_crm_invitation(tests.an_id(''project''), tests.an_id(''invitation''))'),
  ('revoke_crm_invitation', '{uuid,uuid}', 'boolean', 'owner', 'select public.revoke_crm_invitation(tests.an_id(''project''), tests.an_id(''invitation''))'),
  ('set_crm_member_role', '{uuid,uuid,text}', 'jsonb', 'owner', 'select public.set_crm_member_role(tests.an_id(''project''), tests.an_id(''extra''), ''admin'')'),
  ('remove_crm_member', '{uuid,uuid}', 'boolean', 'owner', 'select public.remove_crm_member(tests.an_id(''project''), tests.an_id(''extra''))'),
  ('get_traffic_sources', '{uuid,date,date,jsonb,text,integer}', 'setof record', 'viewer', 'select * from public.get_traffic_sources(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_geo_breakdown', '{uuid,date,date,jsonb,integer}', 'setof record', 'viewer', 'select * from public.get_geo_breakdown(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_tech_breakdown', '{uuid,date,date,jsonb,text,integer}', 'setof record', 'viewer', 'select * from public.get_tech_breakdown(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_top_pages', '{uuid,date,date,jsonb,integer}', 'setof record', 'viewer', 'select * from public.get_top_pages(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_retention_cohorts', '{uuid,date,date,jsonb,text,integer,text,text,text}', 'setof record', 'viewer', 'select * from public.get_retention_cohorts(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_retention_curve', '{uuid,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.get_retention_curve(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_stickiness', '{uuid,date,date,jsonb}', 'setof record', 'viewer', 'select * from public.get_stickiness(tests.an_id(''project''), current_date - 6, current_date)'),
  ('get_lifecycle', '{uuid,text,integer,jsonb}', 'setof record', 'viewer', 'select * from public.get_lifecycle(tests.an_id(''project''))'),
  ('export_retention_cohorts_csv', '{uuid,date,date,jsonb,text,integer,text,text,text}', 'text', 'viewer', 'select public.export_retention_cohorts_csv(tests.an_id(''project''), current_date - 6, current_date)'),
  ('list_retention_cohort_users', '{uuid,date,date,date,integer,jsonb,text,text,text,integer,integer}', 'setof record', 'viewer', 'select * from public.list_retention_cohort_users(tests.an_id(''project''), current_date - 6, current_date, date_trunc(''week'', current_date)::date)'),
  ('list_event_names', '{uuid}', 'setof text', 'viewer', 'select * from public.list_event_names(tests.an_id(''project''))'),
  ('create_crm_alert', '{uuid,text,text,jsonb,jsonb,integer,boolean}', 'uuid', 'admin', 'select public.create_crm_alert(tests.an_id(''project''), ''Big payment'', ''event'', ''{"event": "payment_success"}'', ''[{"type": "dashboard"}]'')'),
  ('list_crm_alerts', '{uuid}', 'setof record', 'viewer', 'select * from public.list_crm_alerts(tests.an_id(''project''))'),
  ('list_crm_alert_dead_letters', '{uuid}', 'setof record', 'viewer', 'select * from public.list_crm_alert_dead_letters(tests.an_id(''project''))'),
  ('get_crm_webhook_secret', '{uuid}', 'text', 'admin', 'select public.get_crm_webhook_secret(tests.an_id(''project''))'),
  ('rotate_crm_webhook_secret', '{uuid}', 'text', 'admin', 'select public.rotate_crm_webhook_secret(tests.an_id(''project''))'),
  ('delete_crm_project', '{uuid,text}', 'boolean', 'owner', 'select public.delete_crm_project(tests.an_id(''project''), ''Authz'')');


select tests.an_setup('Authz');
insert into tests.an_ids values ('extra', tests.create_user('an-extra@example.test'));
insert into crm.project_members values (tests.an_id('project'), tests.an_id('extra'), 'viewer');
insert into tests.an_ids values ('invitation', gen_random_uuid());
insert into crm.invitations (id, project_id, email, role) values (tests.an_id('invitation'), tests.an_id('project'), 'invited@example.test', 'viewer');
select tests.an_user(tests.an_id('project'), now() - interval '1 day', p_key => 'site_user');

-- Contract --------------------------------------------------------------------
select has_function('public', name, args, format('public.%s(%s) exists', name, array_to_string(args, ', ')))
from tests.an_fns order by name;
select function_returns('public', name, args, returns, format('public.%s returns %s', name, returns))
from tests.an_fns order by name;
select is((select count(*)::integer from pg_proc p where p.pronamespace = 'public'::regnamespace
           and p.proname in (select name from tests.an_fns)), (select count(*)::integer from tests.an_fns), 'one function per name');
select is(array(select f.name from tests.an_fns f join pg_proc p on p.proname = f.name and p.pronamespace = 'public'::regnamespace
                where not p.prosecdef or not coalesce('search_path=""' = any (p.proconfig), false) order by 1),
  '{}'::text[], 'every one is security definer with search_path pinned to ''''');
select is(array(select f.name from tests.an_fns f join pg_proc p on p.proname = f.name and p.pronamespace = 'public'::regnamespace
                where p.prosrc !~ '^\s*(#variable_conflict use_column\s*)?(declare\s((?!\mbegin\M).)*)?\mbegin\s+perform crm\.require_project_role\(p_project_id, ''(viewer|admin|owner)''\);'
                order by 1),
  '{}'::text[], 'every one checks the caller''s role in the project first');
select is(array(select f.name from tests.an_fns f join pg_proc p on p.proname = f.name and p.pronamespace = 'public'::regnamespace
                where has_function_privilege('anon', p.oid, 'execute') order by 1),
  '{}'::text[], 'none is executable by anon');
select is(array(select f.name from tests.an_fns f join pg_proc p on p.proname = f.name and p.pronamespace = 'public'::regnamespace
                where not has_function_privilege('authenticated', p.oid, 'execute')
                   or not has_function_privilege('service_role', p.oid, 'execute') order by 1),
  '{}'::text[], 'every one is granted to authenticated and service_role');

-- Matrix: 'ok' or 42501 (every call rolled back) ----------------------------------
create function tests.an_rank(p_role text) returns integer language sql stable security definer set search_path = ''
as $$ select coalesce(array_position(crm.enum_labels('crm.project_role'), p_role), 0) $$;
grant execute on function tests.an_rank(text) to anon, authenticated, service_role;

select tests.authenticate_as_role('anon');
select is(tests.an_sqlstate(call), '42501', format('anon: %s refused', name)) from tests.an_fns order by name;
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('outsider'));
select is(tests.an_sqlstate(call), '42501', format('signed-in non-member: %s refused', name)) from tests.an_fns order by name;
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('viewer'));
select is(tests.an_sqlstate(call), case when tests.an_rank(min_role) <= 1 then 'ok' else '42501' end,
  format('viewer: %s %s', name, case when tests.an_rank(min_role) <= 1 then 'allowed' else 'refused' end))
from tests.an_fns order by name;
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('admin'));
select is(tests.an_sqlstate(call), case when tests.an_rank(min_role) <= 2 then 'ok' else '42501' end,
  format('admin: %s %s', name, case when tests.an_rank(min_role) <= 2 then 'allowed' else 'refused' end))
from tests.an_fns order by name;
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('owner'));
select is(tests.an_sqlstate(call), 'ok', format('owner: %s allowed', name)) from tests.an_fns order by name;
select tests.clear_authentication();

select tests.authenticate_as_role('service_role');
select is(tests.an_sqlstate(call), 'ok', format('service_role: %s allowed', name)) from tests.an_fns order by name;
select tests.clear_authentication();

select * from finish();
rollback;
