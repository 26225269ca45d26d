-- list_site_users (everyone, filters, paging, total_count) and get_site_user_detail
-- (profile, last 20 sessions with pages and seconds on page).
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(33);

select tests.an_setup();

select is((select count(*)::integer from public.list_site_users(tests.an_id('project'))), 0, 'empty project: no rows');

do $$
declare
  p uuid := tests.an_id('project');
  u uuid;
begin
  u := tests.an_user(p, now() - interval '3 days', now() - interval '2 days', 'premium', 'alice@example.com', 'Alice', 'alice');
  perform tests.an_session(p, u, now() - interval '2 days', '{/}');
  u := tests.an_user(p, now() - interval '2 days', now(), 'trial', 'bob@example.com', 'Bob 100%', 'bob');
  perform tests.an_session(p, u, now() - interval '1 minute', '{/}', p_online => true);
  perform tests.an_user(p, now() - interval '1 day', now() - interval '1 day', p_key => 'anon');
  perform tests.an_user(p, now() - interval '10 days', now() - interval '10 days', 'user', 'carol@example.com', 'Carol_x', 'carol');
end $$;
-- a user of another project is never listed
insert into crm.projects (name) values ('Other') returning id \gset other_
select tests.an_user(:'other_id', now(), p_email => 'alice@other.example');

create temp table l_all as select * from public.list_site_users(tests.an_id('project'));
select is((select count(*)::integer from l_all), 4, 'everyone is listed, online or not');
select is((select array_agg(id order by ordinality) from public.list_site_users(tests.an_id('project')) with ordinality),
  array[tests.an_id('anon'), tests.an_id('bob'), tests.an_id('alice'), tests.an_id('carol')],
  'newest first (first_seen_at desc)');
select ok((select bool_and(total_count = 4) from l_all), 'each row carries total_count');
select is((select array_agg(id) from l_all where is_online), array[tests.an_id('bob')], 'is_online marks users with an online session');
select is((select row(email, name, segment, verified, sessions_count)::text from l_all where id = tests.an_id('alice')),
  row('alice@example.com', 'Alice', 'premium', true, 0)::text, 'profile columns');

-- paging
select is((select array_agg(id order by ordinality) from public.list_site_users(tests.an_id('project'), p_limit => 2) with ordinality),
  array[tests.an_id('anon'), tests.an_id('bob')], 'p_limit 2: the first two');
select is((select array_agg(total_count) from public.list_site_users(tests.an_id('project'), p_limit => 2)),
  array[4, 4]::bigint[], 'a page carries the total of all matching rows');
select is((select array_agg(id order by ordinality) from public.list_site_users(tests.an_id('project'), p_limit => 2, p_offset => 2) with ordinality),
  array[tests.an_id('alice'), tests.an_id('carol')], 'p_offset 2: the next two');
select is((select count(*)::integer from public.list_site_users(tests.an_id('project'), p_offset => 4)), 0,
  'past the end: no rows');

-- filters
select is((select array_agg(id) from public.list_site_users(tests.an_id('project'), 'trial')),
  array[tests.an_id('bob')], 'p_segment filters by segment');
select is((select array_agg(total_count) from public.list_site_users(tests.an_id('project'), 'trial')),
  array[1]::bigint[], 'total_count follows the segment filter');
select is((select array_agg(id) from public.list_site_users(tests.an_id('project'), p_search => 'ALICE')),
  array[tests.an_id('alice')], 'p_search is a case-insensitive substring of email or name (not other projects)');
select is((select array_agg(id) from public.list_site_users(tests.an_id('project'), p_search => '100%')),
  array[tests.an_id('bob')], 'p_search: % is a literal character');
select is((select array_agg(id) from public.list_site_users(tests.an_id('project'), p_search => '_')),
  array[tests.an_id('carol')], 'p_search: _ is a literal character');
select is((select count(*)::integer from public.list_site_users(tests.an_id('project'), 'user', 'alice')), 0,
  'segment and search combine');
select is((select count(*)::integer from public.list_site_users(tests.an_id('project'), p_search => '  ')), 4,
  'a blank search matches everyone');
update crm.site_users set external_id = 'CRM-0042' where id = tests.an_id('carol');
select is((select array_agg(id) from public.list_site_users(tests.an_id('project'), p_search => 'crm-004')),
  array[tests.an_id('carol')], 'p_search matches the external id too');
