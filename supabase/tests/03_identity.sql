-- Identity: unsigned identify only labels; a forged signature is refused; a valid
-- signature merges the visitor into the verified user (nothing lost); projects can
-- require signatures; identify_site_user lets a trusted backend identify and segment.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(37);

select tests.create_project('Identity') as p \gset

-- Alice is a verified premium user known to the backend (e.g. from a payment webhook).
select (public.identify_site_user(:'p', p_email => 'Alice@Example.com', p_name => 'Alice', p_segment => 'premium') ->> 'user_id')::uuid as alice \gset
select is((select row(email, name, segment, verified)::text from crm.site_users where project_id = :'p' and id = :'alice'),
  row('alice@example.com', 'Alice', 'premium', true)::text, 'identify_site_user creates a verified user (email lower-cased)');
-- Alice has history of her own.
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(tests.ev('pageview', now() - interval '2 hours')), now() - interval '2 hours');
select public.identify_site_user(:'p', p_email => 'alice@example.com', p_anonymous_id => tests.uid(1));
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = tests.uid(1)), :'alice'::uuid,
  'identify_site_user with an anonymous id merges that visitor into the user');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(1)), 0,
  'the merged visitor''s own row is gone');

-- A new visitor browses.
\set v '''00000000-0000-4000-8000-000000000011'''
\set s '''00000000-0000-4000-8000-000000000012'''
select tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('pageview', now() - interval '5 minutes', '{"path": "/"}'),
  tests.ev('event', now() - interval '4 minutes', '{"name": "add_to_cart"}'),
  tests.ev('pageview', now() - interval '3 minutes', '{"path": "/checkout"}')));
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :v), 3, 'the visitor has 3 events');

-- Unsigned identify claiming Alice's email: labels the visitor, never merges.
select is(tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('identify', now() - interval '150 seconds', '{"email": "alice@example.com", "name": "Not Alice", "segment": "churned"}'))) -> 'rejected',
  '[]'::jsonb, 'an unsigned identify is accepted');
select is((select row(email, name, segment, verified)::text from crm.site_users where project_id = :'p' and id = :v),
  row('alice@example.com', 'Not Alice', 'churned', false)::text, 'unsigned identify only labels the current visitor, unverified');
select is((select row(name, segment, verified, sessions_count)::text from crm.site_users where project_id = :'p' and id = :'alice'),
  row('Alice', 'premium', true, 1)::text, 'unsigned identify does not change the verified user or its segment');
select is((select user_id from crm.site_sessions where project_id = :'p' and id = :s), :v::uuid,
  'unsigned identify does not move the session');

-- Forged signature: refused, nothing merged.
select is(tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('identify', now() - interval '140 seconds', jsonb_build_object('email', 'alice@example.com',
    'signature', tests.sign(:'p', 'mallory@example.com')), tests.uid(901)))) -> 'rejected',
  jsonb_build_array(jsonb_build_object('index', 0, 'id', tests.uid(901), 'reason', 'bad_signature',
    'message', 'the signature does not match')),
  'an identify with a forged signature is rejected with bad_signature');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = :v), :v::uuid,
  'a forged identify merges nothing');
select is((select count(*)::int from crm.user_events where project_id = :'p' and id = tests.uid(901)), 0,
  'a forged identify is not stored');

-- Valid signature: merge into Alice, nothing lost.
select count(*)::int as events_before from crm.user_events where project_id = :'p' \gset
select sum(pageviews_count)::int as pv_before from crm.site_users where project_id = :'p' and id in (:v, :'alice') \gset
select is(tests.ingest(:'p', :v, :s, jsonb_build_array(
  tests.ev('identify', now() - interval '120 seconds', jsonb_build_object('email', ' Alice@example.com ',
    'signature', tests.sign(:'p', 'alice@example.com'))))) -> 'rejected', '[]'::jsonb,
  'an identify signed with the identity secret (subject: trimmed lower-case email) is accepted');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = :v), :'alice'::uuid,
  'signed identify merges the visitor into the existing verified user');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = :v), 0, 'the visitor''s row is merged away');
select is((select user_id from crm.site_sessions where project_id = :'p' and id = :s), :'alice'::uuid, 'the visitor''s session moved to Alice');
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :v), 0, 'no event is left on the visitor');
select is((select count(*)::int from crm.user_events where project_id = :'p'), :events_before + 1,
  'no event is lost by the merge (plus the identify itself)');
select is((select row(pageviews_count, sessions_count, events_count, segment, name)::text from crm.site_users where project_id = :'p' and id = :'alice'),
  row(:pv_before, 2, 1, 'premium', 'Alice')::text, 'counters are summed; Alice keeps her segment and name');
select tests.ingest(:'p', :v, :s, jsonb_build_array(tests.ev('pageview', now() - interval '60 seconds', '{"path": "/thanks"}')));
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :'alice' and page = '/thanks'), 1,
  'later batches of the merged visitor belong to Alice');

-- Signed identify of someone not known yet: the visitor itself becomes verified.
select is(tests.ingest(:'p', tests.uid(21), tests.uid(22), jsonb_build_array(
  tests.ev('pageview', now()), tests.ev('identify', now(), jsonb_build_object('external_id', 'cus_42', 'email', 'bob@example.com',
    'name', 'Bob', 'segment', 'trial', 'signature', tests.sign(:'p', 'cus_42'))))) -> 'rejected', '[]'::jsonb,
  'an identify signed over the external id is accepted');
