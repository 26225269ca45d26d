-- Drops everything fixtures.sql created, and the users the tests made.
do $$
declare f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'public' and p.proname like 'gwtest\_%'
  loop
    execute format('drop function %s', f);
  end loop;
end
$$;
drop policy if exists gwtest_messages_select_policy on realtime.messages;
drop policy if exists gwtest_messages_insert_policy on realtime.messages;
drop schema if exists gwtest cascade;
delete from auth.users where email like 'gwtest-%@example.test';
delete from realtime.messages where topic like 'gwtest:%';
