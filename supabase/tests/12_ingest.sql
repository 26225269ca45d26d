-- crm.ingest: happy path, sessions (reopen, never split), replay and re-send dedupe,
-- clock skew, mixed good/bad events, origin, unknown key, rate limits, cookieless
-- ids, DNT, batch-level errors that never raise.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(60);

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
    jsonb_build_object('index', 1, 'id', tests.uid(302), 'reason', 'too_old'),
    jsonb_build_object('index', 2, 'id', tests.uid(303), 'reason', 'in_future'),
    jsonb_build_object('index', 3, 'id', tests.uid(304), 'reason', 'oversize'),
    jsonb_build_object('index', 4, 'id', tests.uid(305), 'reason', 'unknown_type'),
    jsonb_build_object('index', 5, 'id', null, 'reason', 'invalid'),
    jsonb_build_object('index', 6, 'id', tests.uid(307), 'reason', 'invalid'),
    jsonb_build_object('index', 7, 'id', tests.uid(308), 'reason', 'oversize'))),
  'bad events are rejected one by one with a reason while the good one is accepted');
select is((select count(*)::int from crm.user_events where project_id = :'p' and id in
  (tests.uid(301), tests.uid(302), tests.uid(303), tests.uid(304), tests.uid(305), tests.uid(307), tests.uid(308))), 1,
  'only the good event of the mixed batch is stored');
select is((tests.ingest(:'p', :v, :s, jsonb_build_array(tests.ev('event', now(), '{"name": "late"}', tests.uid(302)))) ->> 'accepted')::int,
  1, 'a rejected event''s id is not burnt: sent again valid, it is accepted');

-- Batch-level rejections -------------------------------------------------------------
select is(crm.ingest(jsonb_build_object('project', 'pk_doesnotexist0', 'sent_at', tests.ms(now()),
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
select is(crm.ingest('[1, 2]'::jsonb, '{}'::jsonb) ->> 'error', 'invalid_batch', 'a malformed batch answers invalid_batch');
select is((crm.ingest(jsonb_build_object('project', (select public_key from crm.projects where id = :'p'), 'sent_at', tests.ms(now()),
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
select tests.create_project('Cookieless', '{}', '{"privacy_mode": "cookieless"}') as c \gset
create temp table cl_batch as select jsonb_build_array(
  tests.ev('pageview', now() - interval '2 minutes', '{"path": "/a"}', tests.uid(401)),
  tests.ev('event', now() - interval '1 minute', '{"name": "x"}', tests.uid(402))) as events;
create temp table cl_first as
select tests.ingest(:'c', null, null, events, now(), '{"ip_hash": "hash-of-ip-1"}') as r from cl_batch;
select is((select (r ->> 'visitor_id')::uuid from cl_first),
  md5(concat_ws(':', :'c', 'hash-of-ip-1', 'Mozilla/5.0 (test)', (now() at time zone 'UTC')::date))::uuid,
  'cookieless: the visitor id is derived from project, daily-salted IP hash, user agent and day');
select is((select (r ->> 'session_id')::uuid from cl_first),
  md5(concat_ws(':', (select r ->> 'visitor_id' from cl_first),
    floor(extract(epoch from now() - interval '2 minutes') / 1800)))::uuid,
  'cookieless: a new session id is derived from the visitor and the 30-minute bucket of its first event');
select is((select tests.ingest(:'c', null, null, events, now() + interval '3 seconds', '{"ip_hash": "hash-of-ip-1"}') - 'accepted' - 'duplicates' from cl_batch),
  (select r - 'accepted' - 'duplicates' from cl_first), 'cookieless: a replay yields the same visitor and session');
select is((select count(*)::int from crm.user_events where project_id = :'c'), 2, 'cookieless: a replay stores nothing twice');
select is(tests.ingest(:'c', null, null, jsonb_build_array(tests.ev('pageview', now() + interval '20 minutes', '{"path": "/b"}')),
    now() + interval '20 minutes', '{"ip_hash": "hash-of-ip-1"}') ->> 'session_id',
  (select r ->> 'session_id' from cl_first), 'cookieless: activity within the timeout continues the same session');
select isnt(tests.ingest(:'c', null, null, jsonb_build_array(tests.ev('pageview', now())), now(), '{"ip_hash": "hash-of-ip-2"}') ->> 'visitor_id',
  (select r ->> 'visitor_id' from cl_first), 'cookieless: another IP hash is another visitor');
select is(tests.ingest(:'c', tests.uid(41), tests.uid(42), jsonb_build_array(tests.ev('pageview', now())), now(), '{"ip_hash": "hash-of-ip-1"}') ->> 'visitor_id',
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
    jsonb_build_object('index', 0, 'id', tests.uid(601), 'reason', 'erased'),
    jsonb_build_object('index', 1, 'id', tests.uid(602), 'reason', 'erased'))),
  'a visitor erased on request is refused: every event rejected with reason erased');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(61))
        + (select count(*)::int from crm.site_sessions where project_id = :'p' and id = tests.uid(62)), 0,
  'an erased visitor is not recreated');

select * from finish();
rollback;
