-- crm.ingest_batches: many batches in one set-based call (what the Edge Function's
-- coalescer sends) — results in item order, one session / user row per call however
-- many batches touch it, dedupe across the batches of a call, rate limits in item
-- order, batch-level errors next to good batches, and an internal error failing only
-- its own item.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(26);

select tests.create_project('Shop', '{https://shop.example}') as p \gset
select tests.create_project('Limited', '{}', '{"rate_limit_project_per_minute": 30}') as lim \gset
select tests.create_project('Private', '{}', '{"privacy_mode": "cookieless"}') as ck \gset

-- One item: {batch, context} as tests.ingest would send it.
create function pg_temp.item(p_project uuid, p_visitor uuid, p_session uuid, p_events jsonb, p_context jsonb default '{}')
returns jsonb language sql volatile as $$
  select jsonb_build_object(
    'batch', jsonb_strip_nulls(jsonb_build_object(
      'project', (select p.public_key from crm.projects p where p.id = p_project), 'sent_at', tests.ms(now()),
      'visitor_id', p_visitor, 'session_id', p_session, 'events', p_events)),
    'context', jsonb_build_object('origin', 'https://shop.example', 'ip_hash', md5('203.0.113.9'),
      'user_agent', 'Mozilla/5.0 (test)', 'device_type', 'mobile', 'browser', 'Safari', 'os', 'iOS') || p_context)
$$;

-- Results in order, errors next to good batches ------------------------------------------
create temp table r1 as
select crm.ingest_batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
    tests.ev('pageview', now() - interval '20 seconds', '{"path": "/a"}', tests.uid(101)),
    tests.ev('event', now() - interval '19 seconds', '{"name": "signup"}', tests.uid(102)))),
  jsonb_build_object('batch', jsonb_build_object('project', 'pk_nobody', 'events', jsonb_build_array(tests.ev('pageview', now()))),
                     'context', '{}'::jsonb),
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
    tests.ev('pageview', now() - interval '10 seconds', '{"path": "/b"}', tests.uid(103)),
    tests.ev('event', now() - interval '9 seconds', '{"name": "signup"}', tests.uid(102)),
    tests.ev('nonsense', now() - interval '8 seconds', '{}', tests.uid(104)))),
  jsonb_build_object('batch', 'not a batch', 'context', '{}'::jsonb),
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), (select jsonb_agg(tests.ev('event', now(), '{"name": "x"}')) from generate_series(1, 101)))
)) as r;

select is((select jsonb_array_length(r) from r1), 5, 'one result per item');
select is((select (r -> 0) - 'visitor_id' - 'session_id' from r1),
  '{"status": 202, "accepted": 2, "duplicates": 0, "rejected": []}'::jsonb, 'item 1 is accepted');
select is((select r -> 1 ->> 'error' from r1), 'unknown_project', 'item 2 (unknown key) is refused alone');
select is((select (r -> 2) - 'visitor_id' - 'session_id' from r1),
  '{"status": 202, "accepted": 1, "duplicates": 1, "rejected": [{"id": "00000000-0000-4000-8000-000000000104", "index": 2, "reason": "unknown_type"}]}'::jsonb,
  'item 3: an event already sent by item 1 of the same call is a duplicate; a bad event is rejected alone');
select is((select r -> 3 ->> 'error' from r1), 'invalid_batch', 'item 4 (not an object) is refused alone');
select is((select r -> 4 ->> 'status' from r1), '413', 'item 5 (101 events) is refused as too large');
select is((select (r -> 0 ->> 'session_id') from r1), tests.uid(2)::text, 'results carry the tracker''s session id');

select is((select count(*)::int from crm.user_events where project_id = :'p'), 3,
  'events of both batches are stored, the repeated one once');
select is((select count(*)::int from crm.site_sessions where project_id = :'p'), 1, 'two batches of a session make one session row');
select results_eq($$ select page_views, entry_page, current_page from crm.site_sessions where project_id = '$$ || :'p' || $$' $$,
  $$ values (2, '/a', '/b') $$, 'the session sums both batches: entry page from the first, current page from the last');
select results_eq($$ select sessions_count, pageviews_count, events_count from crm.site_users where project_id = '$$ || :'p' || $$' $$,
  $$ values (1, 2, 1) $$, 'the user counts each session and event once');

-- Several sessions of one user in one call: counted once each ----------------------------
select crm.ingest_batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(3), jsonb_build_array(tests.ev('pageview', now() - interval '5 seconds'))),
  pg_temp.item(:'p', tests.uid(1), tests.uid(4), jsonb_build_array(tests.ev('pageview', now() - interval '4 seconds'))),
  pg_temp.item(:'p', tests.uid(1), tests.uid(3), jsonb_build_array(tests.ev('heartbeat', now() - interval '1 seconds')))));
select results_eq($$ select sessions_count, pageviews_count from crm.site_users where project_id = '$$ || :'p' || $$' $$,
  $$ values (3, 4) $$, 'two new sessions of one user in one call add two sessions and their page views');
select ok((select abs(extract(epoch from last_activity_at - (now() - interval '1 seconds'))) < 0.01
  from crm.site_sessions where project_id = :'p' and id = tests.uid(3)), 'a heartbeat in a later item moves its session''s activity');

