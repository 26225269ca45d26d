-- crm.ingest: happy path, sessions (reopen, never split), replay and re-send dedupe,
-- clock skew, mixed good/bad events, origin, unknown key, rate limits, cookieless
-- ids, DNT, batch-level errors that never raise.
--
-- crm.ingest_batches: many batches in one set-based call (what the Edge Function's
-- coalescer sends) — results in item order, one session / user row per call however
-- many batches touch it, dedupe across the batches of a call, rate limits in item
-- order, batch-level errors next to good batches, and an internal error failing only
-- its own item.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(60 + 28 + 24);

-- crm.ingest and crm.ingest_batches take json (what a client sent); these tests build jsonb.
create function pg_temp.ingest1(p_batch jsonb, p_context jsonb) returns jsonb
language sql volatile as $$ select crm.ingest(p_batch::json, p_context::json) $$;
create function pg_temp.batches(p_items jsonb) returns jsonb
language sql volatile as $$ select crm.ingest_batches(p_items::json) $$;

select tests.create_project('Shop', '{https://shop.example}') as p \gset
\set v '''00000000-0000-4000-8000-000000000001'''
\set s '''00000000-0000-4000-8000-000000000002'''

-- Happy path ---------------------------------------------------------------------
create temp table first_batch as
select jsonb_build_array(
  tests.ev('pageview', now() - interval '60 seconds', '{"path": "/", "title": "Home", "referrer": "https://search.example/?q=crm", "utm": {"source": "newsletter", "campaign": "launch"}}', tests.uid(101)),
  tests.ev('event', now() - interval '50 seconds', '{"name": "signup", "props": {"plan": "pro", "seats": 3}}', tests.uid(102)),
  tests.ev('heartbeat', now() - interval '30 seconds', '{}', tests.uid(103))) as events;

select is(
  (select r - 'visitor_id' - 'session_id' from (select tests.ingest(:'p', :v, :s, events) r from first_batch) x),
  '{"status": 202, "accepted": 3, "duplicates": 0, "rejected": []}'::jsonb,
  'a valid batch is accepted: 3 events, nothing rejected');
select is((select count(*)::int from crm.user_events where project_id = :'p'), 2,
  'page views and custom events are stored, heartbeats are not');
select is((select properties from crm.user_events where project_id = :'p' and type = 'event'),
  '{"plan": "pro", "seats": 3}'::jsonb, 'a custom event keeps its properties');
select is((select name from crm.user_events where project_id = :'p' and type = 'event'), 'signup',
  'a custom event keeps its name');
select is(
  (select row(current_page, entry_page, page_views, is_online, ended_at is null, device_type, browser, os, country)::text
   from crm.site_sessions where project_id = :'p' and id = :s),
  row('/', '/', 1, true, true, 'desktop', 'Firefox', 'Linux', 'NL')::text,
  'the session is created online with its page, entry page, page views and device');
select is((select last_activity_at from crm.site_sessions where project_id = :'p' and id = :s),
  now() - interval '30 seconds', 'the heartbeat refreshes the session''s last activity');
select is((select current_page_since from crm.site_sessions where project_id = :'p' and id = :s),
  now() - interval '60 seconds', 'current_page_since is the page view''s time');
select is((select row(referrer, utm ->> 'source')::text from crm.site_sessions where project_id = :'p' and id = :s),
  row('https://search.example/?q=crm', 'newsletter')::text, 'the session keeps referrer and utm of its first page view');
select is(
  (select row(sessions_count, pageviews_count, events_count, segment, verified)::text
   from crm.site_users where project_id = :'p' and id = :v),
  row(1, 1, 1, 'visitor', false)::text, 'the visitor becomes a site user with its counters');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = :v), :v::uuid,
  'the anonymous id maps to the new site user');

-- Replays and re-sends ------------------------------------------------------------
select is(
  (select r - 'visitor_id' - 'session_id' from (select tests.ingest(:'p', :v, :s, events) r from first_batch) x),
  '{"status": 202, "accepted": 1, "duplicates": 2, "rejected": []}'::jsonb,
  'replaying the batch: both stored events are duplicates (the heartbeat is harmless)');
select is((select count(*)::int from crm.user_events where project_id = :'p'), 2, 'a replay stores no event twice');
select is(
  (select row(sessions_count, pageviews_count, events_count)::text from crm.site_users where project_id = :'p' and id = :v),
  row(1, 1, 1)::text, 'a replay counts nothing twice on the user');
