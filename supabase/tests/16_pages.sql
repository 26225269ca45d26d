-- Pages: the path rule, the page_days rollup (views, entries, exits, time on page; merges;
-- retention), get_top_pages with the report filters, its preset rollup. The expected rows
-- are worked out by hand from the fixture below.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(37);

-- The path rule -------------------------------------------------------------------
select is(crm.normalize_path('/pricing?utm_source=x#plans'), '/pricing', 'no query string, no hash');
select is(crm.normalize_path('/docs/'), '/docs', 'a trailing slash goes');
select is(crm.normalize_path('/'), '/', 'the root keeps its slash');
select is(crm.normalize_path('/?ref=x'), '/', 'the root with a query string is the root');
select is(crm.normalize_path('/Blog/Post/#top'), '/Blog/Post', 'case is kept');
select is(crm.normalize_path('/a#b?c'), '/a', 'a hash before a question mark: both go');
select is(crm.normalize_path(null), null, 'no path, no page');

-- Fixture: current range = the last 7 days (today − 6 … today), previous = the 7 before.
-- an_session: a view every gap, last activity (= end) tail after the last view, so a view's
-- time is the gap, the last one's the tail.
--   sA1  A  1 day ago 10:00  /, /pricing?utm_source=x#plans, /docs/  gap 120 s, tail 30 s  NL
--   sA2  A  1 day ago 14:00  /pricing, /                             gap 60 s, tail 10 s   NL
--   sB   B  2 days ago 09:00 /pricing/, /signup                      gap 180 s, tail 0 s   BE
--   sC   C  3 days ago       /Docs                                   tail 45 s             NL
--   sA0  A  8 days ago       /pricing                                tail 20 s             NL (previous range)
--   sD   D  9 days ago       /, /pricing                             gap 60 s, tail 30 s   DE (previous range)
-- Last 7 days, by page (views; visitors; entries; exits; seconds → average):
--   /pricing  sA1 120 + sA2 60 + sB 180: 3 views; A, B: 2; entries sA2, sB: 2; exits 0; 360/3 = 120.0
--             previous: sA0, sD: 2 views, 2 visitors (A, D) → change 0.0
--   /         sA1 120 + sA2 10: 2 views; A: 1; entry sA1: 1; exit sA2: 1; 130/2 = 65.0
--             previous: sD: 1 view, 1 visitor → change 0.0
--   /Docs     sC 45: 1; 1; 1; 1; 45.0 (case kept: not /docs)      previous none → change null
--   /docs     sA1 30: 1; 1; 0; 1; 30.0                            previous none
--   /signup   sB 0: 1; 1; 0; 1; 0.0                               previous none
-- Order: visitors, then views, then page in byte order (/Docs < /docs < /signup).
select tests.an_setup('Pages');
create temp table fx (key text primary key, usr text, day integer, hour integer, pages text[], gap integer, tail integer, country text);
insert into fx values
  ('sA1', 'A', 1, 10, '{/,/pricing?utm_source=x#plans,/docs/}', 120, 30, 'NL'),
  ('sA2', 'A', 1, 14, '{/pricing,/}', 60, 10, 'NL'),
  ('sB', 'B', 2, 9, '{/pricing/,/signup}', 180, 0, 'BE'),
  ('sC', 'C', 3, 9, '{/Docs}', 60, 45, 'NL'),
  ('sA0', 'A', 8, 9, '{/pricing}', 60, 20, 'NL'),
  ('sD', 'D', 9, 9, '{/,/pricing}', 60, 30, 'DE');
do $$
declare
  p uuid := tests.an_id('project');
  r record;
  v_session uuid;
begin
  for r in select * from fx order by key loop
    if tests.an_id(r.usr) is null then
      perform tests.an_user(p, tests.an_today() - interval '20 days', p_key => r.usr);
    end if;
    v_session := tests.an_session(p, tests.an_id(r.usr), tests.an_today() - make_interval(days => r.day, hours => -r.hour),
                                  r.pages, make_interval(secs => r.gap), make_interval(secs => r.tail));
    update crm.site_sessions set country = r.country where id = v_session;
    insert into tests.an_ids values (r.key, v_session);
  end loop;
  update crm.site_users set segment = 'premium' where project_id = p and id = tests.an_id('A');
end $$;

