-- Project administration: get_crm_project, update_crm_project_settings,
-- set_crm_funnel_steps, key and secret rotation, members (never without an owner).
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(71);

select tests.an_setup('Admin test');

-- get_crm_project ----------------------------------------------------------------
select tests.authenticate_as(tests.an_id('viewer'));
create temp table g as select public.get_crm_project(tests.an_id('project')) as j;
select tests.clear_authentication();
select is((select j ->> 'name' from g), 'Admin test', 'get_crm_project: name');
select ok((select j ->> 'public_key' = (select public_key from crm.projects where id = tests.an_id('project')) from g),
  'get_crm_project: public key');
select ok((select not (j ? 'identity_secret') and position((select identity_secret from crm.projects where id = tests.an_id('project')) in j::text) = 0 from g),
  'get_crm_project never shows the identity secret');
select is((select j -> 'settings' -> 'churn_after_days' from g), '14'::jsonb, 'settings come with their defaults');
select is((select j ->> 'role' from g), 'viewer', 'the caller''s role');
select is((select jsonb_array_length(j -> 'funnel_steps') from g), 4, 'the funnel steps');
select is((select array_agg(m ->> 'role' order by n) from g, jsonb_array_elements(j -> 'members') with ordinality as x(m, n)),
  array['owner', 'admin', 'viewer'], 'the members with their roles, owners first');
select ok((select j -> 'members' -> 0 ->> 'email' = 'an-owner@example.test' from g), 'members carry their email');

-- update_crm_project_settings ------------------------------------------------------
select tests.authenticate_as(tests.an_id('admin'));
create temp table u1 as select public.update_crm_project_settings(tests.an_id('project'), ' Renamed ',
  array['https://shop.example', 'http://localhost:4321'], '{"online_window_minutes": 3, "churn_after_days": 30}') as j;
select tests.clear_authentication();
select is((select row(name, allowed_origins, settings ->> 'online_window_minutes', settings ->> 'churn_after_days')::text
           from crm.projects where id = tests.an_id('project')),
  row('Renamed', array['https://shop.example', 'http://localhost:4321'], '3', '30')::text,
  'name (trimmed), origins and settings are stored');
select is((select j -> 'settings' ->> 'session_timeout_minutes' from u1), '30', 'unchanged settings keep their value');
select public.update_crm_project_settings(tests.an_id('project'), p_settings => '{"churn_after_days": null}');
select ok((select not (settings ? 'churn_after_days') and settings ->> 'online_window_minutes' = '3'
           from crm.projects where id = tests.an_id('project')), 'a null setting removes the key, others stay');
select public.update_crm_project_settings(tests.an_id('project'));
select is((select name from crm.projects where id = tests.an_id('project')), 'Renamed', 'null arguments change nothing');
select throws_ok(format('select public.update_crm_project_settings(%L, p_settings => %L)', tests.an_id('project'), '{"nope": 1}'),
  '22023', null, 'an unknown setting is refused');
select throws_ok(format('select public.update_crm_project_settings(%L, p_settings => %L)', tests.an_id('project'), '{"retention_days": 2}'),
  '22023', null, 'an out-of-range setting is refused');
select throws_ok(format('select public.update_crm_project_settings(%L, p_settings => %L)', tests.an_id('project'), '{"privacy_mode": "open"}'),
  '22023', null, 'an unknown privacy mode is refused');
select throws_ok(format('select public.update_crm_project_settings(%L, p_settings => %L)', tests.an_id('project'), '{"online_window_minutes": 5.0}'),
  '22023', null, 'an integer setting written as 5.0 is refused (every ::integer read of it would fail later)');
select throws_ok(format('select public.update_crm_project_settings(%L, p_allowed_origins => %L)', tests.an_id('project'), '{javascript:alert(1)}'),
  '22023', null, 'an origin that is not scheme://host[:port] is refused');
select throws_ok(format('select public.update_crm_project_settings(%L, p_allowed_origins => %L)', tests.an_id('project'), '{https://shop.example/}'),
  '22023', null, 'an origin with a trailing slash is refused (browsers never send one)');