select is((select page_views from crm.site_sessions where project_id = :'p' and id = :s), 1,
  'a replay counts no page view twice on the session');

-- The same event re-sent later with another sent_at (so another skew correction).
select is(
  (tests.ingest(:'p', :v, :s, (select jsonb_build_array(events -> 0) from first_batch),
     now() + interval '20 seconds', '{}', now() + interval '17 seconds') ->> 'duplicates')::int,
  1, 'an event re-sent in a later batch with a different sent_at is a duplicate');
select is((select count(*)::int from crm.user_events where project_id = :'p' and id = tests.uid(101)), 1,
  'the re-sent event is stored exactly once');

-- Navigation, leave, reopen ---------------------------------------------------------
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('pageview', now() - interval '20 seconds', '{"path": "/pricing"}'))) ->> 'accepted')::int, 1,
  'a second page view is accepted');
select is(
  (select row(current_page, current_page_since, entry_page, page_views)::text from crm.site_sessions where project_id = :'p' and id = :s),
  row('/pricing', now() - interval '20 seconds', '/', 2)::text,
  'a page view moves the current page; the entry page stays');
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(tests.ev('leave', now() - interval '10 seconds'))) ->> 'status')::int,
  202, 'leave is accepted');
select is(
  (select row(is_online, ended_at)::text from crm.site_sessions where project_id = :'p' and id = :s),
  row(false, now() - interval '10 seconds')::text, 'leave ends the session');
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('pageview', now() - interval '5 seconds', '{"path": "/back"}'))) ->> 'session_id')::uuid, :s::uuid,
  'an event after leave keeps the tracker''s session id (the server never splits it)');
select is(
  (select row(is_online, ended_at, current_page)::text from crm.site_sessions where project_id = :'p' and id = :s),
  row(true, null::timestamptz, '/back')::text, 'an event for an ended session reopens it');
select is((select sessions_count from crm.site_users where project_id = :'p' and id = :v), 1,
  'reopening a session does not count a new one');
select is((select count(*)::int from crm.site_sessions where project_id = :'p'), 1, 'still one session');

-- An older batch delivered late does not move the session back or end it.
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('pageview', now() - interval '40 seconds', '{"path": "/late"}'))) ->> 'accepted')::int, 1,
  'a late, older page view is accepted');
select is(
  (select row(current_page, is_online, page_views)::text from crm.site_sessions where project_id = :'p' and id = :s),
  row('/back', true, 4)::text, 'a late page view counts but does not replace the newer current page');

-- Clock skew ----------------------------------------------------------------------
-- The client's clock is one hour behind: its event 2 s before sending really
-- happened 2 s before the server received the batch.
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('event', now() - interval '1 hour 2 seconds', '{"name": "skewed"}', tests.uid(201))),
  now(), '{}', now() - interval '1 hour') ->> 'accepted')::int, 1,
  'an event from a client whose clock is an hour behind is accepted');
select is((select occurred_at from crm.user_events where project_id = :'p' and id = tests.uid(201)),
  now() - interval '2 seconds', 'its time is shifted by received_at - sent_at');
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('event', now() + interval '2 hours', '{"name": "ahead"}', tests.uid(202))),
  now(), '{}', now() + interval '2 hours 1 second') ->> 'accepted')::int, 1,
  'an event from a client whose clock is two hours ahead is accepted (not in_future)');
select is((select occurred_at from crm.user_events where project_id = :'p' and id = tests.uid(202)),
  now() - interval '1 second', 'and shifted back to server time');