select is(crm.refresh_user_days(tests.an_id('project'), crm.utc_today() - 13, crm.utc_today()), 5,
  'refresh_user_days: one user_days row per user per active day (A on two days, B, C, D)');
select results_eq(
  $$select path, views, entries, exits, seconds from crm.page_days where user_id = tests.an_id('A') and day = crm.utc_today() - 1 order by path$$,
  $$values ('/', 2, 1, 1, 130), ('/docs', 1, 0, 1, 30), ('/pricing', 2, 1, 0, 180)$$,
  'and the page_days rows with it: A''s two sessions yesterday, by normalised path');

-- get_top_pages, as a viewer (tests.ago(n) is n days before today, UTC)
create function tests.ago(n integer) returns date language sql stable as $$ select (now() at time zone 'UTC')::date - n $$;
grant execute on function tests.ago(integer) to authenticated;
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select * from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0))$$,
  $$values ('/pricing', 3, 2, 2, 0, 120.0, 2, 2, 0.0, 1::numeric), ('/', 2, 1, 1, 1, 65.0, 1, 1, 0.0, 1),
           ('/Docs', 1, 1, 1, 1, 45.0, 0, 0, null, 1), ('/docs', 1, 1, 0, 1, 30.0, 0, 0, null, 1),
           ('/signup', 1, 1, 0, 1, 0.0, 0, 0, null, 1)$$,
  'the last 7 days: views, visitors, entries, exits, average seconds, the previous range, in order; exact (sample rate 1)');
select results_eq(
  $$select page, views, visitors, entries, exits, avg_seconds, prev_views, prev_visitors
      from public.get_top_pages(tests.an_id('project'), tests.ago(13), tests.ago(7))$$,
  $$values ('/pricing', 2, 2, 1, 2, 25.0, 0, 0), ('/', 1, 1, 1, 0, 60.0, 0, 0)$$,
  'the 7 days before: /pricing (sA0 enters and leaves, 20 s; sD leaves, 30 s), / (sD enters, 60 s)');
select is((select count(*)::integer from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0), p_limit => 2)),
  2, 'p_limit caps the rows');

-- Filters: country NL is A's and C's days; segment premium is A's.
select results_eq(
  $$select page, views, visitors, entries, exits, avg_seconds, prev_views, prev_visitors
      from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"country": "NL"}')$$,
  $$values ('/', 2, 1, 1, 1, 65.0, 0, 0), ('/pricing', 2, 1, 1, 0, 90.0, 1, 1),
           ('/Docs', 1, 1, 1, 1, 45.0, 0, 0), ('/docs', 1, 1, 0, 1, 30.0, 0, 0)$$,
  'filter by country: B''s session (BE) and D''s (DE) drop out');
select is(
  (select array_agg(page order by page collate "C") from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"segment": "premium"}')),
  array['/', '/docs', '/pricing'], 'filter by segment: A''s pages only');
select results_eq(
  $$select page, views, visitors from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"page": "/pricing/?a=1"}')$$,
  $$values ('/pricing', 3, 2)$$, 'filter by page: the page itself, normalised like the paths');
select results_eq(
  $$select page, views, visitors from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0),
      '{"page": "/pricing", "country": "BE"}')$$,
  $$values ('/pricing', 1, 1)$$, 'filters combine (and)');
select is((select count(*)::integer from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"browser": "Lynx"}')),
  0, 'a filter nobody matches: no rows');

-- The contract's errors
select throws_ok($$select * from public.get_top_pages(tests.an_id('project'), tests.ago(0), tests.ago(0), '{"path": "/"}')$$,
  '22023', 'unknown filter "path"; filters are segment, channel, source, campaign, country, device, browser, page', 'an unknown filter key');
select throws_ok($$select * from public.get_top_pages(tests.an_id('project'), tests.ago(0), tests.ago(1))$$,
  '22023', null, 'p_from after p_to');
select throws_ok($$select * from public.get_top_pages(tests.an_id('project'), tests.ago(400), tests.ago(0))$$,
  '22023', 'a range covers at most 366 days (got 401)', 'a range over 366 days');
select throws_ok($$select * from public.get_top_pages(tests.an_id('project'), tests.ago(0), tests.ago(0), p_limit => 0)$$,
  '22023', 'p_limit must be between 1 and 1000', 'p_limit 0');
