-- Projects and members: the defaults a project starts with, the role check every RPC
-- starts with, who sees which project, creating one.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(19);

-- Project defaults.
select tests.create_project('Defaults') as p \gset
select is((select settings from crm.projects where id = :'p'),
  '{"session_timeout_minutes": 30, "online_window_minutes": 5, "stuck_after_minutes": 5, "retention_days": 395,
    "rate_limit_project_per_minute": 60000, "rate_limit_ip_per_minute": 600, "privacy_mode": "standard",
    "respect_dnt": true, "require_signed_identify": false, "churn_after_days": 14, "auth_jwks_url": null,
    "auth_erase_deleted_users": true}'::jsonb, 'a project starts with the default settings');
select ok((select public_key ~ '^pk_[0-9a-f]{32}$' and length(identity_secret) = 64 from crm.projects where id = :'p'),
  'a project gets a random public key pk_… and identity secret');
select throws_ok($$ insert into crm.projects (name, settings) values ('bad', '{"privacy_mode": "loose"}') $$, '23514', null,
  'privacy mode is standard or cookieless');

-- Roles, projects, who sees what ------------------------------------------------------------
select tests.create_project('Matrix') as p \gset
select tests.create_project('Elsewhere') as q \gset
select tests.add_member(:'p', 'owner@example.test', 'owner') as owner \gset
select tests.add_member(:'p', 'admin@example.test', 'admin') as admin \gset
select tests.add_member(:'p', 'viewer@example.test', 'viewer') as viewer \gset
select tests.create_user('outsider@example.test') as outsider \gset

-- The role check as an RPC runs it: inside a security definer function, called as the user.
create function tests.require_role(p_project uuid, p_role text) returns void
language sql security definer set search_path = ''
as $$ select crm.require_project_role(p_project, p_role::crm.project_role) $$;
grant execute on function tests.require_role(uuid, text) to authenticated;
select tests.authenticate_as(:'admin');
select lives_ok(format('select tests.require_role(%L, %L)', :'p', 'viewer'), 'an admin passes a viewer check');
select lives_ok(format('select tests.require_role(%L, %L)', :'p', 'admin'), 'an admin passes an admin check');
select throws_ok(format('select tests.require_role(%L, %L)', :'p', 'owner'), '42501',
  'not allowed: owner role required in this project', 'an admin fails an owner check');
select throws_ok(format('select tests.require_role(%L, %L)', :'q', 'viewer'), '42501', null,
  'a member of one project fails every check in another');
select throws_ok(format('select tests.require_role(%L, null)', :'p'), '22023', null, 'a check without a role refuses');
select results_eq('select role from public.list_crm_projects()', $$ values ('admin') $$, 'list_crm_projects shows the caller''s role');
select tests.clear_authentication();

select tests.authenticate_as_role('anon');
select throws_ok('select * from public.list_crm_projects()', '42501', null, 'anon: list_crm_projects refused');
select throws_ok($$ select public.create_crm_project('x') $$, '42501', null, 'anon: create_crm_project refused');
select tests.clear_authentication();

select tests.authenticate_as(:'outsider');
select is_empty('select * from public.list_crm_projects()', 'non-member: list_crm_projects shows none of the projects');
select is((public.create_crm_project('Mine', '{https://mine.example}') ->> 'role'), 'owner',
  'any signed-in user may create a project and becomes its owner');
select is((select count(*)::int from public.list_crm_projects()), 1, 'the new project is the caller''s only project');
select throws_ok($$ select public.create_crm_project('Slash', '{https://shop.example/}') $$,
  '22023', null, 'create_crm_project checks the origins as the settings do');
select throws_ok($$ select public.create_crm_project('  ') $$, '22023', null, 'a blank project name is refused');
select tests.clear_authentication();

select tests.authenticate_as(:'viewer');
select results_eq('select id, role from public.list_crm_projects()', format('values (%L::uuid, %L)', :'p', 'viewer'),
  'viewer: list_crm_projects shows the project with the caller''s role');
select tests.clear_authentication();

select tests.authenticate_as_role('service_role');
select ok((select count(*) from public.list_crm_projects() where id in (:'p', :'q')) = 2, 'service_role: list_crm_projects shows every project');
select throws_ok($$ select public.create_crm_project('x') $$, '42501', null, 'service_role: create_crm_project needs a signed-in user');
select tests.clear_authentication();

select * from finish();
rollback;