-- Mixed good and bad events -------------------------------------------------------------
select is(
  tests.ingest(:'p', :v, :s, jsonb_build_array(
    tests.ev('pageview', now(), '{"path": "/ok"}', tests.uid(301)),
    tests.ev('event', now() - interval '3 days', '{"name": "old"}', tests.uid(302)),
    tests.ev('event', now() + interval '10 minutes', '{"name": "future"}', tests.uid(303)),
    tests.ev('event', now(), jsonb_build_object('name', 'big', 'props', jsonb_build_object('blob', repeat('x', 5000))), tests.uid(304)),
    tests.ev('purchase', now(), '{}', tests.uid(305)),
    '{"type": "event", "ts": 1, "name": "no id"}'::jsonb,
    tests.ev('event', now(), '{"name": ""}', tests.uid(307)),
    tests.ev('pageview', now(), jsonb_build_object('path', '/' || repeat('p', 2100)), tests.uid(308)))) - 'visitor_id' - 'session_id',
  jsonb_build_object('status', 202, 'accepted', 1, 'duplicates', 0, 'rejected', jsonb_build_array(
    jsonb_build_object('index', 1, 'id', tests.uid(302), 'reason', 'too_old', 'message', 'more than 48 hours before it was received'),
    jsonb_build_object('index', 2, 'id', tests.uid(303), 'reason', 'in_future', 'message', 'more than 5 minutes after it was received'),
    jsonb_build_object('index', 3, 'id', tests.uid(304), 'reason', 'oversize', 'message', 'props is 5012 bytes of JSON, over 4096'),
    jsonb_build_object('index', 4, 'id', tests.uid(305), 'reason', 'unknown_type', 'message', 'purchase is not an event type'),
    jsonb_build_object('index', 5, 'id', null, 'reason', 'invalid', 'message', 'id must be a UUID'),
    jsonb_build_object('index', 6, 'id', tests.uid(307), 'reason', 'invalid', 'message', 'an event needs a name'),
    jsonb_build_object('index', 7, 'id', tests.uid(308), 'reason', 'oversize', 'message', 'path is over 2048 characters'))),
  'bad events are rejected one by one with a reason and a message while the good one is accepted');
select is((select count(*)::int from crm.user_events where project_id = :'p' and id in
  (tests.uid(301), tests.uid(302), tests.uid(303), tests.uid(304), tests.uid(305), tests.uid(307), tests.uid(308))), 1,
  'only the good event of the mixed batch is stored');
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(tests.ev('event', now(), '{"name": "late"}', tests.uid(302)))) ->> 'accepted')::int,
  1, 'a rejected event''s id is not burnt: sent again valid, it is accepted');

-- Batch-level rejections -------------------------------------------------------------
select is(pg_temp.ingest1(jsonb_build_object('project', 'pk_doesnotexist0', 'sent_at', tests.ms(now()),
    'visitor_id', tests.uid(9), 'session_id', tests.uid(10), 'events', jsonb_build_array(tests.ev('pageview', now()))),
    '{"origin": "https://shop.example"}') ->> 'error', 'unknown_project', 'an unknown public key rejects the batch');
select is((select count(*)::int from crm.site_users where id = tests.uid(9)), 0, 'an unknown key stores nothing');
select is(tests.ingest(:'p', tests.uid(11), tests.uid(12), jsonb_build_array(tests.ev('pageview', now())), now(),
    '{"origin": "https://evil.example"}') - 'message',
  '{"status": 403, "error": "origin_not_allowed"}'::jsonb, 'a disallowed origin rejects the batch with 403');
select is(tests.ingest(:'p', tests.uid(11), tests.uid(12), jsonb_build_array(tests.ev('pageview', now())), now(),
    '{"origin": null}') ->> 'error', 'origin_not_allowed', 'a missing origin is refused when origins are configured');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(11)), 0,
  'a refused origin stores nothing');
select is((tests.ingest(tests.create_project('Any origin'), tests.uid(13), tests.uid(14),
    jsonb_build_array(tests.ev('pageview', now())), now(), '{"origin": "https://anywhere.example"}') ->> 'status')::int,
  202, 'a project without allowed origins accepts any origin');
select is(crm.ingest('[1, 2]', '{}') ->> 'error', 'invalid_batch', 'a malformed batch answers invalid_batch');
select is((pg_temp.ingest1(jsonb_build_object('project', (select public_key from crm.projects where id = :'p'), 'sent_at', tests.ms(now()),
    'visitor_id', tests.uid(15), 'session_id', tests.uid(16),
    'events', (select jsonb_agg(tests.ev('event', now(), '{"name": "x"}')) from generate_series(1, 101))),
    '{"origin": "https://shop.example"}') ->> 'status')::int, 413, 'more than 100 events answer 413');
select lives_ok($$ select crm.ingest(null, null) $$, 'crm.ingest never raises, even for null input');

-- Rate limits --------------------------------------------------------------------------
select tests.create_project('Limited', '{}', '{"rate_limit_project_per_minute": 5}') as rl \gset
select is((tests.ingest(:'rl', tests.uid(21), tests.uid(22), (select jsonb_agg(tests.ev('event', now(), '{"name": "a"}')) from generate_series(1, 3)),
  now(), '{"ip_hash": "ip-one"}') ->> 'status')::int, 202, 'within the project''s rate limit: accepted');
