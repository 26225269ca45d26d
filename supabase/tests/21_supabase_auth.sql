-- Supabase Auth identity: an identify whose token the ingest function verified (its
-- verdict in the context, auth.<event id>) merges on the auth user's id exactly like a
-- signed identify, across devices, history kept; refused tokens change nothing; the
-- project's trust decides which verdicts count; auth.users triggers keep emails in step
-- and erase deleted users (switchable); the first touch names the landing page.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(57);

select tests.create_project('Auth shop') as p \gset
select public_key as pk from crm.projects where id = :'p' \gset
select tests.create_user('Ann@Shop.example') as ann \gset

-- A verdict as the ingest function writes it, for one event id.
create function tests.auth_ctx(p_event uuid, p_verdict jsonb) returns jsonb
language sql immutable as $$ select jsonb_build_object('auth', jsonb_build_object(p_event, p_verdict)) $$;
create function tests.ann_verdict(p_sub uuid, p_trust text default 'own') returns jsonb
language sql immutable as $$ select jsonb_build_object('sub', p_sub, 'email', 'Ann@Shop.example', 'trust', p_trust) $$;

-- ---------------------------------------------------------------------------
-- Sign-up on device 1: a campaign visit two days ago, then the token identify today
-- ---------------------------------------------------------------------------
\set v1 '''00000000-0000-4000-8000-0000000000a1'''
\set s1 '''00000000-0000-4000-8000-0000000000a2'''
\set v1old '''00000000-0000-4000-8000-0000000000a3'''
select tests.ingest(:'p', :v1, :v1old, jsonb_build_array(
  tests.ev('pageview', now() - interval '2 days', '{"path": "/pricing", "referrer": "https://news.example/post",
    "utm": {"source": "newsletter", "medium": "email", "campaign": "launch"}}')), now() - interval '2 days');
select tests.ingest(:'p', :v1, :s1, jsonb_build_array(tests.ev('pageview', now() - interval '10 minutes', '{"path": "/signup"}')));

select is(tests.ingest(:'p', :v1, :s1, jsonb_build_array(tests.ev('identify', now() - interval '9 minutes', '{}', tests.uid(101))),
    now(), tests.auth_ctx(tests.uid(101), tests.ann_verdict(:'ann'))) -> 'rejected', '[]'::jsonb,
  'an identify carrying only a verified token verdict is accepted');
select is((select row(external_id, email, email_verified, verified)::text from crm.site_users where project_id = :'p' and id = :v1),
  row(:'ann'::text, 'ann@shop.example', true, true)::text,
  'the visitor becomes the person: external id = the auth user id, email from Auth (lower-cased) and vouched for, verified');
select is((select properties from crm.user_events where project_id = :'p' and id = tests.uid(101)),
  '{"verified": true, "via": "supabase_auth"}'::jsonb, 'the stored identify says it came through Supabase Auth');
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :v1), 3,
  'history before sign-in stays with the person');

-- ---------------------------------------------------------------------------
-- Sign-in on device 2: merged into the same person, nothing lost
-- ---------------------------------------------------------------------------
\set v2 '''00000000-0000-4000-8000-0000000000b1'''
\set s2 '''00000000-0000-4000-8000-0000000000b2'''
select tests.ingest(:'p', :v2, :s2, jsonb_build_array(
  tests.ev('pageview', now() - interval '5 minutes', '{"path": "/"}'),
  tests.ev('event', now() - interval '4 minutes', '{"name": "add_to_cart"}')));
select is(tests.ingest(:'p', :v2, :s2, jsonb_build_array(tests.ev('identify', now() - interval '3 minutes', '{}', tests.uid(102))),
    now(), tests.auth_ctx(tests.uid(102), tests.ann_verdict(:'ann'))) -> 'rejected', '[]'::jsonb,
  'the same auth user on another device is accepted');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = :v2), :v1::uuid,
  'the second device''s visitor is merged into the person');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = :v2), 0, 'its own row is merged away');
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :v1), 6,
  'both devices'' history belongs to the person (3 + 2 events + the identify)');
select is((select count(*)::int from crm.site_users where project_id = :'p' and external_id = :'ann'::text), 1,
  'one person per auth user');
select is((select user_id from crm.site_sessions where project_id = :'p' and id = :s2), :v1::uuid, 'the session moved too');

-- ---------------------------------------------------------------------------
-- First touch: the campaign visit two days ago, with its landing page, kept after the merge
-- ---------------------------------------------------------------------------
select crm.refresh_user_days(:'p', crm.utc_today() - 3, crm.utc_today());
select is((select first_touch - 'day' - 'country' - 'referrer' from crm.site_users where project_id = :'p' and id = :v1),
  '{"channel": "email", "source": "newsletter", "utm_source": "newsletter", "utm_medium": "email",
    "utm_campaign": "launch", "landing_page": "/pricing"}'::jsonb,
  'the person''s first touch is the campaign visit before sign-up, with its landing page');