select is((select count(*)::integer from public.list_site_users(tests.an_id('project'), p_search => E'example.com\nAlice')), 0,
  'a search never spans two fields (its line break is dropped, leaving no match)');
select is((select array_agg(id order by ordinality) from public.list_site_users(tests.an_id('project'), p_search => 'example', p_limit => 2) with ordinality),
  array[tests.an_id('bob'), tests.an_id('alice')], 'a search pages newest first');
select is((select array_agg(total_count) from public.list_site_users(tests.an_id('project'), p_search => 'example', p_limit => 2)),
  array[3, 3]::bigint[], 'a search page carries the total of all matches');
select ok(exists (select from pg_indexes where schemaname = 'crm' and indexname = 'site_users_search_idx'
                  and indexdef like '%gin%site_user_search_text%gin_trgm_ops%'),
  'the search has a trigram index on the searched text');

-- total_count on the metrics rollup stays exact
select crm.refresh_metrics_rollup(tests.an_id('project'));
select tests.an_user(tests.an_id('project'), now());
select is((select distinct total_count from public.list_site_users(tests.an_id('project'))), 5::bigint,
  'total_count with a fresh rollup: rollup + users first seen since');

select throws_ok($$ select * from public.list_site_users(tests.an_id('project'), p_limit => 0) $$, '22023', null,
  'p_limit 0 is refused');
select throws_ok($$ select * from public.list_site_users(tests.an_id('project'), p_offset => -1) $$, '22023', null,
  'a negative offset is refused');

-- get_site_user_detail --------------------------------------------------------
do $$
declare
  p uuid := tests.an_id('project');
  u uuid := tests.an_id('alice');
begin
  perform tests.an_session(p, u, now() - interval '1 hour', '{/a,/b,/c}', interval '1 minute', interval '30 seconds',
                           p_device => 'mobile', p_browser => 'Safari');
  -- 23 older sessions: only the 20 newest sessions are returned
  perform tests.an_session(p, u, now() - interval '3 days' - make_interval(hours => i), '{/old}')
  from generate_series(1, 23) i;
end $$;

create temp table d as select public.get_site_user_detail(tests.an_id('project'), tests.an_id('alice')) as j;
select is((select j -> 'user' ->> 'email' from d), 'alice@example.com', 'the profile');
select is((select jsonb_array_length(j -> 'sessions') from d), 20, 'the last 20 sessions');
select is((select j -> 'sessions' -> 0 -> 'pages' from d),
  jsonb_build_array(
    jsonb_build_object('path', '/a', 'entered_at', now() - interval '1 hour', 'seconds', 60),
    jsonb_build_object('path', '/b', 'entered_at', now() - interval '59 minutes', 'seconds', 60),
    jsonb_build_object('path', '/c', 'entered_at', now() - interval '58 minutes', 'seconds', 30)),
  'the newest session''s pages in order, seconds until the next page (the last until last activity)');
select is((select row(s ->> 'duration_seconds', s ->> 'device_type', s ->> 'browser', s ->> 'page_views')::text
           from d, jsonb_array_elements(j -> 'sessions') with ordinality as x(s, n) where n = 1),
  row('150', 'mobile', 'Safari', '3')::text, 'duration, device, browser, page views');
select ok((select bool_and((a ->> 'started_at')::timestamptz > (b ->> 'started_at')::timestamptz)
           from d, jsonb_array_elements(j -> 'sessions') with ordinality as x(a, n)
           join jsonb_array_elements(j -> 'sessions') with ordinality as y(b, m) on m = n + 1),
  'sessions newest first');
select throws_ok(format('select public.get_site_user_detail(%L, %L)', tests.an_id('project'), gen_random_uuid()),
  'PT404', null, 'an unknown user: PT404');
select throws_ok(format('select * from public.list_site_users(%L, %L)', tests.an_id('project'), 'Premium'), '22023', null,
  'list_site_users: an unknown segment is refused, not an empty list');
select throws_ok(format('select public.export_site_users_csv(%L, %L)', tests.an_id('project'), 'Premium'), '22023', null,
  'export_site_users_csv: an unknown segment is refused, not an empty file');

select * from finish();
rollback;