select is(tests.ingest(:'rl', tests.uid(23), tests.uid(24), (select jsonb_agg(tests.ev('event', now(), '{"name": "b"}')) from generate_series(1, 3)),
  now(), '{"ip_hash": "ip-two"}') - 'message' - 'retry_after',
  '{"status": 429, "error": "rate_limited"}'::jsonb, 'over the project''s rate limit (any IP): 429 rate_limited');
select ok((tests.ingest(:'rl', tests.uid(23), tests.uid(24), jsonb_build_array(tests.ev('event', now(), '{"name": "c"}')),
  now(), '{"ip_hash": "ip-two"}') ->> 'retry_after')::int between 1 and 60, 'a 429 says when to retry (1-60 s)');
select is((select count(*)::int from crm.user_events where project_id = :'rl'), 3, 'a rate-limited batch stores nothing');

select tests.create_project('Per IP', '{}', '{"rate_limit_ip_per_minute": 4}') as ipl \gset
select is((tests.ingest(:'ipl', tests.uid(31), tests.uid(32), (select jsonb_agg(tests.ev('event', now(), '{"name": "a"}')) from generate_series(1, 3)),
  now(), '{"ip_hash": "ip-a"}') ->> 'status')::int, 202, 'within the per-IP limit: accepted');
select is((tests.ingest(:'ipl', tests.uid(33), tests.uid(34), (select jsonb_agg(tests.ev('event', now(), '{"name": "a"}')) from generate_series(1, 3)),
  now(), '{"ip_hash": "ip-a"}') ->> 'status')::int, 429, 'the same hashed IP over its limit: 429');
select is((tests.ingest(:'ipl', tests.uid(35), tests.uid(36), (select jsonb_agg(tests.ev('event', now(), '{"name": "a"}')) from generate_series(1, 3)),
  now(), '{"ip_hash": "ip-b"}') ->> 'status')::int, 202, 'another hashed IP of the same project is not limited');

-- Cookieless mode ---------------------------------------------------------------------
-- The visitor id is salted per UTC day: t0 keeps the block's times (up to t0 + 20 minutes)
-- on one day whatever the hour the suite runs.
select case when (now() at time zone 'UTC')::time > '23:30' then now() - interval '40 minutes' else now() end as t0 \gset
select tests.create_project('Cookieless', '{}', '{"privacy_mode": "cookieless"}') as c \gset
create temp table cl_batch as select jsonb_build_array(
  tests.ev('pageview', :'t0'::timestamptz - interval '2 minutes', '{"path": "/a"}', tests.uid(401)),
  tests.ev('event', :'t0'::timestamptz - interval '1 minute', '{"name": "x"}', tests.uid(402))) as events;
create temp table cl_first as
select tests.ingest(:'c', null, null, events, :'t0'::timestamptz, '{"ip_hash": "hash-of-ip-1"}') as r from cl_batch;
select is((select (r ->> 'visitor_id')::uuid from cl_first),
  md5(concat_ws(':', :'c', 'hash-of-ip-1', 'Mozilla/5.0 (test)', (:'t0'::timestamptz at time zone 'UTC')::date))::uuid,
  'cookieless: the visitor id is derived from project, daily-salted IP hash, user agent and day');
select is((select (r ->> 'session_id')::uuid from cl_first),
  md5(concat_ws(':', (select r ->> 'visitor_id' from cl_first),
    floor(extract(epoch from :'t0'::timestamptz - interval '2 minutes') / 1800)))::uuid,
  'cookieless: a new session id is derived from the visitor and the 30-minute bucket of its first event');
select is((select tests.ingest(:'c', null, null, events, :'t0'::timestamptz + interval '3 seconds', '{"ip_hash": "hash-of-ip-1"}') - 'accepted' - 'duplicates' from cl_batch),
  (select r - 'accepted' - 'duplicates' from cl_first), 'cookieless: a replay yields the same visitor and session');
select is((select count(*)::int from crm.user_events where project_id = :'c'), 2, 'cookieless: a replay stores nothing twice');
select is(tests.ingest(:'c', null, null, jsonb_build_array(tests.ev('pageview', :'t0'::timestamptz + interval '20 minutes', '{"path": "/b"}')),
    :'t0'::timestamptz + interval '20 minutes', '{"ip_hash": "hash-of-ip-1"}') ->> 'session_id',
  (select r ->> 'session_id' from cl_first), 'cookieless: activity within the timeout continues the same session');
select isnt(tests.ingest(:'c', null, null, jsonb_build_array(tests.ev('pageview', :'t0'::timestamptz)), :'t0'::timestamptz, '{"ip_hash": "hash-of-ip-2"}') ->> 'visitor_id',
  (select r ->> 'visitor_id' from cl_first), 'cookieless: another IP hash is another visitor');
