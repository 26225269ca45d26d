-- The API contract (supabase/API.md): exact signatures and results of the core
-- functions, and the generic rules every public function follows (over pg_proc, so
-- functions added later are covered too).
begin;
\ir helpers/auth.psql
select plan(25);

-- Signatures and results ----------------------------------------------------------------
select has_function('public', 'list_crm_projects', '{}'::name[], 'list_crm_projects()');
select function_returns('public', 'list_crm_projects', '{}'::name[], 'setof record', 'list_crm_projects returns a table');
select has_function('public', 'create_crm_project', array['text', 'text[]'], 'create_crm_project(text, text[])');
select function_returns('public', 'create_crm_project', array['text', 'text[]'], 'jsonb', 'create_crm_project returns jsonb');
select has_function('public', 'get_online_users', array['uuid', 'text'], 'get_online_users(uuid, text)');
select function_returns('public', 'get_online_users', array['uuid', 'text'], 'setof record', 'get_online_users returns a table');
select has_function('public', 'identify_site_user', array['uuid', 'text', 'text', 'text', 'text', 'jsonb', 'uuid'],
  'identify_site_user(uuid, text, text, text, text, jsonb, uuid)');
select function_returns('public', 'identify_site_user', array['uuid', 'text', 'text', 'text', 'text', 'jsonb', 'uuid'], 'jsonb',
  'identify_site_user returns jsonb');
select has_function('public', 'crm_can_read_topic', array['text'], 'crm_can_read_topic(text)');
select function_returns('public', 'crm_can_read_topic', array['text'], 'boolean', 'crm_can_read_topic returns boolean');
select has_function('crm', 'ingest', array['jsonb', 'jsonb'], 'crm.ingest(jsonb, jsonb)');
select function_returns('crm', 'ingest', array['jsonb', 'jsonb'], 'jsonb', 'crm.ingest returns jsonb');
select has_function('crm', 'ingest_batches', array['jsonb'], 'crm.ingest_batches(jsonb)');
select function_returns('crm', 'ingest_batches', array['jsonb'], 'jsonb', 'crm.ingest_batches returns jsonb');

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
  'session_id, user_id, display_name, email, current_page, time_on_site_seconds, time_on_page_seconds, device_type, browser, os, country, segment, is_stuck, is_idle, started_at, current_page_since, last_activity_at',
  'get_online_users columns');
select is(pg_temp.args('public.identify_site_user(uuid, text, text, text, text, jsonb, uuid)', 'i'),
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

select ok(has_function_privilege('service_role', 'crm.ingest(jsonb, jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'crm.ingest(jsonb, jsonb)', 'execute')
  and not has_function_privilege('anon', 'crm.ingest(jsonb, jsonb)', 'execute'),
  'crm.ingest is executable by service_role only');
select ok(has_function_privilege('service_role', 'crm.ingest_batches(jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'crm.ingest_batches(jsonb)', 'execute')
  and not has_function_privilege('anon', 'crm.ingest_batches(jsonb)', 'execute'),
  'crm.ingest_batches is executable by service_role only');

select * from finish();
rollback;
