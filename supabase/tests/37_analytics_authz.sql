-- The contract (API.md, "Analytics, administration and privacy") and the
-- authorisation matrix of every analytics / administration / privacy RPC: anon,
-- a signed-in non-member, viewer, admin, owner and service_role.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql

create table tests.an_fns (name text primary key, args text[] not null, returns text not null, min_role text not null, call text not null);
grant select on tests.an_fns to anon, authenticated, service_role;
insert into tests.an_fns values
  ('get_crm_metrics', '{uuid}', 'setof record', 'viewer', 'select * from public.get_crm_metrics(tests.an_id(''project''))'),
  ('get_daily_active_users', '{uuid,integer}', 'setof record', 'viewer', 'select * from public.get_daily_active_users(tests.an_id(''project''), 7)'),
  ('calculate_funnel_conversion', '{uuid,integer}', 'setof record', 'viewer', 'select * from public.calculate_funnel_conversion(tests.an_id(''project''), 7)'),
  ('get_site_user_detail', '{uuid,uuid}', 'jsonb', 'viewer', 'select public.get_site_user_detail(tests.an_id(''project''), tests.an_id(''site_user''))'),
  ('list_site_users', '{uuid,text,text,integer,integer}', 'setof record', 'viewer', 'select * from public.list_site_users(tests.an_id(''project''))'),
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
  ('add_crm_member', '{uuid,text,text}', 'jsonb', 'owner', 'select public.add_crm_member(tests.an_id(''project''), ''an-outsider@example.test'', ''viewer'')'),
  ('remove_crm_member', '{uuid,uuid}', 'boolean', 'owner', 'select public.remove_crm_member(tests.an_id(''project''), tests.an_id(''extra''))'),
  ('delete_crm_project', '{uuid,text}', 'boolean', 'owner', 'select public.delete_crm_project(tests.an_id(''project''), ''Authz'')');

select plan(18 * 2 + 5 + 18 * 6);

select tests.an_setup('Authz');
insert into tests.an_ids values ('extra', tests.create_user('an-extra@example.test'));
insert into crm.project_members values (tests.an_id('project'), tests.an_id('extra'), 'viewer');
select tests.an_user(tests.an_id('project'), now() - interval '1 day', p_key => 'site_user');

-- Contract --------------------------------------------------------------------
select has_function('public', name, args, format('public.%s(%s) exists', name, array_to_string(args, ', ')))
from tests.an_fns order by name;
select function_returns('public', name, args, returns, format('public.%s returns %s', name, returns))
from tests.an_fns order by name;
select is((select count(*)::integer from pg_proc p where p.pronamespace = 'public'::regnamespace
           and p.proname in (select name from tests.an_fns)), 18, 'one function per name');
select is(array(select f.name from tests.an_fns f join pg_proc p on p.proname = f.name and p.pronamespace = 'public'::regnamespace
                where not p.prosecdef or p.proconfig is distinct from array['search_path=""'] order by 1),
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
create function tests.an_rank(p_role text) returns integer language sql immutable
as $$ select coalesce(array_position(array['viewer', 'admin', 'owner'], p_role), 0) $$;
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