select is(tests.ingest(:'c', tests.uid(41), tests.uid(42), jsonb_build_array(tests.ev('pageview', :'t0'::timestamptz)), :'t0'::timestamptz, '{"ip_hash": "hash-of-ip-1"}') ->> 'visitor_id',
  (select r ->> 'visitor_id' from cl_first), 'cookieless: ids sent by a tracker are ignored');

-- Do Not Track ---------------------------------------------------------------------------
select is(tests.ingest(:'p', tests.uid(51), tests.uid(52), jsonb_build_array(tests.ev('pageview', now())), now(), '{"dnt": true}'),
  '{"status": 202, "accepted": 0, "duplicates": 0, "rejected": [], "ignored": "dnt"}'::jsonb,
  'with respect_dnt on, a DNT request is answered but ignored');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(51)), 0, 'DNT stores nothing');

-- Erased visitors ---------------------------------------------------------------------
insert into crm.erased_ids (project_id, anonymous_id) values (:'p', tests.uid(61));
select is(tests.ingest(:'p', tests.uid(61), tests.uid(62), jsonb_build_array(
    tests.ev('pageview', now(), '{}', tests.uid(601)), tests.ev('heartbeat', now(), '{}', tests.uid(602)))) - 'visitor_id' - 'session_id',
  jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0, 'rejected', jsonb_build_array(
    jsonb_build_object('index', 0, 'id', tests.uid(601), 'reason', 'erased', 'message', 'this visitor was erased on request'),
    jsonb_build_object('index', 1, 'id', tests.uid(602), 'reason', 'erased', 'message', 'this visitor was erased on request'))),
  'a visitor erased on request is refused: every event rejected with reason erased');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(61))
        + (select count(*)::int from crm.site_sessions where project_id = :'p' and id = tests.uid(62)), 0,
  'an erased visitor is not recreated');

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
select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
    tests.ev('pageview', now() - interval '20 seconds', '{"path": "/a"}', tests.uid(101)),
    tests.ev('event', now() - interval '19 seconds', '{"name": "signup"}', tests.uid(102)))),
  jsonb_build_object('batch', jsonb_build_object('project', 'pk_nobody00', 'sent_at', tests.ms(now()),
                                                 'events', jsonb_build_array(tests.ev('pageview', now()))),
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
  '{"status": 202, "accepted": 1, "duplicates": 1, "rejected": [{"id": "00000000-0000-4000-8000-000000000104", "index": 2, "reason": "unknown_type", "message": "nonsense is not an event type"}]}'::jsonb,
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
select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(3), jsonb_build_array(tests.ev('pageview', now() - interval '5 seconds'))),
  pg_temp.item(:'p', tests.uid(1), tests.uid(4), jsonb_build_array(tests.ev('pageview', now() - interval '4 seconds'))),
  pg_temp.item(:'p', tests.uid(1), tests.uid(3), jsonb_build_array(tests.ev('heartbeat', now() - interval '1 seconds')))));
select results_eq($$ select sessions_count, pageviews_count from crm.site_users where project_id = '$$ || :'p' || $$' $$,
  $$ values (3, 4) $$, 'two new sessions of one user in one call add two sessions and their page views');
select ok((select abs(extract(epoch from last_activity_at - (now() - interval '1 seconds'))) < 0.01
  from crm.site_sessions where project_id = :'p' and id = tests.uid(3)), 'a heartbeat in a later item moves its session''s activity');

-- Replaying the whole call changes nothing ----------------------------------------------
select is((select (r -> 0 ->> 'duplicates')::int from (select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
    tests.ev('pageview', now() - interval '20 seconds', '{"path": "/a"}', tests.uid(101)),
    tests.ev('event', now() - interval '19 seconds', '{"name": "signup"}', tests.uid(102)))))) r) x), 2,
  'a replayed item is all duplicates');
select results_eq($$ select sessions_count, pageviews_count, events_count from crm.site_users where project_id = '$$ || :'p' || $$' $$,
  $$ values (3, 4, 1) $$, 'and counts nothing');

-- Rate limits are applied in item order -------------------------------------------------
create temp table r2 as
select pg_temp.batches((select jsonb_agg(pg_temp.item(:'lim', tests.uid(10 + i), tests.uid(20 + i),
  (select jsonb_agg(tests.ev('event', now(), '{"name": "x"}') || jsonb_build_object('n', i + k)) from generate_series(1, 12) k),
  jsonb_build_object('ip_hash', md5('198.51.100.' || i))) order by i) from generate_series(1, 3) i)) as r;