select is((select (first_touch ->> 'day')::date from crm.site_users where project_id = :'p' and id = :v1),
  ((now() - interval '2 days') at time zone 'UTC')::date, 'dated on the first visit''s day');
select is((select last_touch ->> 'landing_page' from crm.site_users where project_id = :'p' and id = :v1), '/signup',
  'the last touch names today''s landing page');

-- ---------------------------------------------------------------------------
-- Refused tokens change nothing
-- ---------------------------------------------------------------------------
\set v3 '''00000000-0000-4000-8000-0000000000c1'''
\set s3 '''00000000-0000-4000-8000-0000000000c2'''
select tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('pageview', now() - interval '1 minute')));
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(103))), now(),
    tests.auth_ctx(tests.uid(103), '{"error": "expired: the token expired at 2026-12-01T10:00:00.000Z"}')) -> 'rejected',
  jsonb_build_array(jsonb_build_object('index', 0, 'id', tests.uid(103), 'reason', 'bad_token',
    'message', 'expired: the token expired at 2026-12-01T10:00:00.000Z')),
  'an expired token is refused as bad_token with the function''s reason');
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(104))), now(),
    tests.auth_ctx(tests.uid(104), '{"error": "bad signature: not signed by the Supabase project this CRM project trusts"}'))
    -> 'rejected' -> 0 ->> 'message',
  'bad signature: not signed by the Supabase project this CRM project trusts', 'a forged token is refused with its reason');
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(105))), now(),
    tests.auth_ctx(tests.uid(105), jsonb_build_object('email', 'x@shop.example', 'trust', 'own'))) -> 'rejected' -> 0 ->> 'message',
  'the token names no user (sub)', 'a verdict without a subject is refused');
select is((select row(external_id, email, verified)::text from crm.site_users where project_id = :'p' and id = :v3),
  row(null::text, null::text, false)::text, 'refused tokens leave the visitor anonymous');
select is((select count(*)::int from crm.user_events where project_id = :'p' and id in (tests.uid(103), tests.uid(104), tests.uid(105))), 0,
  'refused identifies are not stored');

select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{"email": "mallory@evil.example"}', tests.uid(106))),
    now(), tests.auth_ctx(tests.uid(106), tests.ann_verdict(:'ann'))) -> 'rejected' -> 0,
  jsonb_build_object('index', 0, 'id', tests.uid(106), 'reason', 'invalid',
    'message', 'an identify with a token carries nothing else: the token says who it is'),
  'a token identify with other fields is refused: nothing rides on the token');
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), jsonb_build_object('token', 'eyJhbGciOi.x.y'), tests.uid(107))))
    -> 'rejected' -> 0 ->> 'message', 'a token is verified by the ingest function; send the batch through it',
  'a token that never went through the function''s verification is refused');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = :v3), :v3::uuid,
  'nothing was merged');

-- ---------------------------------------------------------------------------
-- Trust: which Supabase project's users count
-- ---------------------------------------------------------------------------
\set other '''https://otherref.supabase.co/auth/v1/.well-known/jwks.json'''
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(108))), now(),
    tests.auth_ctx(tests.uid(108), tests.ann_verdict(:'ann', :other))) -> 'rejected' -> 0,
  jsonb_build_object('index', 0, 'id', tests.uid(108), 'reason', 'bad_token',
    'message', 'the project no longer trusts the users this token came from'),
  'a verdict from another project''s keys does not count while the project trusts its own users');

select tests.add_member(:'p', 'owner-auth@shop.example', 'owner') as owner \gset
select tests.authenticate_as(:'owner');
select lives_ok(format($$ select public.update_crm_project_settings(%L, p_settings => '{"auth_jwks_url": %s}') $$,
  :'p', to_jsonb(:other::text)), 'an owner names another Supabase project by its JWKS URL');
select tests.clear_authentication();
select is(crm.ingest_auth_trust(:'pk') -> 'jwks_url', to_jsonb(:other::text), 'the function reads the trust by public key');
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(109))), now(),
    tests.auth_ctx(tests.uid(109), tests.ann_verdict(:'ann'))) -> 'rejected' -> 0 ->> 'reason', 'bad_token',
  'then a verdict of this project''s own keys no longer counts (the function''s cache is a minute old at most)');
select is(tests.ingest(:'p', :v3, :s3, jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(110))), now(),
    tests.auth_ctx(tests.uid(110), jsonb_build_object('sub', 'other-user-1', 'email', 'Bo@Other.example', 'trust', :other))) -> 'rejected',
  '[]'::jsonb, 'and one of the named project''s keys does');
