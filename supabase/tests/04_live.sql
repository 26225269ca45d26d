-- Live view: get_online_users — who is online, active/inactive filters, segments,
-- stuck and idle flags, display names, times.
begin;
\ir helpers/auth.psql
\ir helpers/crm.psql
select plan(17);

select tests.create_project('Live') as p \gset

-- A: anonymous, active (heartbeat 10 s ago), on '/' for 20 s, mobile.
select tests.ingest(:'p', tests.uid(1), tests.uid(101), jsonb_build_array(
  tests.ev('pageview', now() - interval '20 seconds', '{"path": "/"}'),
  tests.ev('heartbeat', now() - interval '10 seconds')), now(), '{"device_type": "mobile", "browser": "Safari", "os": "iOS", "country": "BE"}');
-- B: inactive: last activity 3 minutes ago (a hidden tab), still inside the 5-minute online window.
select tests.ingest(:'p', tests.uid(2), tests.uid(102), jsonb_build_array(
  tests.ev('pageview', now() - interval '4 minutes', '{"path": "/docs"}'),
  tests.ev('heartbeat', now() - interval '3 minutes')), now() - interval '3 minutes');
-- C: silent for 7 minutes: outside the online window (the minute job has not run yet).
select tests.ingest(:'p', tests.uid(3), tests.uid(103), jsonb_build_array(
  tests.ev('pageview', now() - interval '7 minutes', '{"path": "/gone"}')), now() - interval '7 minutes');
-- D: premium, active, but on '/checkout' for 6 minutes: stuck.
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(
  tests.ev('pageview', now() - interval '6 minutes', '{"path": "/checkout"}')), now() - interval '6 minutes');
select tests.ingest(:'p', tests.uid(4), tests.uid(104), jsonb_build_array(tests.ev('heartbeat', now() - interval '5 seconds')));
select public.identify_site_user(:'p', p_email => 'dana@example.com', p_segment => 'premium', p_anonymous_id => tests.uid(4));
-- E: left the site.
select tests.ingest(:'p', tests.uid(5), tests.uid(105), jsonb_build_array(
  tests.ev('pageview', now() - interval '30 seconds'), tests.ev('leave', now() - interval '15 seconds')));
-- F: trial user with a name, active.
select tests.ingest(:'p', tests.uid(6), tests.uid(106), jsonb_build_array(
  tests.ev('pageview', now() - interval '40 seconds', '{"path": "/app"}'),
  tests.ev('identify', now() - interval '40 seconds', '{"name": "Frank", "email": "frank@example.com", "segment": "trial"}')));

select set_eq(format('select session_id from public.get_online_users(%L)', :'p'),
  array[tests.uid(101), tests.uid(102), tests.uid(104), tests.uid(106)],
  'all online sessions: within the online window, not ended');
select set_eq(format('select session_id from public.get_online_users(%L, %L)', :'p', 'all'),
  array[tests.uid(101), tests.uid(102), tests.uid(104), tests.uid(106)], '''all'' is the same as no filter');
select set_eq(format('select session_id from public.get_online_users(%L, %L)', :'p', 'active'),
  array[tests.uid(101), tests.uid(104), tests.uid(106)], 'active: activity in the last 60 s');
select set_eq(format('select session_id from public.get_online_users(%L, %L)', :'p', 'inactive'),
  array[tests.uid(102)], 'inactive: online but idle for longer than 60 s');
select set_eq(format('select session_id from public.get_online_users(%L, %L)', :'p', 'premium'),
  array[tests.uid(104)], 'premium: sessions of premium users');
select set_eq(format('select session_id from public.get_online_users(%L, %L)', :'p', 'trial'),
  array[tests.uid(106)], 'trial: sessions of trial users');
select is_empty(format('select session_id from public.get_online_users(%L, %L)', :'p', 'churned'), 'churned: none online');
select throws_ok(format('select * from public.get_online_users(%L, %L)', :'p', 'bots'), '22023', null,
  'an unknown filter is refused');

select is(
  (select row(name, email, current_page, time_on_site_seconds, time_on_page_seconds, device_type, browser, os, country, segment, is_stuck, is_idle)::text
   from public.get_online_users(:'p') where session_id = tests.uid(101)),
  row(null::text, null::text, '/', 20, 20, 'mobile', 'Safari', 'iOS', 'BE', 'visitor', false, false)::text,
  'an anonymous active visitor: no name or email (the dashboard names it), times, device, not stuck, not idle');
select is(
  (select row(is_idle, is_stuck, current_page)::text from public.get_online_users(:'p') where session_id = tests.uid(102)),
  row(true, false, '/docs')::text, 'a hidden tab is idle and not stuck');
select is(
  (select row(name, email, segment, is_stuck, is_idle, time_on_page_seconds)::text from public.get_online_users(:'p') where session_id = tests.uid(104)),
  row(null::text, 'dana@example.com', 'premium', true, false, 360)::text,
  'active on the same page for 6 minutes (> stuck after 5): stuck; the email of a user without a name');
select is((select name from public.get_online_users(:'p') where session_id = tests.uid(106)), 'Frank',
  'the user''s name when there is one');
select is((select user_id from public.get_online_users(:'p') where session_id = tests.uid(104)),
  (select user_id from crm.anonymous_ids where project_id = :'p' and anonymous_id = tests.uid(4)),
  'user_id is the identified user');
select is((select last_activity_at from public.get_online_users(:'p') where session_id = tests.uid(101)), now() - interval '10 seconds',
  'last_activity_at is returned so the dashboard can tick locally');

-- Project settings drive the windows.
update crm.projects set settings = settings || '{"online_window_minutes": 2, "stuck_after_minutes": 10}' where id = :'p';
select set_eq(format('select session_id from public.get_online_users(%L)', :'p'),
  array[tests.uid(101), tests.uid(104), tests.uid(106)], 'a 2-minute online window drops the 3-minute-idle tab');
select is((select is_stuck from public.get_online_users(:'p') where session_id = tests.uid(104)), false,
  'with stuck after 10 minutes, 6 minutes on a page is not stuck');

-- Another project sees nothing of these.
select is_empty(format('select * from public.get_online_users(%L)', tests.create_project('Other')),
  'another project has its own live view');

select * from finish();
rollback;