select results_eq($$ select (r -> 0 ->> 'status')::int, (r -> 1 ->> 'status')::int, (r -> 2 ->> 'status')::int from r2 $$,
  $$ values (202, 202, 429) $$, 'with a limit of 30 events a minute, batches of 12 pass until the third');
select is((select count(*)::int from crm.user_events where project_id = :'lim'), 24, 'the refused batch stores nothing');
select ok((select (r -> 2 ->> 'retry_after')::int between 1 and 60 from r2), 'the refused batch says when to retry');

-- The IP counter holds what other calls counted: 8 events of this IP this minute, so 3
-- more break a limit of 10.
select tests.create_project('IP limited', '{}', '{"rate_limit_ip_per_minute": 10}') as iplim \gset
insert into crm.rate_limits (project_id, bucket, window_start, hits)
values (:'iplim', 'ip:' || md5('203.0.113.9'), date_trunc('minute', now()), 8);
select is((select r -> 0 ->> 'error' from (select pg_temp.batches(jsonb_build_array(pg_temp.item(:'iplim', tests.uid(70), tests.uid(71),
  jsonb_build_array(tests.ev('pageview', now()), tests.ev('pageview', now()), tests.ev('pageview', now()))))) r) x),
  'rate_limited', 'the IP limit counts the hits of other backends');

-- Cookieless and standard projects in one call -----------------------------------------
-- The two cookieless batches straddle a boundary of the derived session id (timeout
-- buckets): the later one still joins the session the earlier one started.
select to_timestamp(floor(extract(epoch from now()) / 1800) * 1800) as boundary \gset
create temp table r3 as
select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'ck', null, null, jsonb_build_array(tests.ev('pageview', :'boundary'::timestamptz - interval '1 second'))),
  pg_temp.item(:'ck', tests.uid(30), tests.uid(31), jsonb_build_array(tests.ev('pageview', :'boundary'::timestamptz + interval '1 second'))),
  pg_temp.item(:'p', tests.uid(40), tests.uid(41), jsonb_build_array(tests.ev('pageview', now()))))) as r;
select is((select r -> 0 ->> 'visitor_id' = r -> 1 ->> 'visitor_id' and r -> 0 ->> 'session_id' = r -> 1 ->> 'session_id' from r3), true,
  'cookieless batches derive one visitor and session (the sent ids are ignored)');
select is((select count(*)::int from crm.site_sessions where project_id = :'ck'), 1, 'and make one session');
select is((select r -> 2 ->> 'visitor_id' from r3), tests.uid(40)::text, 'a standard batch in the same call keeps its ids');

-- A signed identify in one item, the same visitor's page view in the next --------------
select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(50), tests.uid(51), jsonb_build_array(
    tests.ev('identify', now() - interval '2 seconds', jsonb_build_object('email', 'ann@example.com',
      'signature', tests.sign(:'p', 'ann@example.com'))))),
  pg_temp.item(:'p', tests.uid(50), tests.uid(51), jsonb_build_array(tests.ev('pageview', now() - interval '1 seconds')))));
select results_eq($$ select verified, email, pageviews_count from crm.site_users
  where project_id = '$$ || :'p' || $$' and id = (select user_id from crm.anonymous_ids where anonymous_id = '$$ || tests.uid(50) || $$') $$,
  $$ values (true, 'ann@example.com', 1) $$, 'the page view after a signed identify in the same call counts on the verified user');

-- An unexpected error fails only its own item -------------------------------------------
select results_eq($$ select r -> 0 ->> 'status', r -> 1 ->> 'status', r -> 1 ->> 'error' from (select pg_temp.batches(jsonb_build_array(
  pg_temp.item('$$ || :'p' || $$', tests.uid(60), tests.uid(61), jsonb_build_array(tests.ev('pageview', now()))),
  pg_temp.item('$$ || :'p' || $$', tests.uid(62), tests.uid(63), jsonb_build_array(tests.ev('pageview', now())),
    '{"received_at": "2026-13-45T99:99"}'))) r) x $$,
  $$ values ('202', '400', 'invalid_batch') $$, 'an item with a value the database cannot hold answers 400; the others are stored');
create function pg_temp.explode() returns trigger language plpgsql as $$
begin
  raise exception 'simulated fault' using errcode = 'XX000';
