-- Revoke by default (style rule 2): no function in `public` or `crm` is callable by
-- anyone without its own explicit grant, and the API roles cannot reach `crm`.
-- Generic over pg_proc, so every function added later is covered too.
begin;
\ir helpers/auth.psql
select plan(7);

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

select * from finish();
rollback;
