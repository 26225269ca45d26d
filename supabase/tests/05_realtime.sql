-- Realtime broadcast: the message each live-view change produces on topic
-- crm:<project_id>, and none for a heartbeat or a change the live view does not show.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(26 + 5 + 7);


select tests.create_project('Broadcast') as p \gset
select 'crm:' || :'p' as topic \gset

-- The messages of this project's topic since the last call, oldest first, then forgotten.
create function pg_temp.take() returns jsonb
language plpgsql as $$
declare
  v jsonb;
begin
  select coalesce(jsonb_agg(jsonb_build_object('event', m.event, 'payload', m.payload - 'id') order by m.inserted_at, m.payload ->> 'seq'), '[]')
    into v from realtime.messages m where m.topic = current_setting('tests.topic');
  delete from realtime.messages m where m.topic = current_setting('tests.topic');
  return v;
end;
$$;
select set_config('tests.topic', :'topic', true);
create function pg_temp.events() returns text[]
language sql as $$ select array(select e ->> 'event' from jsonb_array_elements(pg_temp.take()) e) $$;

-- session_started
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(
  tests.ev('pageview', now() - interval '30 seconds', '{"path": "/"}')), now(), '{"device_type": "tablet", "country": "DE"}');
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_started', 'payload', jsonb_build_object(
    'session_id', tests.uid(101), 'user_id', tests.uid(1), 'name', null,
    'email', null, 'segment', 'visitor', 'current_page', '/', 'current_page_since', now() - interval '30 seconds',
    'started_at', now() - interval '30 seconds', 'last_activity_at', now() - interval '30 seconds',
    'device_type', 'tablet', 'browser', 'Firefox', 'os', 'Linux', 'country', 'DE', 'is_stuck', false, 'is_idle', false,
    'time_on_site_seconds', 30, 'time_on_page_seconds', 30))),
  'a new session broadcasts session_started with its live-view row, seconds measured by the server');

-- No message for a heartbeat or a custom event.
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('heartbeat', now() - interval '20 seconds')));
select is(pg_temp.events(), '{}'::text[], 'a heartbeat broadcasts nothing');
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('heartbeat', now() - interval '19 seconds')),
  now(), '{}', now() + interval '1 second');
select is(pg_temp.events(), '{}'::text[], 'another heartbeat broadcasts nothing either');
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('event', now() - interval '18 seconds', '{"name": "click"}')));
select is(pg_temp.events(), '{}'::text[], 'a custom event broadcasts nothing (the live view does not show it)');

-- page_changed
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('pageview', now() - interval '15 seconds', '{"path": "/pricing"}')));
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'page_changed', 'payload', jsonb_build_object(
    'session_id', tests.uid(101), 'current_page', '/pricing', 'current_page_since', now() - interval '15 seconds', 'is_stuck', false))),
  'a page view broadcasts page_changed');
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(
  tests.ev('pageview', now() - interval '14 seconds', '{"path": "/a"}'), tests.ev('pageview', now() - interval '13 seconds', '{"path": "/b"}'),
  tests.ev('pageview', now() - interval '12 seconds', '{"path": "/c"}')));
select is(pg_temp.events(), '{page_changed}'::text[], 'a batch of three page views broadcasts one page_changed');

-- user_identified
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(tests.ev('identify', now() - interval '10 seconds', '{"name": "Zoe"}')));
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'user_identified', 'payload', jsonb_build_object(
    'user_id', tests.uid(1), 'name', 'Zoe', 'email', null, 'segment', 'visitor', 'verified', false))),
  'identify broadcasts user_identified');
select public.identify_site_user(:'p', p_email => 'zoe@example.com', p_segment => 'premium', p_anonymous_id => tests.uid(1));
select is((select e -> 'payload' from jsonb_array_elements(pg_temp.take()) e),
  jsonb_build_object('user_id', tests.uid(1), 'name', 'Zoe', 'email', 'zoe@example.com', 'segment', 'premium', 'verified', true),
  'a backend setting the segment broadcasts user_identified with the new segment');
update crm.site_users set metadata = '{"plan": "x"}' where project_id = :'p' and id = tests.uid(1);
select is(pg_temp.events(), '{}'::text[], 'a user change the live view does not show broadcasts nothing');

-- session_identified: a merge moves an online session to another user.
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('pageview', now() - interval '9 seconds')));
select is(pg_temp.events(), '{session_started}'::text[], 'a second visitor''s session starts');
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('identify', now() - interval '8 seconds',
  jsonb_build_object('email', 'zoe@example.com', 'signature', tests.sign(:'p', 'zoe@example.com')))));
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_identified', 'payload', jsonb_build_object(
    'session_id', tests.uid(102), 'user_id', tests.uid(1), 'name', 'Zoe', 'email', 'zoe@example.com',
    'segment', 'premium', 'verified', true))),
  'a signed identify that merges broadcasts session_identified for the moved session');

-- session_ended (leave) and session_started (reopened)
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('leave', now() - interval '7 seconds')));
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_ended', 'payload', jsonb_build_object(
    'session_id', tests.uid(102), 'user_id', tests.uid(1), 'reason', 'ended', 'ended_at', now() - interval '7 seconds'))),
  'leave broadcasts session_ended');
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('pageview', now() - interval '6 seconds', '{"path": "/again"}')));
select is((select array[e ->> 'event', e -> 'payload' ->> 'reopened', e -> 'payload' ->> 'current_page'] from jsonb_array_elements(pg_temp.take()) e),
  array['session_started', 'true', '/again'], 'an event after leave reopens the session: session_started with reopened');
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(tests.ev('heartbeat', now() - interval '5 seconds')));
select is(pg_temp.events(), '{}'::text[], 'a heartbeat of the reopened session broadcasts nothing');

