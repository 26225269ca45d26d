-- Ingest health: every outcome of an ingest call is counted per project and UTC hour
-- (accepted, duplicates, rejected by reason, rate-limited, erased, refused batches), the
-- Edge Function's own refusals are added by crm.record_ingest_refusals, and
-- get_ingest_health reads them back zero-filled, summed over every backend's row.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(25);

select tests.create_project('Health', '{https://shop.example}', '{"rate_limit_ip_per_minute": 6}') as p \gset
select tests.add_member(:'p', 'health-viewer@example.test', 'viewer') as viewer \gset
select public_key as key from crm.projects where id = :'p' \gset

-- Nothing yet --------------------------------------------------------------------------
select is((select count(*)::int from public.get_ingest_health(:'p')), 24, 'the last 24 hours, one row each');
select is((select count(*)::int from public.get_ingest_health(:'p', 1)), 1, 'p_hours 1: the current hour only');
select is((select hour from public.get_ingest_health(:'p', 3) order by hour desc limit 1), crm.counter_hour(now()),
  'the current hour comes last');
select ok((select bool_and(accepted = 0 and duplicates = 0 and rejected = '{}' and refused = '{}' and last_rejections = '[]')
           from public.get_ingest_health(:'p')), 'an idle project: zero-filled');

-- What ingest counts ------------------------------------------------------------------------
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
  tests.ev('pageview', now(), '{}', tests.uid(101)),
  tests.ev('event', now(), '{"name": "signup"}', tests.uid(102)),
  tests.ev('heartbeat', now()),
  tests.ev('event', now(), '{"name": ""}', tests.uid(103)),
  tests.ev('nonsense', now(), '{}', tests.uid(104))), now(), '{"ip_hash": "a"}');
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(tests.ev('pageview', now(), '{}', tests.uid(101))),
  now(), '{"ip_hash": "b"}');                                             -- a re-send: one duplicate
select tests.ingest(:'p', tests.uid(3), tests.uid(4), (select jsonb_agg(tests.ev('event', now(), '{"name": "x"}'))
  from generate_series(1, 7)), now(), '{"ip_hash": "c"}');               -- 7 events over the IP limit of 6
select tests.ingest(:'p', tests.uid(5), tests.uid(6), jsonb_build_array(tests.ev('pageview', now())), now(),
  '{"origin": "https://evil.example", "ip_hash": "d"}');                  -- refused origin
select tests.ingest(:'p', tests.uid(7), tests.uid(8), jsonb_build_array(tests.ev('pageview', now())), now(),
  '{"dnt": true, "ip_hash": "e"}');                                       -- ignored for DNT
insert into crm.erased_ids (project_id, anonymous_id) values (:'p', tests.uid(9));
select tests.ingest(:'p', tests.uid(9), tests.uid(10), jsonb_build_array(tests.ev('pageview', now()), tests.ev('heartbeat', now())),
  now(), '{"ip_hash": "f"}');                                             -- an erased visitor

create temp table h1 as select * from public.get_ingest_health(:'p', 1);
select is((select row(accepted, duplicates, rate_limited, erased_dropped, bot_dropped)::text from h1),
  row(2, 1, 7, 2, 0)::text,
  'accepted 2 (the page view and the event: a heartbeat is not an event), 1 duplicate, 7 events rate-limited, 2 events of an erased visitor');
select is((select rejected from h1), '{"invalid": 1, "unknown_type": 1}'::jsonb, 'rejected events by reason');
select is((select refused from h1), '{"origin_not_allowed": 1, "dnt": 1}'::jsonb,
  'refused batches by error (a DNT batch is ignored, and counted)');
select is((select array_agg(r ->> 'reason' order by n) from h1, jsonb_array_elements(last_rejections) with ordinality as x (r, n)),
  array['origin_not_allowed', 'rate_limited', 'unknown_type', 'invalid'],
  'the newest rejections first, with what they were (the erased visitor and DNT are not rejections of the site''s data)');
select is((select r ->> 'message' from h1, jsonb_array_elements(last_rejections) r where r ->> 'reason' = 'unknown_type'),
  'nonsense is not an event type', 'each with its message');