end $$;
create trigger zz_explode before insert on crm.site_sessions
  for each row when (new.id = '00000000-0000-4000-8000-000000000065') execute function pg_temp.explode();
create temp table r_fault as select pg_temp.batches(jsonb_build_array(
  pg_temp.item(:'p', tests.uid(66), tests.uid(67), jsonb_build_array(tests.ev('pageview', now()))),
  pg_temp.item(:'p', tests.uid(64), tests.uid(65), jsonb_build_array(tests.ev('pageview', now()))))) as r;
select is((select (r -> 1) - 'detail' from r_fault),
  '{"status": 500, "error": "internal", "message": "unexpected error", "sqlstate": "XX000"}'::jsonb,
  'an item that makes the call fail answers 500 with a generic message (the database''s text stays in detail)');
select is((select r -> 0 ->> 'status' from r_fault), '202', 'the other item of that call is stored');
drop trigger zz_explode on crm.site_sessions;
select is(crm.ingest_batches('[]'), '[]'::jsonb, 'no items, no results');
select throws_ok($$ select crm.ingest_batches('{}') $$, '22023', null, 'items that are not an array are a caller error');

-- The event rules at their limits (sizes in bytes of the JSON text as sent) ------------------
-- A batch written as JSON text, compact as the tracker writes it: jsonb would re-space it.
create function pg_temp.raw(p_project uuid, p_visitor uuid, p_events text) returns jsonb
language sql volatile as $$
  select crm.ingest(format('{"project":"%s","sent_at":%s,"visitor_id":"%s","session_id":"%s","events":[%s]}',
    (select public_key from crm.projects where id = p_project), tests.ms(now()), p_visitor, p_visitor, p_events)::json,
    '{"origin":"https://shop.example","ip_hash":"limits"}')
$$;
-- A custom event whose props are exactly p_bytes of JSON: {"k":"xxx…"} (8 bytes + the value).
create function pg_temp.props_event(p_id uuid, p_bytes integer, p_char text default 'x') returns text
language sql immutable as $$
  select format('{"id":"%s","type":"event","ts":%s,"name":"big","props":{"k":"%s"}}', p_id, tests.ms(now()),
    repeat(p_char, (p_bytes - 8) / octet_length(p_char)))
$$;
select tests.create_project('Limits') as lp \gset
select is(pg_temp.raw(:'lp', tests.uid(801), pg_temp.props_event(tests.uid(811), 4096)) -> 'accepted', '1',
  'props of exactly 4096 bytes of compact JSON are stored');
select is(octet_length((select properties from crm.user_events where project_id = :'lp' and id = tests.uid(811))::text) - 1, 4096,
  'and kept whole (jsonb adds only the space after the colon)');
select is(tests.no_messages(pg_temp.raw(:'lp', tests.uid(801), pg_temp.props_event(tests.uid(812), 4097))) -> 'rejected',
  jsonb_build_array(jsonb_build_object('index', 0, 'id', tests.uid(812), 'reason', 'oversize')), 'one byte more is oversize');
select is(pg_temp.raw(:'lp', tests.uid(801), pg_temp.props_event(tests.uid(813), 4096, 'é')) -> 'accepted', '1',
  'bytes, not characters: 2,044 two-byte characters fit');
select is(pg_temp.raw(:'lp', tests.uid(801), pg_temp.props_event(tests.uid(814), 4098, 'é')) -> 'rejected' -> 0 ->> 'message',
  'props is 4098 bytes of JSON, over 4096', 'and one more does not, with the size in the message');
select is(pg_temp.raw(:'lp', tests.uid(801), format(
    '{"id":"%s","type":"event","ts":%s,"name":"spaced","props":{"a" : 1,   "b" :  [1,  2]}}', tests.uid(815), tests.ms(now())))
    -> 'accepted', '1', 'props with spaces of their own are measured as sent (and accepted)');
select is(pg_temp.raw(:'lp', tests.uid(802), format(
    '{"id":"%s","type":"identify","ts":%s,"name":"M","metadata":{"k":"%s"}}', tests.uid(821), tests.ms(now()), repeat('m', 4088)))
    -> 'accepted', '1', 'identify metadata of exactly 4096 bytes is accepted');