-- Jobs: stuck, idle / active, offline
select tests.ingest(:'p', tests.uid(3), tests.uid(103), jsonb_build_array(
  tests.ev('pageview', now() - interval '6 minutes', '{"path": "/checkout"}')), now() - interval '6 minutes');
select tests.ingest(:'p', tests.uid(3), tests.uid(103), jsonb_build_array(tests.ev('heartbeat', now() - interval '5 seconds')));
select is(pg_temp.events(), '{session_started}'::text[], 'a third session starts');
select crm.job_detect_stuck();
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_stuck', 'payload', jsonb_build_object(
    'session_id', tests.uid(103), 'user_id', tests.uid(3), 'name', null, 'email', null,
    'current_page', '/checkout', 'current_page_since', now() - interval '6 minutes'))),
  'stuck detection broadcasts session_stuck');
select crm.job_detect_stuck();
select is(pg_temp.events(), '{}'::text[], 'a session stuck already is not broadcast again');
select tests.ingest(:'p', tests.uid(3), tests.uid(103), jsonb_build_array(tests.ev('pageview', now() - interval '4 seconds', '{"path": "/help"}')));
select is((select array[e ->> 'event', e -> 'payload' ->> 'is_stuck'] from jsonb_array_elements(pg_temp.take()) e),
  array['page_changed', 'false'], 'a page change clears stuck (page_changed with is_stuck false)');

-- Idle: session 4 was last active 2 minutes ago; the minute job marks it idle.
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(
  tests.ev('pageview', now() - interval '2 minutes', '{"path": "/tab"}')), now() - interval '2 minutes');
select is(pg_temp.events(), '{session_started}'::text[], 'a fourth session starts');
select crm.job_close_sessions();
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_idle', 'payload', jsonb_build_object(
    'session_id', tests.uid(104), 'last_activity_at', now() - interval '2 minutes'))),
  'the minute job broadcasts session_idle for a session idle for over 60 s');
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(tests.ev('heartbeat', now() - interval '1 second')));
select is(pg_temp.events(), '{session_active}'::text[], 'the first heartbeat after idling broadcasts session_active');
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(tests.ev('heartbeat', now())));
select is(pg_temp.events(), '{}'::text[], 'the next heartbeat broadcasts nothing');

-- Offline: session 5 was last active 8 minutes ago (outside the online window).
select tests.ingest(:'p', tests.uid(5), tests.uid(105), jsonb_build_array(
  tests.ev('pageview', now() - interval '8 minutes')), now() - interval '8 minutes');
select is(pg_temp.events(), '{session_started}'::text[], 'a fifth session starts');
select crm.job_close_sessions();
select is(pg_temp.take(), jsonb_build_array(jsonb_build_object('event', 'session_ended', 'payload', jsonb_build_object(
    'session_id', tests.uid(105), 'user_id', tests.uid(5), 'reason', 'offline', 'ended_at', null))),
  'going offline broadcasts session_ended with reason offline');

-- Where and how messages go.
select tests.ingest(:'p', tests.uid(6), tests.uid(106), jsonb_build_array(tests.ev('pageview', now())));
select is((select array_agg(distinct row(topic, private, extension)::text) from realtime.messages where payload ->> 'session_id' = tests.uid(106)::text),
  array[row(:'topic', true, 'broadcast')::text], 'messages are private broadcasts on topic crm:<project_id>');
select is((select count(*)::int from realtime.messages where topic <> :'topic' and payload ->> 'session_id' = tests.uid(106)::text), 0,
  'no message of this project goes to another topic');

-- Who may read a project's topic ---------------------------------------------------------
select tests.create_project('Topic') as p \gset
select tests.create_project('Other topic') as q \gset
select tests.add_member(:'p', 'owner@example.test', 'owner') as owner \gset
select tests.add_member(:'p', 'admin@example.test', 'admin') as admin \gset
select tests.add_member(:'p', 'viewer@example.test', 'viewer') as viewer \gset
select tests.create_user('outsider@example.test') as outsider \gset
select tests.authenticate_as(:'viewer');
select is(public.crm_can_read_topic('crm:' || :'p'), true, 'crm_can_read_topic: a member may read the project topic');
select is(public.crm_can_read_topic('crm:' || :'q'), false, 'crm_can_read_topic: not another project''s topic');
select is(public.crm_can_read_topic('crm:not-a-uuid'), false, 'crm_can_read_topic: a malformed topic is refused, not an error');
select tests.clear_authentication();
select tests.authenticate_as(:'outsider');
select is(public.crm_can_read_topic('crm:' || :'p'), false, 'crm_can_read_topic: a non-member may not read the topic');
select tests.clear_authentication();
select tests.authenticate_as_role('service_role');
select is(public.crm_can_read_topic('crm:' || :'p'), false,
  'crm_can_read_topic is false for service_role (no signed-in user; service_role bypasses RLS anyway)');
select tests.clear_authentication();

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
