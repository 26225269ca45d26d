-- Privacy: delete_site_user (everything gone, ids suppressed, a replayed queue
-- cannot bring the user back) and export_site_user.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
\ir helpers/crm.psql
select plan(16);

select tests.an_setup();

do $$
declare
  p uuid := tests.an_id('project');
  u uuid;
  s uuid;
begin
  u := tests.an_user(p, now() - interval '3 days', now(), 'premium', 'erase-me@example.com', 'Erase Me', 'victim');
  insert into crm.anonymous_ids (project_id, anonymous_id, user_id) values (p, '0b6c9c1e-0000-4000-8000-00000000e1a5', u);
  insert into tests.an_ids values ('second_anon', '0b6c9c1e-0000-4000-8000-00000000e1a5');
  s := tests.an_session(p, u, now() - interval '2 days', '{/a,/b}');
  perform tests.an_event(p, u, s, now() - interval '2 days', 'signup');
  perform tests.an_session(p, u, now() - interval '1 minute', '{/c}', p_online => true);
  u := tests.an_user(p, now() - interval '3 days', now(), p_key => 'bystander');
  perform tests.an_session(p, u, now() - interval '2 days', '{/a}');
end $$;

-- export_site_user
create temp table x as select public.export_site_user(tests.an_id('project'), tests.an_id('victim')) as j;
select is((select j -> 'user' ->> 'email' from x), 'erase-me@example.com', 'export: the profile');
select is((select jsonb_array_length(j -> 'anonymous_ids') from x), 2, 'export: every anonymous id');
select is((select jsonb_array_length(j -> 'sessions') from x), 2, 'export: every session');
select is((select jsonb_array_length(j -> 'events') from x), 4, 'export: every event (3 page views, 1 custom)');
select ok((select j -> 'events' -> 0 ? 'properties' and j -> 'sessions' -> 0 ? 'device_type' from x),
  'export: events and sessions with their columns');
select throws_ok(format('select public.export_site_user(%L, %L)', tests.an_id('project'), gen_random_uuid()), 'PT404', null,
  'export of an unknown user: PT404');

-- delete_site_user
select crm.refresh_metrics_rollup(tests.an_id('project'));
select tests.authenticate_as(tests.an_id('admin'));
select is(public.delete_site_user(tests.an_id('project'), tests.an_id('victim')),
  jsonb_build_object('user_id', tests.an_id('victim'), 'events', 4, 'sessions', 2, 'anonymous_ids', 2),
  'delete_site_user reports what it removed');
select is((select value from public.get_crm_metrics(tests.an_id('project')) where metric = 'total_users'), 1::numeric,
  'total users drops at once (the rollup is corrected)');
select tests.clear_authentication();
select ok(not exists (select from crm.site_users where project_id = tests.an_id('project') and id = tests.an_id('victim'))
  and not exists (select from crm.anonymous_ids where project_id = tests.an_id('project') and user_id = tests.an_id('victim')),
  'the user and their anonymous ids are gone');
select ok(not exists (select from crm.site_sessions where project_id = tests.an_id('project') and user_id = tests.an_id('victim'))
  and not exists (select from crm.user_events where project_id = tests.an_id('project') and user_id = tests.an_id('victim')),
  'their sessions and events are gone');
select is((select count(*)::integer from crm.user_events where project_id = tests.an_id('project')), 1,
  'other users keep their events');
select ok((select count(*) = 2 from crm.erased_ids x where x.project_id = tests.an_id('project')
             and x.anonymous_id in (tests.an_id('second_anon'), tests.an_id('victim'))),
  'every anonymous id of the user is suppressed');
select throws_ok(format('select public.delete_site_user(%L, %L)', tests.an_id('project'), tests.an_id('victim')), 'PT404', null,
  'deleting again: PT404');
select tests.authenticate_as(tests.an_id('viewer'));
select throws_ok(format('select public.delete_site_user(%L, %L)', tests.an_id('project'), tests.an_id('bystander')), '42501', null,
  'a viewer may not erase users');
select tests.clear_authentication();

-- Replay of the erased visitor's offline queue through ingest
create function pg_temp.replay() returns jsonb language plpgsql as $$
begin
  return crm.ingest(jsonb_build_object(
    'project', (select public_key from crm.projects where id = tests.an_id('project')),
    'sent_at', floor(extract(epoch from now()) * 1000),
    'visitor_id', tests.an_id('second_anon'), 'session_id', gen_random_uuid(),
    'events', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'type', 'pageview',
      'ts', floor(extract(epoch from now()) * 1000), 'path', '/again')))::json,
    json_build_object('received_at', now()));
end
$$;
select is((select pg_temp.replay() -> 'rejected' -> 0 ->> 'reason'), 'erased', 'a replayed batch is rejected with reason erased');
select ok(not exists (select from crm.anonymous_ids where project_id = tests.an_id('project') and anonymous_id = tests.an_id('second_anon'))
   and (select count(*) from crm.site_users where project_id = tests.an_id('project')) = 1,
   'the replay does not bring the user back');

select * from finish();
rollback;
