-- Site users and exports: list_site_users (search, segment, paging), get_site_user_detail,
-- and the CSV exports (RFC 4180 quoting, formula-injection neutralising, online-only filter).
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(33 + 22);

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

select tests.an_setup();

-- The cell rule ----------------------------------------------------------------
select is(crm.csv_cell('plain'), 'plain', 'a plain cell is written as is');
select is(crm.csv_cell(null), '', 'null is an empty cell');
select is(crm.csv_cell('a,b'), '"a,b"', 'a comma is quoted');
select is(crm.csv_cell('say "hi"'), '"say ""hi"""', 'a double quote is doubled inside quotes');
select is(crm.csv_cell(E'line1\nline2'), E'"line1\nline2"', 'a line break is quoted');
select is(crm.csv_cell('=1+2'), '''=1+2', '= is neutralised with a leading quote');
select is(crm.csv_cell('+1 555'), '''+1 555', '+ followed by text is neutralised');
select is(crm.csv_cell('-cmd'), '''-cmd', '- followed by text is neutralised');
select is(crm.csv_cell('@SUM(A1)'), '''@SUM(A1)', '@ is neutralised');
select is(crm.csv_cell(E'\t=1'), E'''\t=1', 'a leading tab is neutralised');
select is(crm.csv_cell(E'\r=1'), E'"''\r=1"', 'a leading carriage return is neutralised and quoted');
select is(crm.csv_cell('=HYPERLINK("http://x","y")'), '"''=HYPERLINK(""http://x"",""y"")"',
  'neutralised and quoted together');
select is(crm.csv_cell('-12.5'), '-12.5', 'a negative number stays a number');

-- export_site_users_csv ------------------------------------------------------------
do $$
declare
  p uuid := tests.an_id('project');
  u uuid;
begin
  u := tests.an_user(p, '2026-01-02 03:04:05+00', '2026-01-03 00:00:00+00', 'premium', '=cmd|''/C calc''!A0', E'Smith, "Bob"\nJr', 'online');
  perform tests.an_session(p, u, now() - interval '1 minute', array['/pricing?a=1,b=2'], p_online => true);
  perform tests.an_user(p, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', 'user', '@evil', '+31 6 1234', 'offline');
  -- the origin columns: a direct visit (a minute ago: yesterday, in a UTC day's first minute)
  perform crm.refresh_user_days(p, crm.utc_today() - 1, crm.utc_today());
end $$;

select is(public.export_site_users_csv(tests.an_id('project')),
  'id,external_id,email,name,segment,verified,first_seen_at,last_seen_at,sessions,page_views,events,online,current_page,first_channel,first_source,first_campaign,first_country,last_channel,last_source,last_campaign,last_country' || E'\r\n'
  || tests.an_id('online') || ',,''=cmd|''/C calc''!A0,"Smith, ""Bob""' || E'\n' || 'Jr",premium,true,2026-01-02T03:04:05Z,2026-01-03T00:00:00Z,0,0,0,true,"/pricing?a=1,b=2",direct,,,,direct,,,' || E'\r\n',
  'online users by default: header, CRLF line ends, quoting and neutralising');
select is((select count(*)::integer from regexp_split_to_table(
            public.export_site_users_csv(tests.an_id('project'), p_online_only => false), E'\r\n') l where l <> ''), 3,
  'p_online_only false: everyone (header + 2)');
select ok(public.export_site_users_csv(tests.an_id('project'), p_online_only => false) like
  '%,''@evil,''+31 6 1234,user,true,2026-01-01T00:00:00Z,%',
  'the offline user''s @ email and + name are neutralised');
select is((select count(*)::integer from regexp_split_to_table(
            public.export_site_users_csv(tests.an_id('project'), 'user', false), E'\r\n') l where l <> ''), 2,
  'p_segment filters the export');
select is(public.export_site_users_csv(tests.an_id('project'), 'trial'),
  'id,external_id,email,name,segment,verified,first_seen_at,last_seen_at,sessions,page_views,events,online,current_page,first_channel,first_source,first_campaign,first_country,last_channel,last_source,last_campaign,last_country' || E'\r\n',
  'nothing matches: the header only');

-- export_crm_metrics_csv -------------------------------------------------------------
select tests.an_setup('Empty');
select is(public.export_crm_metrics_csv(tests.an_id('project')),
  E'metric,value,last_week,change,change_pct\r\ntotal_users,0,0,0,\r\nonline_now,0,0,0,\r\nnew_this_week,0,0,0,\r\nchurn_rate,0,,,\r\n',
  'metrics CSV of an empty project');
select tests.an_user(tests.an_id('project'), now() - interval '8 days');
select tests.an_user(tests.an_id('project'), now() - interval '1 day');
select ok(public.export_crm_metrics_csv(tests.an_id('project')) like E'%\r\ntotal_users,2,1,1,100.0\r\n%',
  'metrics CSV rows follow get_crm_metrics');

-- Only admins export
select tests.authenticate_as(tests.an_id('viewer'));
select throws_ok(format('select public.export_site_users_csv(%L)', tests.an_id('project')), '42501', null,
  'a viewer may not export users');
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('admin'));
select lives_ok(format('select public.export_crm_metrics_csv(%L)', tests.an_id('project')), 'an admin exports metrics');
select tests.clear_authentication();

select * from finish();
rollback;