select is((select row(external_id, email, segment, verified)::text from crm.site_users where project_id = :'p' and id = tests.uid(21)),
  row('cus_42', 'bob@example.com', 'trial', true)::text, 'a visitor with a valid signature and no existing user becomes verified');
-- An unsigned identify cannot change a verified visitor.
select tests.ingest(:'p', tests.uid(21), tests.uid(22), jsonb_build_array(
  tests.ev('identify', now(), '{"email": "eve@example.com", "name": "Eve", "segment": "premium"}')));
select is((select row(email, name, segment)::text from crm.site_users where project_id = :'p' and id = tests.uid(21)),
  row('bob@example.com', 'Bob', 'trial')::text, 'an unsigned identify never changes a verified user');

-- A project that requires signatures.
select tests.create_project('Strict', '{}', '{"require_signed_identify": true}') as strict \gset
select is(tests.ingest(:'strict', tests.uid(31), tests.uid(32), jsonb_build_array(
  tests.ev('pageview', now(), '{}', tests.uid(33)), tests.ev('identify', now(), '{"email": "x@example.com"}', tests.uid(34)))) - 'visitor_id' - 'session_id',
  jsonb_build_object('status', 202, 'accepted', 1, 'duplicates', 0, 'rejected',
    jsonb_build_array(jsonb_build_object('index', 1, 'id', tests.uid(34), 'reason', 'signature_required',
      'message', 'the project requires signed identify'))),
  'when the project requires signatures, an unsigned identify is rejected with signature_required');
select is((select email from crm.site_users where project_id = :'strict' and id = tests.uid(31)), null,
  'and it labels nothing');

-- identify_site_user: a backend sets the segment directly, and validates its input.
select is(public.identify_site_user(:'p', p_external_id => 'cus_42', p_segment => 'premium') ->> 'segment', 'premium',
  'identify_site_user finds the verified user by external id and sets its segment');
select is((select segment from crm.site_users where project_id = :'p' and id = tests.uid(21)), 'premium',
  'the segment is stored');
select throws_ok(format($$ select public.identify_site_user(%L, p_name => 'Nobody') $$, :'p'), '22023', null,
  'identify_site_user needs an email or external id');
select throws_ok(format($$ select public.identify_site_user(%L, p_email => 'a@b.c', p_segment => 'vip') $$, :'p'), '22023', null,
  'identify_site_user refuses an unknown segment');
select throws_ok($$ select public.identify_site_user(gen_random_uuid(), p_email => 'a@b.c') $$, 'PT404', null,
  'identify_site_user refuses an unknown project (trusted caller)');
select is((select count(*)::int from crm.site_users where project_id = :'p' and verified and lower(email) = 'alice@example.com'), 1,
  'there is exactly one verified Alice');

-- A signature over an external id does not vouch for the email next to it: Mallory,
-- signed in as herself, names Alice's email and is not merged into Alice.
select tests.ingest(:'p', tests.uid(41), tests.uid(42), jsonb_build_array(tests.ev('pageview', now() - interval '1 minute')));
select is(tests.ingest(:'p', tests.uid(41), tests.uid(42), jsonb_build_array(
  tests.ev('identify', now(), jsonb_build_object('external_id', 'mallory-1', 'email', 'alice@example.com',
    'name', 'Hacked', 'segment', 'churned', 'signature', tests.sign(:'p', 'mallory-1'))))) -> 'accepted', '1'::jsonb,
  'a signed identify naming another customer''s email is accepted (for its own external id)');
select isnt((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = tests.uid(41)), :'alice'::uuid,
  'it is not merged into the user holding that email');
select is((select row(external_id, name, segment, email)::text from crm.site_users where project_id = :'p' and id = :'alice'),
  row(null::text, 'Alice', 'premium', 'alice@example.com')::text, 'Alice''s profile is untouched');
select is((select row(verified, external_id, email_verified)::text from crm.site_users u
           join crm.anonymous_ids a on a.project_id = u.project_id and a.user_id = u.id
           where a.project_id = :'p' and a.anonymous_id = tests.uid(41)),
  row(true, 'mallory-1', false)::text, 'Mallory is verified by her external id; the email is only a label');
select is((public.identify_site_user(:'p', p_email => 'alice@example.com') ->> 'user_id')::uuid, :'alice'::uuid,
  'a trusted lookup by that email still finds Alice');

-- Identifiers an unverified visitor claimed never collide when it becomes verified.
select tests.ingest(:'p', tests.uid(51), tests.uid(52), jsonb_build_array(
  tests.ev('identify', now(), '{"email": "alice@example.com", "external_id": "cus_42"}')));
select lives_ok(format($$ select public.identify_site_user(%L, p_external_id => 'cus_77', p_anonymous_id => %L) $$,
  :'p', tests.uid(51)), 'promoting a visitor that claimed a verified user''s email and external id does not fail');
select is((select row(external_id, email, email_verified)::text from crm.site_users where project_id = :'p' and id = tests.uid(51)),
  row('cus_77', 'alice@example.com', false)::text, 'it keeps the vouched-for external id; the claimed email stays a label');

select * from finish();
rollback;