select throws_ok($$select * from public.get_top_pages(tests.an_id('project'), tests.ago(0), tests.ago(0), p_limit => 1001)$$,
  '22023', 'p_limit must be between 1 and 1000', 'p_limit 1001');
select tests.clear_authentication();

-- Preset ranges come from crm.page_rollup once it is fresh -----------------------------
create temp table live_7d as select * from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today());
select ok(crm.refresh_acquisition_rollup(tests.an_id('project')) > 0, 'refresh_acquisition_rollup computes the preset pages too');
select is((select count(*)::integer from crm.page_rollup where project_id = tests.an_id('project') and range_days = 7), 5,
  'five pages in the 7-day preset');
select results_eq($$select * from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today())$$,
  $$select * from live_7d$$, 'the 7-day preset read from the rollup equals the live computation');
update crm.page_rollup set visitors = 999 where project_id = tests.an_id('project') and range_days = 7 and page = '/signup';
select is((select page from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), p_limit => 1)),
  '/signup', 'a fresh rollup is what a preset reads');
select is((select page from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{"country": "BE"}', 1)),
  '/pricing', 'a filtered read is live');
update crm.page_rollup set computed_at = now() - interval '16 minutes' where project_id = tests.an_id('project');
update crm.acquisition_rollup set computed_at = now() - interval '16 minutes' where project_id = tests.an_id('project');
select is((select page from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), p_limit => 1)),
  '/pricing', 'a rollup older than 15 minutes is not read');

-- Upkeep -------------------------------------------------------------------------------
-- A merge moves B's session to A: /pricing keeps its 3 views but has one visitor (A); B has no pages.
update crm.site_sessions set user_id = tests.an_id('A') where id = tests.an_id('sB');
select is((select count(*)::integer from crm.page_days where user_id = tests.an_id('B')), 0, 'a merge drops the giving user''s pages');
select results_eq(
  $$select path, views, entries, exits, seconds from crm.page_days where user_id = tests.an_id('A') and day = crm.utc_today() - 2 order by path$$,
  $$values ('/pricing', 1, 1, 0, 180), ('/signup', 1, 0, 1, 0)$$, 'and gives the receiving user the session''s pages');
select results_eq(
  $$select page, views, visitors, entries, exits from public.get_top_pages(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(),
      '{"page": "/pricing"}')$$,
  $$values ('/pricing', 3, 1, 2, 0)$$, 'so the page counts stay right: 3 views, now 1 visitor');

select ok(exists (select from cron.job where jobname = 'crm-user-days' and command = 'select crm.job_user_days()'),
  'crm-user-days is the job that keeps the pages');
delete from crm.page_days where project_id = tests.an_id('project') and day >= crm.utc_today() - 1;
select crm.job_user_days();
select is((select sum(views)::integer from crm.page_days where project_id = tests.an_id('project') and day = crm.utc_today() - 1), 5,
  'the job rebuilds yesterday''s pages (A: 3 + 2 views)');
select is((select array_agg(distinct range_days order by range_days) from crm.page_rollup
            where project_id = tests.an_id('project') and computed_at >= now() - interval '1 minute'),
  -- (in the first 16 minutes of a UTC day they were computed yesterday, which makes every one due)
  case when now() - interval '16 minutes' < crm.utc_day_start(crm.utc_today()) then array[1, 7, 30, 90] else array[1, 7] end,
  'and rewrites the preset pages that are due: today and 7 days (every 5 minutes), not 30 or 90 days, 16 minutes old');
update crm.projects set settings = settings || '{"retention_days": 5}' where id = tests.an_id('project');
select crm.job_user_days();
select is((select count(*)::integer from crm.page_days where project_id = tests.an_id('project') and day < crm.utc_today() - 5), 0,
  'pages of days beyond the project''s retention are dropped');
select is((select count(*)::integer from crm.page_days where project_id = tests.an_id('project')), 6,
  'the rest stay (A yesterday: /, /docs, /pricing; A two days ago: /pricing, /signup; C: /Docs)');
delete from crm.site_users where project_id = tests.an_id('project') and id = tests.an_id('C');
select is((select count(*)::integer from crm.page_days where user_id = tests.an_id('C')), 0, 'a deleted user takes their pages along');

select * from finish();
rollback;