select throws_ok(format('select public.update_crm_project_settings(%L, %L)', tests.an_id('project'), ''),
  '22023', null, 'an empty name is refused');

-- set_crm_funnel_steps ----------------------------------------------------------------
select is(public.set_crm_funnel_steps(tests.an_id('project'),
    '[{"name": "Visit", "event_name": "pageview"}, {"name": "Trial", "event_name": "trial_started"}]'),
  '[{"name": "Visit", "event_name": "pageview", "step_order": 1}, {"name": "Trial", "event_name": "trial_started", "step_order": 2}]'::jsonb,
  'set_crm_funnel_steps replaces the funnel and returns it');
select is((select count(*)::integer from crm.funnel_steps where project_id = tests.an_id('project')), 2, 'two steps stored');
select throws_ok(format('select public.set_crm_funnel_steps(%L, %L)', tests.an_id('project'), '[]'), '22023', null,
  'an empty funnel is refused');
select throws_ok(format('select public.set_crm_funnel_steps(%L, %L)', tests.an_id('project'), '[{"name": "x"}]'), '22023', null,
  'a step without event_name is refused');
select throws_ok(format('select public.set_crm_funnel_steps(%L, %L)', tests.an_id('project'),
  (select jsonb_agg(jsonb_build_object('name', 's' || i, 'event_name', 'e' || i)) from generate_series(1, 11) i)), '22023', null,
  'more than 10 steps are refused');

-- rotation ------------------------------------------------------------------------------
create temp table old_keys as select public_key, identity_secret from crm.projects where id = tests.an_id('project');
select tests.authenticate_as(tests.an_id('owner'));
create temp table k as select public.rotate_crm_public_key(tests.an_id('project')) as key,
                              public.rotate_crm_identity_secret(tests.an_id('project')) as secret;
select tests.clear_authentication();
select ok((select key ~ '^pk_[0-9a-f]{32}$' and key <> (select public_key from old_keys) from k), 'a new public key is returned');
select is((select public_key from crm.projects where id = tests.an_id('project')), (select key from k), 'and stored');
select ok((select secret ~ '^[0-9a-f]{64}$' and secret <> (select identity_secret from old_keys) from k),
  'a new identity secret is returned (once)');
select is((select identity_secret from crm.projects where id = tests.an_id('project')), (select secret from k), 'and stored');
select tests.authenticate_as(tests.an_id('admin'));
select throws_ok(format('select public.rotate_crm_public_key(%L)', tests.an_id('project')), '42501', null,
  'an admin may not rotate keys');
select tests.clear_authentication();

-- members and invitations ---------------------------------------------------------------
select tests.create_user('an-new@example.test') as new_user \gset
select tests.authenticate_as(tests.an_id('owner'));
create temp table inv as
select public.invite_crm_member(tests.an_id('project'), ' AN-NEW@example.test ', 'admin') as known,
       public.invite_crm_member(tests.an_id('project'), 'nobody@example.test', 'admin') as unknown;
select is((select known - 'id' - 'email' from inv), (select unknown - 'id' - 'email' from inv),
  'an invitation to a registered email and to an unknown one answer alike (no account lookup)');
select is((select known ->> 'email' from inv), 'an-new@example.test', 'the email is kept trimmed and lower-case');
select tests.clear_authentication();
select is((select count(*)::int from crm.project_members where project_id = tests.an_id('project') and user_id = :'new_user'), 0,
  'an invitation adds nobody: joining takes the invitee''s consent');
select id as nobody_inv from crm.invitations where email = 'nobody@example.test' \gset
select id as new_inv from crm.invitations where email = 'an-new@example.test' \gset
update crm.invitations set expires_at = now() + interval '1 day' where email = 'nobody@example.test';
select tests.authenticate_as(tests.an_id('owner'));
select throws_ok(format('select public.invite_crm_member(%L, %L)', tests.an_id('project'), 'not-an-email'), '22023', null,
  'an invitation needs an email address');
select throws_ok(format('select public.invite_crm_member(%L, %L, %L)', tests.an_id('project'), 'x@example.test', 'god'), '22023', null,
  'an unknown role is refused');
