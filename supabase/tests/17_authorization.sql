-- Authorisation matrix for the core API — anon, a signed-in non-member, viewer, admin,
-- owner, service_role — over every core function, every crm table and the realtime topic.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(57);

select tests.create_project('Matrix') as p \gset
select tests.create_project('Elsewhere') as q \gset
select tests.add_member(:'p', 'owner@example.test', 'owner') as owner \gset
select tests.add_member(:'p', 'admin@example.test', 'admin') as admin \gset
select tests.add_member(:'p', 'viewer@example.test', 'viewer') as viewer \gset
select tests.create_user('outsider@example.test') as outsider \gset
select tests.add_member(:'q', 'q-owner@example.test', 'owner') as q_owner \gset
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(tests.ev('pageview', now())));
select tests.ingest(:'q', tests.uid(3), tests.uid(4), jsonb_build_array(tests.ev('pageview', now())));
select format('select * from public.get_online_users(%L)', :'p') as online_sql \gset
select format('select public.identify_site_user(%L, p_email => %L, p_segment => %L)', :'p', 'paid@example.com', 'premium') as identify_sql \gset
select format($$select crm.ingest(jsonb_build_object('project', %L, 'sent_at', %s, 'visitor_id', %L, 'session_id', %L,
  'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'pageview', 'ts', %s, 'path', '/'))), '{}')$$,
  (select public_key from crm.projects where id = :'p'), tests.ms(now()), tests.uid(5), tests.uid(6), tests.ms(now())) as ingest_sql \gset
select jsonb_build_object('project', (select public_key from crm.projects where id = :'p'), 'sent_at', tests.ms(now()),
  'visitor_id', tests.uid(7), 'session_id', tests.uid(8),
  'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'pageview', 'ts', tests.ms(now()), 'path', '/')))
  as ingest_sql_batch \gset
select format('select crm.ingest_batches(%L)', jsonb_build_array(jsonb_build_object('batch', :'ingest_sql_batch'::jsonb, 'context', '{}'::jsonb)))
  as ingest_batches_sql \gset

-- anon ------------------------------------------------------------------------------------
select tests.authenticate_as_role('anon');
select throws_ok('select * from public.list_crm_projects()', '42501', null, 'anon: list_crm_projects refused');
select throws_ok($$ select public.create_crm_project('x') $$, '42501', null, 'anon: create_crm_project refused');
select throws_ok(:'online_sql', '42501', null, 'anon: get_online_users refused');
select throws_ok(:'identify_sql', '42501', null, 'anon: identify_site_user refused');
select throws_ok($$ select public.crm_can_read_topic('crm:x') $$, '42501', null, 'anon: crm_can_read_topic refused');
select throws_ok(:'ingest_sql', '42501', null, 'anon: crm.ingest refused');
select throws_ok(:'ingest_batches_sql', '42501', null, 'anon: crm.ingest_batches refused');
select throws_ok('select count(*) from crm.site_users', '42501', null, 'anon: crm tables unreachable');

-- a signed-in non-member ---------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as(:'outsider');
select is_empty('select * from public.list_crm_projects()', 'non-member: list_crm_projects shows none of the projects');
select throws_ok(:'online_sql', '42501', null, 'non-member: get_online_users refused');
select throws_ok(:'identify_sql', '42501', null, 'non-member: identify_site_user refused');
select is(public.crm_can_read_topic('crm:' || :'p'), false, 'non-member: may not read the project topic');
select throws_ok(:'ingest_sql', '42501', null, 'non-member: crm.ingest refused');
select throws_ok(:'ingest_batches_sql', '42501', null, 'non-member: crm.ingest_batches refused');
select throws_ok('select count(*) from crm.site_sessions', '42501', null, 'authenticated: crm tables unreachable');
select is((public.create_crm_project('Mine', '{https://mine.example}') ->> 'role'), 'owner',
  'any signed-in user may create a project and becomes its owner');
select is((select count(*)::int from public.list_crm_projects()), 1, 'the new project is the caller''s only project');
select throws_ok($$ select public.create_crm_project('Slash', '{https://shop.example/}') $$,
  '22023', null, 'create_crm_project checks the origins as the settings do');

-- viewer --------------------------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as(:'viewer');
select results_eq('select id, role from public.list_crm_projects()', format('values (%L::uuid, %L)', :'p', 'viewer'),
  'viewer: list_crm_projects shows the project with the caller''s role');
select lives_ok(:'online_sql', 'viewer: get_online_users allowed');
select is((select count(*)::int from public.get_online_users(:'p')), 1, 'viewer: sees the project''s online session');
select throws_ok(format('select * from public.get_online_users(%L)', :'q'), '42501', null, 'viewer: another project''s live view refused');
select throws_ok(:'identify_sql', '42501', null, 'viewer: identify_site_user refused (admin)');
select is(public.crm_can_read_topic('crm:' || :'p'), true, 'viewer: may read the project topic');
select is(public.crm_can_read_topic('crm:' || :'q'), false, 'viewer: may not read another project''s topic');
select is(public.crm_can_read_topic('crm:not-a-uuid'), false, 'a malformed topic is refused, not an error');
select throws_ok(:'ingest_sql', '42501', null, 'viewer: crm.ingest refused');
select throws_ok(:'ingest_batches_sql', '42501', null, 'viewer: crm.ingest_batches refused');

-- admin ---------------------------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as(:'admin');
select results_eq('select role from public.list_crm_projects()', $$ values ('admin') $$, 'admin: sees the project as admin');
select lives_ok(:'online_sql', 'admin: get_online_users allowed');
select lives_ok(:'identify_sql', 'admin: identify_site_user allowed');
select throws_ok(format('select public.identify_site_user(%L, p_email => %L)', :'q', 'x@example.com'), '42501', null,
  'admin: identify_site_user in another project refused');
select throws_ok(:'ingest_sql', '42501', null, 'admin: crm.ingest refused');
select throws_ok(:'ingest_batches_sql', '42501', null, 'admin: crm.ingest_batches refused');

-- owner ---------------------------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as(:'owner');
select results_eq('select role from public.list_crm_projects()', $$ values ('owner') $$, 'owner: sees the project as owner');
select lives_ok(:'online_sql', 'owner: get_online_users allowed');
select lives_ok(:'identify_sql', 'owner: identify_site_user allowed');
select is(public.crm_can_read_topic('crm:' || :'p'), true, 'owner: may read the project topic');
select throws_ok(:'ingest_sql', '42501', null, 'owner: crm.ingest refused');
select throws_ok(:'ingest_batches_sql', '42501', null, 'owner: crm.ingest_batches refused');

-- service_role ----------------------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as_role('service_role');
select ok((select count(*) from public.list_crm_projects() where id in (:'p', :'q')) = 2, 'service_role: list_crm_projects shows every project');
select throws_ok($$ select public.create_crm_project('x') $$, '42501', null, 'service_role: create_crm_project needs a signed-in user');
select lives_ok(:'online_sql', 'service_role: get_online_users allowed (any project)');
select lives_ok(:'identify_sql', 'service_role: identify_site_user allowed (any project)');
select is(public.crm_can_read_topic('crm:' || :'p'), false, 'service_role: crm_can_read_topic is false (no signed-in user; service_role bypasses RLS anyway)');
select is((select (r ->> 'status')::int from (select crm.ingest(jsonb_build_object('project', (select 1)::text), '{}') r) x), 400,
  'service_role: crm.ingest allowed (answers a status, never raises)');
select is((select (r ->> 'status')::int from (select (x.r -> 0) as r from (select crm.ingest_batches(jsonb_build_array(
    jsonb_build_object('batch', (:'ingest_sql_batch')::jsonb, 'context', '{}'::jsonb))) r) x) y), 202,
  'service_role: crm.ingest_batches stores a batch (security definer: no table grants needed)');
select throws_ok('select count(*) from crm.user_events', '42501', null, 'service_role: crm tables unreachable too (only through functions)');
select tests.clear_authentication();

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

-- The realtime topic, as the Realtime server checks it (role, claims, realtime.topic) -----
select realtime.send('{"probe": 1}', 'probe', 'crm:' || :'p');
select realtime.send('{"probe": 2}', 'probe', 'crm:' || :'q');
create function pg_temp.visible(p_user uuid, p_role text, p_topic text) returns integer
language plpgsql as $$
declare
  v integer;
begin
  if p_user is null then perform tests.authenticate_as_role(p_role); else perform tests.authenticate_as(p_user); end if;
  perform set_config('realtime.topic', p_topic, true);
  select count(*) into v from realtime.messages m where m.event = 'probe';
  perform tests.clear_authentication();
  perform set_config('realtime.topic', '', true);
  return v;
end;
$$;
grant execute on function pg_temp.visible(uuid, text, text) to anon, authenticated;
select is(pg_temp.visible(null, 'anon', 'crm:' || :'p'), 0, 'realtime: anon reads nothing of the topic');
select is(pg_temp.visible(:'outsider', null, 'crm:' || :'p'), 0, 'realtime: a non-member reads nothing of the topic');
select is(pg_temp.visible(:'viewer', null, 'crm:' || :'p'), 1, 'realtime: a viewer reads the project topic (and only it)');
select is(pg_temp.visible(:'admin', null, 'crm:' || :'p'), 1, 'realtime: an admin reads the project topic');
select is(pg_temp.visible(:'owner', null, 'crm:' || :'p'), 1, 'realtime: an owner reads the project topic');
select is(pg_temp.visible(:'viewer', null, 'crm:' || :'q'), 0, 'realtime: a member of one project cannot read another''s topic');
select is(pg_temp.visible(:'viewer', null, ''), 0, 'realtime: without a topic nothing is readable');

select * from finish();
rollback;
