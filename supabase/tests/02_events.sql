-- Site users, sessions and events: tables and their comments, keys led by project_id,
-- partitioned events with a default partition, heartbeat-friendly (HOT) sessions, the
-- event limits, and what a deleted project takes along.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(17);

select tables_are('crm', array['projects', 'project_members', 'site_users', 'anonymous_ids', 'site_sessions', 'user_events',
  'user_events_default', 'event_dedupe']
  || array(select c.relname::text from pg_class c join pg_inherits i on i.inhrelid = c.oid
           where i.inhparent = 'crm.user_events'::regclass and c.relname ~ '^user_events_\d{4}_\d{2}$')
  || array(select c.relname::text from pg_class c where c.relnamespace = 'crm'::regnamespace and c.relkind in ('r', 'p')
           and c.relname not like 'user_events%' and c.relname not in ('projects', 'project_members', 'site_users', 'anonymous_ids',
             'site_sessions', 'event_dedupe')),
  'the visitor tables exist in crm (other concerns add theirs)');
select is(
  array(select c.oid::regclass::text from pg_class c where c.relnamespace = 'crm'::regnamespace and c.relkind in ('r', 'p')
        and obj_description(c.oid, 'pg_class') is null order by 1),
  '{}'::text[], 'every crm table has a comment');
select is(
  array(select c.conrelid::regclass::text from pg_constraint c
        where c.contype = 'p' and c.connamespace = 'crm'::regnamespace
          and c.conrelid::regclass::text in ('crm.project_members', 'crm.site_users', 'crm.anonymous_ids', 'crm.site_sessions',
            'crm.user_events', 'crm.event_dedupe', 'crm.daily_user_stats', 'crm.funnel_steps', 'crm.rate_limits')
          and (select a.attname from pg_attribute a where a.attrelid = c.conrelid and a.attnum = c.conkey[1]) <> 'project_id'
        order by 1),
  '{}'::text[], 'project_id leads every key of the project data');

-- Events: partitioned by time, months made ahead, a default partition.
select is((select partstrat::text from pg_partitioned_table where partrelid = 'crm.user_events'::regclass), 'r',
  'user_events is range-partitioned');
select is((select a.attname::text from pg_partitioned_table p join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
           where p.partrelid = 'crm.user_events'::regclass), 'occurred_at', 'on occurred_at');
select ok((select count(*) from pg_inherits where inhparent = 'crm.user_events'::regclass and inhrelid::regclass::text ~ '_\d{4}_\d{2}$') >= 5,
  'monthly partitions exist from last month to three months ahead');
select is((select pg_get_expr(c.relpartbound, c.oid) from pg_class c where c.oid = 'crm.user_events_default'::regclass), 'DEFAULT',
  'a default partition catches events outside the monthly partitions');
select col_is_pk('crm', 'user_events', array['project_id', 'occurred_at', 'id'], 'the event key includes the partition key');
select col_is_pk('crm', 'event_dedupe', array['project_id', 'visitor_id', 'event_id'],
  'dedupe of re-sent events is keyed on (project_id, visitor_id, event_id), independent of the skew-corrected time');

-- Heartbeats stay HOT: no index on a column a heartbeat or page view changes.
select is(
  array(select distinct i.indexrelid::regclass::text from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid
          and (a.attnum = any (i.indkey::int2[]) or pg_get_expr(i.indpred, i.indrelid) ~ ('\m' || a.attname || '\M')
               or pg_get_expr(i.indexprs, i.indrelid) ~ ('\m' || a.attname || '\M'))
        where i.indrelid = 'crm.site_sessions'::regclass
          and a.attname in ('last_activity_at', 'current_page', 'current_page_since', 'page_views', 'is_idle', 'is_stuck')
        order by 1),
  '{}'::text[], 'no index of site_sessions touches last_activity_at or any other column a heartbeat or page view updates');
select ok(exists (select from pg_index i where i.indrelid = 'crm.site_sessions'::regclass
                  and pg_get_expr(i.indpred, i.indrelid) = 'is_online'), 'online sessions are found through a partial index on is_online');
select ok((select 'fillfactor=70' = any (reloptions) from pg_class where oid = 'crm.site_sessions'::regclass),
  'site_sessions has a fillfactor so updated rows stay on their page');

select tests.create_project('Limits') as p \gset

-- The event limits: one definition, folded into every statement that reads it ------------------
select is((select array_agg(k order by k) from jsonb_object_keys(crm.event_limits()) k),
  array['email', 'event_name', 'events_per_batch', 'external_id', 'future_minutes', 'metadata_bytes', 'name', 'path',
        'props_bytes', 'referrer', 'screen', 'signature', 'title', 'too_old_hours', 'utm_value'],
  'crm.event_limits() names every limit');
select ok((select bool_and(jsonb_typeof(v) = 'number' and v::text::int > 0) from jsonb_each(crm.event_limits()) as x (k, v)),
  'every limit is a positive whole number');
select is((select provolatile::text from pg_proc where oid = 'crm.event_limits()'::regprocedure), 'i',
  'crm.event_limits() is immutable (a lookup folds to a constant)');
select is(
  array(select c.conrelid::regclass || ': ' || pg_get_constraintdef(c.oid) from pg_constraint c
        where c.connamespace = 'crm'::regnamespace and c.contype = 'c' and pg_get_constraintdef(c.oid) ~ 'crm\.'
        order by 1),
  '{}'::text[], 'no check constraint calls a crm function (it would be planned anew on every row written)');

-- Deleting a project removes the rows of tables that have no foreign key to it.
insert into crm.projects (id, name) values ('00000000-0000-4000-8000-00000000de1e', 'doomed');
insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, page)
values ('00000000-0000-4000-8000-00000000de1e', now(), gen_random_uuid(), now(), gen_random_uuid(), gen_random_uuid(), 'pageview', '/');
insert into crm.event_dedupe (project_id, visitor_id, event_id) values ('00000000-0000-4000-8000-00000000de1e', gen_random_uuid(), gen_random_uuid());
delete from crm.projects where id = '00000000-0000-4000-8000-00000000de1e';
select is((select count(*)::int from crm.user_events where project_id = '00000000-0000-4000-8000-00000000de1e')
        + (select count(*)::int from crm.event_dedupe where project_id = '00000000-0000-4000-8000-00000000de1e'), 0,
  'a deleted project leaves no events or dedupe ids behind');

select * from finish();
rollback;