select is((select row(external_id, email, verified)::text from crm.site_users where project_id = :'p' and id = :v3),
  row('other-user-1', 'bo@other.example', true)::text, 'that visitor becomes the other project''s user');

-- Settings: checked where they are stored.
set local vibe.allow_private_webhooks = off;
select tests.authenticate_as(:'owner');
select throws_ok(format($$ select public.update_crm_project_settings(%L, p_settings => '{"auth_jwks_url": "https://otherref.supabase.co/auth/v1"}') $$, :'p'),
  '22023', 'auth_jwks_url must be the URL of a Supabase project''s signing keys, like https://<ref>.supabase.co/auth/v1/.well-known/jwks.json',
  'a JWKS URL must end in /.well-known/jwks.json');
select tests.clear_authentication();
select throws_ok($$ select crm.validate_project_settings('{"auth_jwks_url": "https://10.0.0.5/auth/v1/.well-known/jwks.json"}') $$,
  '22023', 'auth_jwks_url url https://10.0.0.5/auth/v1/.well-known/jwks.json points at a private, loopback or link-local address: refused',
  'a JWKS URL on a private address is refused on hosted');
select throws_ok($$ select crm.validate_project_settings('{"auth_erase_deleted_users": "yes"}') $$,
  '22023', 'setting auth_erase_deleted_users must be true or false', 'the erase switch is a boolean');
select is(crm.ingest_auth_trust('pk_nonexistent'), null, 'an unknown public key has no trust');
select ok(jsonb_array_length(crm.ingest_auth_trust(:'pk') -> 'refused_networks') > 0,
  'on hosted the function gets the networks a JWKS URL may not resolve into');
select tests.authenticate_as_role('anon');
select throws_ok(format('select crm.ingest_auth_trust(%L)', :'pk'), '42501', null, 'anon cannot read a project''s trust');
select tests.clear_authentication();
reset vibe.allow_private_webhooks;

-- Back to this project's own users for the triggers below.
update crm.projects set settings = settings - 'auth_jwks_url' where id = :'p';

-- ---------------------------------------------------------------------------
-- auth.users: email changes and deletions (as Auth's own role, in two sessions:
-- supabase/tests/auth_users_test.ts)
-- ---------------------------------------------------------------------------
-- A second project that keeps people whose auth user is deleted.
select tests.create_project('Auth shop, kept') as q \gset
update crm.projects set settings = settings || '{"auth_erase_deleted_users": false}' where id = :'q';
select tests.ingest(:'q', tests.uid(201), tests.uid(202), jsonb_build_array(tests.ev('pageview', now()),
  tests.ev('identify', now(), '{}', tests.uid(203))), now(), tests.auth_ctx(tests.uid(203), tests.ann_verdict(:'ann')));
-- Another verified person of :p already holds the address Ann will move to.
select public.identify_site_user(:'p', p_email => 'taken@shop.example');

update auth.users set email = 'Ann.New@Shop.example' where id = :'ann';
select is((select row(email, email_verified)::text from crm.site_users where project_id = :'p' and id = :v1),
  row('ann.new@shop.example', true)::text, 'an email change in Auth reaches the person');
select is((select email from crm.site_users where project_id = :'q' and id = tests.uid(201)), 'ann.new@shop.example',
  'in every project that trusts this database''s users');
update auth.users set email = 'taken@shop.example' where id = :'ann';
select is((select row(email, email_verified)::text from crm.site_users where project_id = :'p' and id = :v1),
  row('ann.new@shop.example', false)::text,
  'an address another person already holds is not copied, and the old one is no longer vouched for (it finds no one)');
select is((select email from auth.users where id = :'ann'), 'taken@shop.example', 'Auth''s own write went through');

delete from auth.users where id = :'ann';
select is((select array_agg(row(project_id, user_id, auth_user_id)::text) from crm.auth_erasures where auth_user_id = :'ann'),
  array[row(:'p'::uuid, :v1::uuid, :'ann'::uuid)::text],
  'a deleted auth user is an erasure request in a project that erases on delete (the default), not in one that does not');
select is(tests.ingest(:'p', tests.uid(301), tests.uid(302), jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(303))), now(),
    tests.auth_ctx(tests.uid(303), tests.ann_verdict(:'ann'))) -> 'rejected' -> 0 ->> 'message',
  'the auth user no longer exists', 'a deleted user''s token, still unexpired, brings no one back');