select is(pg_temp.raw(:'lp', tests.uid(802), format(
    '{"id":"%s","type":"identify","ts":%s,"name":"M","metadata":{"k":"%s"}}', tests.uid(822), tests.ms(now()), repeat('m', 4089)))
    -> 'rejected' -> 0 ->> 'reason', 'oversize', 'one byte more is oversize');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"pageview","ts":%s,"path":"/","utm":{"source":"%s"}}',
    tests.uid(831), tests.ms(now()), repeat('u', 256))) -> 'accepted', '1', 'a utm value of 256 characters is accepted');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"pageview","ts":%s,"path":"/","utm":{"source":"%s"}}',
    tests.uid(832), tests.ms(now()), repeat('u', 257))) -> 'rejected' -> 0 ->> 'message',
  'a utm value is over 256 characters', 'a utm value of 257 is oversize');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"pageview","ts":%s,"path":"/","utm":{"ref":"x"}}',
    tests.uid(833), tests.ms(now()))) -> 'rejected' -> 0 ->> 'reason', 'invalid', 'an unknown utm key is invalid');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"pageview","ts":%s,"path":"/","utm":["a"]}',
    tests.uid(834), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'utm must be an object', 'utm as an array is invalid');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"event","ts":%s,"name":"e","props":[1]}',
    tests.uid(835), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'props must be an object', 'props as an array is invalid');
select is(pg_temp.raw(:'lp', tests.uid(804), format('{"id":"%s","type":"identify","ts":%s,"name":"M","metadata":["a"]}',
    tests.uid(837), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'metadata must be an object', 'metadata as an array is invalid');
select is(pg_temp.raw(:'lp', tests.uid(803), format('{"id":"%s","type":"pageview","ts":%s,"path":"/","screen":"big"}',
    tests.uid(836), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'screen must be WIDTHxHEIGHT', 'a malformed screen is invalid');
select is(pg_temp.raw(:'lp', tests.uid(804), format('{"id":"%s","type":"identify","ts":%s,"email":"no-at-sign"}',
    tests.uid(841), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'email must contain @', 'an email without @ is invalid');
select is(pg_temp.raw(:'lp', tests.uid(804), format('{"id":"%s","type":"identify","ts":%s,"email":"a@b.c","signature":"zz"}',
    tests.uid(842), tests.ms(now()))) -> 'rejected' -> 0 ->> 'message', 'signature must be hex', 'a non-hex signature is invalid');
select is(pg_temp.raw(:'lp', tests.uid(804), format('{"id":"%s","type":"identify","ts":%s}', tests.uid(843), tests.ms(now())))
    -> 'rejected' -> 0 ->> 'message', 'identify needs an email, external_id or name', 'an empty identify is invalid');
select is(pg_temp.raw(:'lp', tests.uid(804), format('{"id":"%s","type":"leave","ts":%s},"just text"', tests.uid(844), tests.ms(now())))
    - 'sqlstate' - 'detail', '{"status": 400, "error": "invalid_batch", "message": "the batch holds a value the database cannot read or store (every event must be a JSON object)"}'::jsonb,
  'an event that is not an object refuses its batch, saying why');

-- The envelope -----------------------------------------------------------------------------
select is(crm.ingest('{"project":"pk_limits0000","visitor_id":"x"}', '{}') ->> 'message',
  'sent_at must be the send time in ms since the epoch', 'a batch without sent_at is refused, saying why');
select is(crm.ingest(format('{"project":"%s","sent_at":1,"visitor_id":"nope","session_id":"nope","events":[{}]}',
    (select public_key from crm.projects where id = :'lp'))::json, '{}') ->> 'message',
  'visitor_id and session_id must be UUIDs', 'malformed ids refuse the batch');
select is(crm.ingest(format('{"project":"%s","sent_at":1,"events":{}}', (select public_key from crm.projects where id = :'lp'))::json, '{}')
    ->> 'message', 'events must be a non-empty array', 'events that are not an array refuse the batch');
select is(crm.ingest('{"project":"nope","sent_at":1,"events":[{}]}', '{}') ->> 'message', 'project must be a public key (pk_…)',
  'a malformed key refuses the batch');
select is(crm.ingest(format('{"project":"%s","sent_at":%s,"visitor_id":"%s","session_id":"%s","events":[{"id":"%s","type":"event","ts":%s,"name":"n","props":{"t":"\u0000"}}]}',
    (select public_key from crm.projects where id = :'lp'), tests.ms(now()), tests.uid(805), tests.uid(805), tests.uid(851), tests.ms(now()))::json, '{}')
    - 'detail' - 'sqlstate',
  '{"status": 400, "error": "invalid_batch", "message": "the batch holds a value the database cannot read or store (every event must be a JSON object)"}'::jsonb,
  'text Postgres cannot store (U+0000) refuses the batch with 400, not 500');

select * from finish();
rollback;