-- Another backend's row of the same hour is summed in -------------------------------------
insert into crm.ingest_counters (project_id, hour, shard, accepted, rejected, refused)
values (:'p', crm.counter_hour(now()), -1, 10, '{"invalid": 2, "oversize": 1}', '{"too_large": 1}');
select is((select row(accepted, rejected, refused)::text from public.get_ingest_health(:'p', 1)),
  row(12, '{"invalid": 3, "oversize": 1, "unknown_type": 1}'::jsonb, '{"dnt": 1, "too_large": 1, "origin_not_allowed": 1}'::jsonb)::text,
  'an hour''s figures are the sum of every backend''s row');
insert into crm.ingest_counters (project_id, hour, shard, accepted) values (:'p', crm.counter_hour(now()) - interval '2 hours', -1, 5);
select is((select accepted from public.get_ingest_health(:'p', 3) order by hour limit 1), 5::bigint, 'earlier hours have their own rows');

-- The Edge Function's refusals ------------------------------------------------------------
select is(crm.record_ingest_refusals(json_build_array(
  json_build_object('project', :'key', 'error', 'bot', 'count', 4),
  json_build_object('project', :'key', 'error', 'invalid_batch', 'count', 2, 'message', 'body is not JSON'),
  json_build_object('project', :'key', 'error', 'invalid_batch', 'count', 1, 'message', 'body is not JSON'),
  json_build_object('project', 'pk_nobody000000', 'error', 'too_large', 'count', 1),
  json_build_object('project', :'key', 'error', 'Bad Code!', 'count', 1))), 1,
  'record_ingest_refusals counts the known project''s entries (unknown keys and malformed codes are skipped)');
select is((select row(bot_dropped, refused ->> 'invalid_batch')::text from public.get_ingest_health(:'p', 1)), row(4, '3')::text,
  'bots are counted as dropped, other refusals by their error');
select is((select last_rejections -> 0 ->> 'message' from public.get_ingest_health(:'p', 1)), 'body is not JSON',
  'a refusal of the function is among the newest rejections, with its message');
select throws_ok($$ select crm.record_ingest_refusals('{}') $$, '22023', null, 'record_ingest_refusals wants an array');

-- Hours are UTC hours, whatever the session's time zone ---------------------------------------------
set local timezone = 'Asia/Kolkata';
select is(crm.counter_hour('2026-01-01 10:45:00+00'), '2026-01-01 10:00:00+00'::timestamptz,
  'a counter hour is a UTC hour (also where the local offset is a half hour)');
reset timezone;

-- The summary: the same figures over a range, and whether anything has arrived ---------------
select is((public.get_ingest_summary(:'p', 3) - 'last_rejections' - 'first_event_at' - 'last_accepted_at'),
  jsonb_build_object('hours', 3, 'accepted', 17, 'duplicates', 1, 'rejected', '{"invalid": 3, "oversize": 1, "unknown_type": 1}'::jsonb,
    'rate_limited', 7, 'bot_dropped', 4, 'erased_dropped', 2,
    'refused', '{"dnt": 1, "too_large": 1, "invalid_batch": 3, "origin_not_allowed": 1}'::jsonb),
  'get_ingest_summary sums the hours of its range');
select is((public.get_ingest_summary(:'p', 3) ->> 'first_event_at')::timestamptz,
  (select min(first_seen_at) from crm.site_users where project_id = :'p'), 'first_event_at: when the first visitor was stored');
select is((public.get_ingest_summary(:'p', 3) ->> 'last_accepted_at')::timestamptz, crm.counter_hour(now()),
  'last_accepted_at: the last hour with an accepted event');
select is(public.get_ingest_summary(tests.create_project('Quiet')) ->> 'first_event_at', null,
  'a project nothing has arrived for says so');
select is(jsonb_array_length(public.get_ingest_summary(:'p', 3) -> 'last_rejections'), 5, 'with the newest rejections (one per refusal kind the function reported)');

-- Who may read it ----------------------------------------------------------------------------
select tests.authenticate_as(:'viewer');
select is((select accepted from public.get_ingest_health(:'p', 1)), 12::bigint, 'a viewer reads the project''s ingest health');
select tests.clear_authentication();
select throws_ok(format('select * from public.get_ingest_health(%L, 0)', :'p'), '22023', null, 'p_hours 0 is refused');
select throws_ok(format('select * from public.get_ingest_health(%L, 169)', :'p'), '22023', null, 'p_hours over a week is refused');
select ok((select 'fillfactor=70' = any (reloptions) from pg_class where oid = 'crm.ingest_counters'::regclass),
  'the counters table leaves room on its pages for updates');

select * from finish();
rollback;