select is(crm.job_auth_erasures(), 1, 'the erasure job takes the request');
select is((select count(*)::int from crm.site_users where project_id = :'p' and id = :v1), 0, 'the person is erased');
select is((select count(*)::int from crm.user_events where project_id = :'p' and user_id = :v1), 0, 'with their events');
select is((select array_agg(anonymous_id order by anonymous_id) from crm.erased_ids where project_id = :'p' and anonymous_id in (:v1, :v2)),
  array[:v1::uuid, :v2::uuid], 'and both devices'' ids refused from now on');
select is((select count(*)::int from crm.auth_erasures), 0, 'the request is done');
select is((select count(*)::int from crm.site_users where project_id = :'q' and id = tests.uid(201)), 1,
  'a project with auth_erase_deleted_users off keeps the person');
select is((select row(external_id, verified)::text from crm.site_users where project_id = :'p' and id = :v3),
  row('other-user-1', true)::text, 'a person of another trusted project is never touched by this database''s users');

select ok(exists (select from cron.job where jobname = 'crm-auth-erasures' and schedule = '* * * * *'
                  and command = 'select crm.job_auth_erasures()'), 'the erasure job runs every minute');

-- Auth's soft delete keeps the row: deleted_at is set and the email overwritten.
select tests.create_user('dan@shop.example') as dan \gset
select tests.ingest(:'p', tests.uid(501), tests.uid(502), jsonb_build_array(tests.ev('pageview', now()),
  tests.ev('identify', now(), '{}', tests.uid(503))), now(),
  tests.auth_ctx(tests.uid(503), jsonb_build_object('sub', :'dan', 'email', 'dan@shop.example', 'trust', 'own')));
update auth.users set deleted_at = now(), email = 'obfuscated-' || id || '@deleted.invalid' where id = :'dan';
select is((select row(email, email_verified)::text from crm.site_users where project_id = :'p' and id = tests.uid(501)),
  row('dan@shop.example', true)::text, 'a soft delete''s overwritten email is not copied');
select is((select count(*)::int from crm.auth_erasures where auth_user_id = :'dan'), 1, 'a soft delete is an erasure request too');
select is(tests.ingest(:'p', tests.uid(504), tests.uid(505), jsonb_build_array(tests.ev('identify', now(), '{}', tests.uid(506))), now(),
    tests.auth_ctx(tests.uid(506), jsonb_build_object('sub', :'dan', 'email', 'dan@shop.example', 'trust', 'own'))) -> 'rejected' -> 0 ->> 'message',
  'the auth user no longer exists', 'and the soft-deleted user''s tokens are refused');
-- The owner turns erasure off before the job runs: the request is dropped, the person kept.
update crm.projects set settings = settings || '{"auth_erase_deleted_users": false}' where id = :'p';
select is(crm.job_auth_erasures(), 0, 'a request whose project no longer erases on delete erases nothing');
select is((select row((select count(*)::int from crm.site_users where project_id = :'p' and id = tests.uid(501)),
                      (select count(*)::int from crm.auth_erasures where auth_user_id = :'dan'))::text),
  row(1, 0)::text, 'the person stays and the request is gone');
update crm.projects set settings = settings - 'auth_erase_deleted_users' where id = :'p';

-- ---------------------------------------------------------------------------
-- A token's email finds no one: only the auth user id does
-- ---------------------------------------------------------------------------
-- Mallory signs up with Carol's address (Auth may hold an address nobody confirmed).
select (public.identify_site_user(:'p', p_email => 'carol@shop.example', p_external_id => 'crm-carol') ->> 'user_id')::uuid as carol \gset
select tests.create_user('Carol@Shop.example') as mallory \gset
select is(tests.ingest(:'p', tests.uid(401), tests.uid(402), jsonb_build_array(tests.ev('pageview', now()),
    tests.ev('identify', now(), '{}', tests.uid(403))), now(),
    tests.auth_ctx(tests.uid(403), jsonb_build_object('sub', :'mallory', 'email', 'carol@shop.example', 'trust', 'own'))) -> 'rejected',
  '[]'::jsonb, 'a token whose email another person holds is accepted');
select is((select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = tests.uid(401)), tests.uid(401),
  'but not merged into that person');
select is((select row(external_id, email, email_verified)::text from crm.site_users where project_id = :'p' and id = :'carol'),
  row('crm-carol', 'carol@shop.example', true)::text, 'who keeps their external id and vouched-for email');
select is((select row(external_id, email_verified, verified)::text from crm.site_users where project_id = :'p' and id = tests.uid(401)),
  row(:'mallory'::text, false, true)::text, 'the token''s user is their own person, without that email vouched for');

-- service_role reads the trust as the function does.
select tests.authenticate_as_role('service_role');
select is(crm.ingest_auth_trust(:'pk') -> 'jwks_url', 'null'::jsonb, 'service_role reads a project''s trust (own: jwks_url null)');
select tests.clear_authentication();

select * from finish();
rollback;