-- Replaying the whole call changes nothing ----------------------------------------------
select is((select (r -> 0 ->> 'duplicates')::int from (select crm.ingest_batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
    tests.ev('pageview', now() - interval '20 seconds', '{"path": "/a"}', tests.uid(101)),
    tests.ev('event', now() - interval '19 seconds', '{"name": "signup"}', tests.uid(102)))))) r) x), 2,
  'a replayed item is all duplicates');
select results_eq($$ select sessions_count, pageviews_count, events_count from crm.site_users where project_id = '$$ || :'p' || $$' $$,
  $$ values (3, 4, 1) $$, 'and counts nothing');

-- Rate limits are applied in item order -------------------------------------------------
create temp table r2 as
select crm.ingest_batches((select jsonb_agg(pg_temp.item(:'lim', tests.uid(10 + i), tests.uid(20 + i),
  (select jsonb_agg(tests.ev('event', now(), '{"name": "x"}') || jsonb_build_object('n', i + k)) from generate_series(1, 12) k),
  jsonb_build_object('ip_hash', md5('198.51.100.' || i))) order by i) from generate_series(1, 3) i)) as r;
select results_eq($$ select (r -> 0 ->> 'status')::int, (r -> 1 ->> 'status')::int, (r -> 2 ->> 'status')::int from r2 $$,
  $$ values (202, 202, 429) $$, 'with a limit of 30 events a minute, batches of 12 pass until the third');
select is((select count(*)::int from crm.user_events where project_id = :'lim'), 24, 'the refused batch stores nothing');
select ok((select (r -> 2 ->> 'retry_after')::int between 1 and 60 from r2), 'the refused batch says when to retry');

-- The IP counter sums every backend's shard: another backend already counted 8 events
-- of this IP this minute, so 3 more break a limit of 10.
select tests.create_project('IP limited', '{}', '{"rate_limit_ip_per_minute": 10}') as iplim \gset
insert into crm.rate_limits (project_id, bucket, shard, window_start, hits)
values (:'iplim', 'ip:' || md5('203.0.113.9'), -1, date_trunc('minute', now()), 8);
select is((select r -> 0 ->> 'error' from (select crm.ingest_batches(jsonb_build_array(pg_temp.item(:'iplim', tests.uid(70), tests.uid(71),
  jsonb_build_array(tests.ev('pageview', now()), tests.ev('pageview', now()), tests.ev('pageview', now()))))) r) x),
  'rate_limited', 'the IP limit counts the hits of other backends');

-- Cookieless and standard projects in one call -----------------------------------------
-- The two cookieless batches straddle a boundary of the derived session id (timeout
-- buckets): the later one still joins the session the earlier one started.
select to_timestamp(floor(extract(epoch from now()) / 1800) * 1800) as boundary \gset
create temp table r3 as
select crm.ingest_batches(jsonb_build_array(
  pg_temp.item(:'ck', null, null, jsonb_build_array(tests.ev('pageview', :'boundary'::timestamptz - interval '1 second'))),
  pg_temp.item(:'ck', tests.uid(30), tests.uid(31), jsonb_build_array(tests.ev('pageview', :'boundary'::timestamptz + interval '1 second'))),
  pg_temp.item(:'p', tests.uid(40), tests.uid(41), jsonb_build_array(tests.ev('pageview', now()))))) as r;
select is((select r -> 0 ->> 'visitor_id' = r -> 1 ->> 'visitor_id' and r -> 0 ->> 'session_id' = r -> 1 ->> 'session_id' from r3), true,
  'cookieless batches derive one visitor and session (the sent ids are ignored)');
select is((select count(*)::int from crm.site_sessions where project_id = :'ck'), 1, 'and make one session');
select is((select r -> 2 ->> 'visitor_id' from r3), tests.uid(40)::text, 'a standard batch in the same call keeps its ids');

-- A signed identify in one item, the same visitor's page view in the next --------------
select crm.ingest_batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(50), tests.uid(51), jsonb_build_array(
    tests.ev('identify', now() - interval '2 seconds', jsonb_build_object('email', 'ann@example.com',
      'signature', tests.sign(:'p', 'ann@example.com'))))),
  pg_temp.item(:'p', tests.uid(50), tests.uid(51), jsonb_build_array(tests.ev('pageview', now() - interval '1 seconds')))));
select results_eq($$ select verified, email, pageviews_count from crm.site_users
  where project_id = '$$ || :'p' || $$' and id = (select user_id from crm.anonymous_ids where anonymous_id = '$$ || tests.uid(50) || $$') $$,
  $$ values (true, 'ann@example.com', 1) $$, 'the page view after a signed identify in the same call counts on the verified user');

-- An unexpected error fails only its own item -------------------------------------------
select results_eq($$ select r -> 0 ->> 'status', r -> 1 ->> 'status', r -> 1 ->> 'error' from (select crm.ingest_batches(jsonb_build_array(
  pg_temp.item('$$ || :'p' || $$', tests.uid(60), tests.uid(61), jsonb_build_array(tests.ev('pageview', now()))),
  pg_temp.item('$$ || :'p' || $$', tests.uid(62), tests.uid(63), jsonb_build_array(tests.ev('pageview', now())),
    '{"received_at": "2026-13-45T99:99"}'))) r) x $$,
  $$ values ('202', '500', 'internal') $$, 'an item that makes the call fail answers 500; the others are stored');

select is(crm.ingest_batches('[]'), '[]'::jsonb, 'no items, no results');
select throws_ok($$ select crm.ingest_batches('{}') $$, '22023', null, 'items that are not an array are a caller error');

select * from finish();
rollback;