select is(jsonb_array_length(public.list_crm_invitations(tests.an_id('project'))), 2, 'the owner sees the pending invitations');
select ok((public.resend_crm_invitation(tests.an_id('project'), :'nobody_inv') ->> 'expires_at')::timestamptz > now() + interval '6 days',
  'a resend renews an invitation for 7 days');
select is(public.revoke_crm_invitation(tests.an_id('project'), :'nobody_inv'), true, 'the owner revokes an invitation');
select is(jsonb_array_length(public.list_crm_invitations(tests.an_id('project'))), 1, 'and it is no longer pending');
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('viewer'));
select is(public.list_my_crm_invitations(), '[]'::jsonb, 'nobody else sees an invitation');
select throws_ok(format('select public.accept_crm_invitation(%L)', :'new_inv'), 'PT404', null, 'nor may accept it');
select is(public.decline_crm_invitation(:'new_inv'), false, 'nor decline it');
select tests.clear_authentication();

select tests.authenticate_as(:'new_user');
select is(public.list_my_crm_invitations() -> 0 ->> 'project_id', tests.an_id('project')::text, 'the invitee sees the invitation once signed in');
select is(public.accept_crm_invitation(:'new_inv') ->> 'role', 'admin',
  'accepting makes the invitee a member with the invited role');
select is(public.list_my_crm_invitations(), '[]'::jsonb, 'and the invitation is gone');
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('owner'));
select public.invite_crm_member(tests.an_id('project'), 'an-outsider@example.test', 'viewer') ->> 'id' as out_inv \gset
select tests.clear_authentication();
update crm.invitations set expires_at = now() - interval '1 second' where id = :'out_inv';
select tests.authenticate_as(tests.an_id('outsider'));
select throws_ok(format('select public.accept_crm_invitation(%L)', :'out_inv'), 'PT404', null, 'an expired invitation cannot be accepted');
select tests.clear_authentication();
update auth.users set email_confirmed_at = null where id = tests.an_id('outsider');
update crm.invitations set expires_at = now() + interval '1 day' where id = :'out_inv';
select tests.authenticate_as(tests.an_id('outsider'));
select is(public.list_my_crm_invitations(), '[]'::jsonb, 'an unconfirmed email sees no invitation (it proves nothing)');
select is(public.decline_crm_invitation(:'out_inv'), false, 'nor declines one');
select tests.clear_authentication();
update auth.users set email_confirmed_at = now() where id = tests.an_id('outsider');
select tests.authenticate_as(tests.an_id('outsider'));
select is(public.decline_crm_invitation(:'out_inv'), true, 'a confirmed invitee declines');
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('owner'));
select is(public.set_crm_member_role(tests.an_id('project'), :'new_user', 'viewer') ->> 'role', 'viewer',
  'set_crm_member_role changes a member''s role');
select throws_ok(format('select public.set_crm_member_role(%L, %L, %L)', tests.an_id('project'), tests.an_id('outsider'), 'viewer'), 'PT404', null,
  'a non-member has no role to change');
select throws_ok(format('select public.set_crm_member_role(%L, %L, %L)', tests.an_id('project'), :'new_user', 'god'), '22023', null,
  'an unknown role is refused');
select throws_ok(format('select public.set_crm_member_role(%L, %L, %L)', tests.an_id('project'), tests.an_id('owner'), 'admin'), 'PT409', null,
  'the last owner cannot be demoted');
select throws_ok(format('select public.remove_crm_member(%L, %L)', tests.an_id('project'), tests.an_id('owner')), 'PT409', null,
  'the last owner cannot be removed');
select is(public.remove_crm_member(tests.an_id('project'), tests.an_id('admin')), true, 'an owner removes a member');
select is(public.remove_crm_member(tests.an_id('project'), tests.an_id('admin')), false, 'removing a non-member returns false');
select public.set_crm_member_role(tests.an_id('project'), :'new_user', 'owner');
select is(public.remove_crm_member(tests.an_id('project'), tests.an_id('owner')), true, 'with a second owner, an owner can leave');
select tests.clear_authentication();

