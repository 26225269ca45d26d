-- CSV exports: RFC 4180 quoting, formula-injection neutralising, online-only filter.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(22);

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
end $$;

select is(public.export_site_users_csv(tests.an_id('project')),
  'id,external_id,email,name,segment,verified,first_seen_at,last_seen_at,sessions,page_views,events,online,current_page' || E'\r\n'
  || tests.an_id('online') || ',,''=cmd|''/C calc''!A0,"Smith, ""Bob""' || E'\n' || 'Jr",premium,true,2026-01-02T03:04:05Z,2026-01-03T00:00:00Z,0,0,0,true,"/pricing?a=1,b=2"' || E'\r\n',
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
  'id,external_id,email,name,segment,verified,first_seen_at,last_seen_at,sessions,page_views,events,online,current_page' || E'\r\n',
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