select tests.authenticate_as(tests.an_id('viewer'));
select throws_ok(format('select public.remove_crm_member(%L, %L)', tests.an_id('project'), tests.an_id('admin')), '42501', null,
  'a viewer may not remove someone else');
select is(public.remove_crm_member(tests.an_id('project'), tests.an_id('viewer')), true, 'a member may remove themselves');
select tests.clear_authentication();
select is((select array_agg(role::text order by role::text) from crm.project_members where project_id = tests.an_id('project')),
  array['owner'], 'left: the new owner');

-- No RPC tells whether an email has an account: besides the invitation answers above,
-- the only functions that read auth.users read the caller's own row (creating a project,
-- the caller's confirmed email), the inviter of the caller's invitations, the emails
-- of a project's existing members (for its members), or whether the user of a verified
-- Supabase Auth token still exists, by id (ingest).
select is(array(select p.oid::regprocedure::text from pg_proc p
                where p.pronamespace in ('public'::regnamespace, 'crm'::regnamespace) and p.prosrc ~* 'auth\.users' order by 1),
  array['create_crm_project(text,text[])', 'crm.caller_confirmed_email()', 'crm.ingest_parse(crm.ingest_batch[])', 'crm.project_json(uuid)',
        'list_my_crm_invitations()'],
  'no RPC looks an email up in auth.users');

-- service_role passes every role check: an unknown project is PT404, not a foreign-key error
select throws_ok(format('select public.invite_crm_member(%L, %L)', gen_random_uuid(), 'nobody@example.com'), 'PT404', null,
  'invite_crm_member: an unknown project is PT404');
select throws_ok(format('select * from public.calculate_daily_stats(%L, %L)', gen_random_uuid(), current_date), 'PT404', null,
  'calculate_daily_stats: an unknown project is PT404');
select throws_ok($$ select crm.require_project_role(gen_random_uuid(), 'admim') $$, '22P02', null,
  'a misspelt role in a role check is an error, never a pass');
select throws_ok(format('select public.get_crm_project(%L)', gen_random_uuid()), 'PT404', null,
  'get_crm_project: an unknown project is PT404, not a null project');
select throws_ok(format('select * from public.calculate_daily_stats(%L, %L)', tests.an_id('project'), '-infinity'), '22023', null,
  'calculate_daily_stats: an infinite day is refused');
select throws_ok(format('select * from public.calculate_daily_stats(%L, %L)', tests.an_id('project'), '1900-01-01'), '22023', null,
  'calculate_daily_stats: a day more than ten years back is refused');
-- origins are stored as browsers send them: lower-case, no default port, once each
select is(public.update_crm_project_settings(tests.an_id('project'),
            p_allowed_origins => array['HTTPS://Shop.Example:443', 'http://x.example:80', 'https://shop.example', 'http://[::1]:3000', 'https://y.example:8443']) -> 'allowed_origins',
  '["https://shop.example", "http://x.example", "http://[::1]:3000", "https://y.example:8443"]'::jsonb,
  'allowed origins are lower-cased, lose the default port and repeats; IPv6 hosts are accepted');

-- Deleting a project: owners only, with its name typed as confirmation; everything goes.
select tests.clear_authentication();
select tests.an_setup('Doomed Shop');
select tests.an_user(tests.an_id('project'), now());
select tests.authenticate_as(tests.an_id('admin'));
select throws_ok(format('select public.delete_crm_project(%L, %L)', tests.an_id('project'), 'Doomed Shop'), '42501', null,
  'an admin may not delete the project');
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('owner'));
select throws_ok(format('select public.delete_crm_project(%L, %L)', tests.an_id('project'), 'doomed shop'), '22023', null,
  'a confirmation that is not the project''s exact name deletes nothing');
select is(public.delete_crm_project(tests.an_id('project'), 'Doomed Shop'), true,
  'the owner deletes the project with its name');
select tests.clear_authentication();
select is((select count(*)::int from crm.projects where id = tests.an_id('project'))
        + (select count(*)::int from crm.site_users where project_id = tests.an_id('project'))
        + (select count(*)::int from crm.project_members where project_id = tests.an_id('project')), 0,
  'the project, its site users and its members are gone');

select * from finish();
rollback;
