-- Acquisition: the channel rules, the user_days rollup (dimensions of each user's first
-- session of a day, sessions, signups, payments; own-site referrers; merges; retention),
-- the filter contract and the reports by source, country and technology. The expected
-- rows are worked out by hand from the fixture below.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(73);

-- The channel rules ---------------------------------------------------------------
select is(crm.referrer_host('https://www.Google.com/search?q=1'), 'google.com', 'referrer host: lower case, no www, no path');
select is(crm.referrer_host('https://user:pw@x.org:8080/p'), 'x.org', 'referrer host: no credentials, no port');
select is(crm.referrer_host('android-app://com.google.android.gm/'), 'com.google.android.gm', 'referrer host of an app referrer');
select is(crm.referrer_host(''), null, 'empty referrer: no host');
select is(crm.referrer_host('not a url'), null, 'not a URL: no host');

select is(crm.channel_of(null, null), 'direct', 'no referrer, no UTM: direct');
select is(crm.channel_of('google.nl', null), 'organic_search', 'a search engine: organic search');
select is(crm.channel_of('google.co.uk', '{"medium": "cpc", "source": "google"}'), 'paid_search', 'utm_medium cpc: paid search');
select is(crm.channel_of(null, '{"medium": "PPC"}'), 'paid_search', 'utm_medium is matched case-insensitively');
select is(crm.channel_of('chatgpt.com', null), 'ai_assistant', 'chatgpt.com: AI assistant');
select is(crm.channel_of(null, '{"source": "chatgpt.com"}'), 'ai_assistant', 'utm_source=chatgpt.com (ChatGPT tags its links): AI assistant');
select is(crm.channel_of('gemini.google.com', null), 'ai_assistant', 'Gemini is an assistant, not Google search');
select is(crm.channel_of('l.instagram.com', null), 'social', 'a social network: social');
select is(crm.channel_of(null, '{"medium": "social", "source": "x"}'), 'social', 'utm_medium social: social');
select is(crm.channel_of('mail.google.com', null), 'email', 'a webmail host: email');
select is(crm.channel_of(null, '{"medium": "Email", "source": "newsletter"}'), 'email', 'utm_medium email: email');
select is(crm.channel_of('blog.example.org', null), 'referral', 'any other site: referral');
select is(crm.channel_of(null, '{"medium": "referral"}'), 'referral', 'utm_medium referral without a referrer: referral');
select is(crm.channel_of(null, '{"campaign": "x"}'), 'other', 'UTM tags that name no channel: other');

-- Fixture: current range = the last 7 days (today − 6 … today), previous = the 7 before.
select tests.an_setup('Acquisition');
update crm.projects set allowed_origins = '{https://shop.test}' where id = tests.an_id('project');
create temp table fx (key text primary key, day integer, hour integer, pages text[], device text, referrer text, utm jsonb, country text);
insert into fx values
  ('u1a', 1, 10, '{/,/pricing}', 'desktop', 'https://www.google.com/search?q=x', null, 'NL'),
  ('u1b', 1, 12, '{/}', 'desktop', 'https://t.co/abc', null, 'NL'),           -- a later visit: not the day's dimensions
  ('u2', 2, 9, '{/pricing,/signup}', 'mobile', null, '{"source": "Google", "medium": "cpc", "campaign": "winter"}', 'BE'),
  ('u3', 3, 15, '{/}', 'mobile', 'https://chatgpt.com/', null, 'NL'),
  ('u3old', 9, 15, '{/}', 'mobile', null, null, 'NL'),                      -- previous range: direct
  ('u4', 8, 11, '{/blog}', 'tablet', 'https://news.example.org/post', null, 'DE'),
  ('u5', 1, 18, '{/}', 'desktop', 'https://shop.test/pricing', null, null),    -- own site: direct
  ('u6', 4, 7, '{/}', 'desktop', null, '{"source": "newsletter", "medium": "Email", "campaign": "dec"}', null);
do $$
declare
  p uuid := tests.an_id('project');
  r record;
  v_user uuid;
  v_session uuid;
begin
  for r in select * from fx order by key loop
    v_user := coalesce(tests.an_id(left(r.key, 2)),
                       tests.an_user(p, tests.an_today() - interval '20 days', p_key => left(r.key, 2)));
    v_session := tests.an_session(p, v_user, tests.an_today() - make_interval(days => r.day, hours => -r.hour), r.pages,
                                  p_device => r.device);
    update crm.site_sessions set referrer = r.referrer, utm = r.utm, country = r.country where id = v_session;
    insert into tests.an_ids values ('s_' || r.key, v_session);
  end loop;
  -- u1 signs up yesterday; u2 signs up and pays on its day.
  perform tests.an_event(p, tests.an_id('u1'), tests.an_id('s_u1a'), tests.an_today() - interval '1 day' + interval '11 hours', 'signup');
  perform tests.an_event(p, tests.an_id('u2'), tests.an_id('s_u2'), tests.an_today() - interval '2 days' + interval '10 hours', 'signup');
  perform tests.an_event(p, tests.an_id('u2'), tests.an_id('s_u2'), tests.an_today() - interval '2 days' + interval '11 hours', 'payment_success');
  update crm.site_users set segment = 'premium' where project_id = p and id = tests.an_id('u6');
end $$;

select is(crm.refresh_user_days(tests.an_id('project'), crm.utc_today() - 13, crm.utc_today()), 7,
  'one row per user per active day: u1, u2, u3 (twice), u4, u5, u6');
select is((select count(*)::integer from crm.user_days where project_id = tests.an_id('project')
             and sample is distinct from crm.sample_bucket(user_id)), 0, 'every row carries its user''s sample bucket');
select is((select row(channel, referrer_host, source, sessions, page_views, signed_up, paid, entry_page)::text from crm.user_days
           where user_id = tests.an_id('u1')),
  row('organic_search', 'google.com', 'google.com', 2, 3, true, false, '/')::text,
  'u1: the first visit of the day gives the dimensions; both visits count; the signup is seen');
select is((select row(channel, source, utm_source, utm_medium, utm_campaign, signed_up, paid)::text from crm.user_days
           where user_id = tests.an_id('u2')),
  row('paid_search', 'google', 'google', 'cpc', 'winter', true, true)::text, 'u2: UTM tags, source lower-cased, signup and payment');
select is((select row(channel, referrer_host, source)::text from crm.user_days where user_id = tests.an_id('u5')),
  row('direct', null, null)::text, 'a referrer on the site''s own origin is no source: direct');

-- Reports, as a viewer (who may not call crm.utc_today: tests.ago(n) is n days before today, UTC)
create function tests.ago(n integer) returns date language sql stable as $$ select (now() at time zone 'UTC')::date - n $$;
grant execute on function tests.ago(integer) to authenticated;
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select value, visitors, sessions, signups, paying, prev_visitors, prev_sessions
      from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0)) order by value$$,
  $$values ('ai_assistant', 1, 1, 0, 0, 0, 0), ('direct', 1, 1, 0, 0, 1, 1), ('email', 1, 1, 0, 0, 0, 0),
           ('organic_search', 1, 2, 1, 0, 0, 0), ('paid_search', 1, 1, 1, 1, 0, 0), ('referral', 0, 0, 0, 0, 1, 1)$$,
  'channels of the last 7 days, with the 7 days before beside them');
select is(
  (select array_agg(value order by ordinality) from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0)) with ordinality),
  array['direct', 'ai_assistant', 'email', 'organic_search', 'paid_search', 'referral'],
  'most visitors first, then most previous visitors, then by name');
select results_eq(
  $$select value, visitors from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0),
      p_dimension => 'source') where visitors > 0 order by value nulls last$$,
  $$values ('chatgpt.com', 1), ('google', 1), ('google.com', 1), ('newsletter', 1), (null::text, 1)$$,
  'by source: utm_source, else the referrer domain');
select results_eq(
  $$select value, visitors, signups, paying from public.get_traffic_sources(tests.an_id('project'), tests.ago(6),
      tests.ago(0), p_dimension => 'utm_campaign') where value is not null order by value$$,
  $$values ('dec', 1, 0, 0), ('winter', 1, 1, 1)$$, 'by UTM campaign, with signups and paying users');
select results_eq(
  $$select value, visitors from public.get_traffic_sources(tests.an_id('project'), tests.ago(13), tests.ago(0),
      p_dimension => 'referrer') where value is not null order by value$$,
  $$values ('chatgpt.com', 1), ('google.com', 1), ('news.example.org', 1)$$, 'by referrer domain over 14 days');

-- Filters
select results_eq(
  $$select value from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"country": "NL"}')
     where visitors > 0 order by value$$,
  $$values ('ai_assistant'), ('organic_search')$$, 'filter by country');
select results_eq(
  $$select value from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"segment": "premium"}')$$,
  $$values ('email')$$, 'filter by segment (the user''s current segment)');
select tests.clear_authentication();
update crm.site_users set segment = 'trial' where project_id = tests.an_id('project') and id = tests.an_id('u2');
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select value from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"segment": "trial"}')$$,
  $$values ('paid_search')$$, 'a new segment goes onto the user''s days at once');
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"segment": "vip"}')$$,
  '22023', null, 'an unknown segment is refused');
select results_eq(
  $$select value from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0), '{"page": "/pricing"}')$$,
  $$values ('paid_search')$$, 'filter by page: the entry page of the day''s first visit');
select results_eq(
  $$select value, visitors from public.get_tech_breakdown(tests.an_id('project'), tests.ago(6), tests.ago(0),
      '{"channel": "paid_search", "device": "mobile", "campaign": "winter", "source": "google"}')$$,
  $$values ('mobile', 1)$$, 'filters combine (and)');
select is((select count(*)::integer from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0),
           '{"browser": "Lynx"}')), 0, 'a filter nobody matches: no rows');

select results_eq(
  $$select country, visitors, sessions, conversions, prev_visitors
      from public.get_geo_breakdown(tests.an_id('project'), tests.ago(6), tests.ago(0)) order by country nulls last$$,
  $$values ('BE', 1, 1, 1, 0), ('DE', 0, 0, 0, 1), ('NL', 2, 3, 0, 1), (null::text, 2, 2, 0, 0)$$,
  'countries: visitors, sessions, paying users, previous visitors; unknown country as null');
select results_eq(
  $$select value, visitors, sessions, prev_visitors
      from public.get_tech_breakdown(tests.an_id('project'), tests.ago(6), tests.ago(0)) order by value$$,
  $$values ('desktop', 3, 4, 0), ('mobile', 2, 2, 1), ('tablet', 0, 0, 1)$$, 'device types');
select results_eq(
  $$select value, visitors from public.get_tech_breakdown(tests.an_id('project'), tests.ago(6), tests.ago(0),
      p_dimension => 'browser')$$,
  $$values ('Firefox', 5)$$, 'browsers');
select is((select count(*)::integer from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0),
           p_limit => 2)), 2, 'p_limit caps the rows');
select results_eq(
  $$select value, visitors_change_pct from public.get_tech_breakdown(tests.an_id('project'), tests.ago(6), tests.ago(0)) order by value$$,
  $$values ('desktop', null::numeric), ('mobile', 100.0), ('tablet', -100.0)$$,
  'the change against the previous range in %, null when it had none');

-- The contract's errors
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(0), tests.ago(0), '{"colour": "red"}')$$,
  '22023', 'unknown filter "colour"; filters are segment, channel, source, campaign, country, device, browser, page', 'an unknown filter key');
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(0), tests.ago(0), '{"country": ["NL"]}')$$,
  '22023', 'filter "country" must be a string', 'a filter value that is not a string');
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(0), tests.ago(0), '{"channel": "tv"}')$$,
  '22023', 'unknown channel "tv"; channels are direct, organic_search, paid_search, social, email, ai_assistant, referral, other',
  'an unknown channel');
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(0), tests.ago(0), '[]')$$,
  '22023', 'p_filter must be a JSON object', 'a filter that is not an object');
select throws_ok($$select * from public.get_geo_breakdown(tests.an_id('project'), tests.ago(0), tests.ago(1))$$,
  '22023', null, 'p_from after p_to');
select throws_ok($$select * from public.get_geo_breakdown(tests.an_id('project'), tests.ago(400), tests.ago(0))$$,
  '22023', 'a range covers at most 366 days (got 401)', 'a range over 366 days');
select throws_ok($$select * from public.get_tech_breakdown(tests.an_id('project'), null, tests.ago(0))$$,
  '22023', 'p_from and p_to are required', 'a missing date');
select throws_ok($$select * from public.get_tech_breakdown(tests.an_id('project'), tests.ago(0), tests.ago(0), '{}', 'country')$$,
  '22023', 'p_dimension must be one of device, browser, os (got country)', 'a dimension the report does not have');
select throws_ok($$select * from public.get_traffic_sources(tests.an_id('project'), tests.ago(0), tests.ago(0), p_limit => 0)$$,
  '22023', 'p_limit must be between 1 and 1000', 'p_limit 0');
-- Each person's origin
select is((select public.get_site_user_detail(tests.an_id('project'), tests.an_id('u3')) -> 'user' -> 'origin'
                  -> 'first_touch' ->> 'channel'), 'direct', 'origin: u3''s first touch, 9 days ago, was direct');
select is((select public.get_site_user_detail(tests.an_id('project'), tests.an_id('u3')) -> 'user' -> 'origin' -> 'last_touch'),
  jsonb_build_object('day', tests.ago(3), 'channel', 'ai_assistant', 'referrer', 'chatgpt.com', 'source', 'chatgpt.com',
                     'utm_source', null, 'utm_medium', null, 'utm_campaign', null, 'country', 'NL', 'landing_page', '/'),
  'origin: u3''s last touch, 3 days ago, in full (with the landing page)');
select results_eq(
  $$select id, first_channel, first_source, first_campaign, first_country, last_channel
      from public.list_site_users(tests.an_id('project'), p_origin => '{"first_channel": "paid_search"}')$$,
  $$values (tests.an_id('u2'), 'paid_search', 'google', 'winter', 'BE', 'paid_search')$$,
  'list_site_users filters by first touch and shows the origin columns');
select is((select array_agg(id order by id) from public.list_site_users(tests.an_id('project'),
             p_origin => '{"first_country": "NL", "last_channel": "ai_assistant"}')),
  array[tests.an_id('u3')], 'origin filters combine (and)');
select is((select max(total_count)::integer from public.list_site_users(tests.an_id('project'), p_origin => '{"last_country": "NL"}')),
  2, 'total_count counts the origin filter');
select throws_ok($$select * from public.list_site_users(tests.an_id('project'), p_origin => '{"channel": "x"}')$$,
  '22023', 'unknown origin filter "channel"; origin filters are first_channel, first_source, first_campaign, first_country, last_channel, last_source, last_campaign, last_country',
  'an unknown origin filter');
select tests.clear_authentication();

-- Preset ranges come from crm.acquisition_rollup once it is fresh ---------------------
create temp table live_7d as
  select * from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{}', 'channel', 100);
select ok(crm.refresh_acquisition_rollup(tests.an_id('project')) > 0, 'the preset breakdowns are computed');
select results_eq(
  $$select * from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{}', 'channel', 100)$$,
  $$select * from live_7d$$, 'the 7-day preset read from the rollup equals the live computation');
update crm.acquisition_rollup set visitors = 999
where project_id = tests.an_id('project') and range_days = 7 and dimension = 'channel' and value = 'email';
select is((select visitors from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{}', 'channel', 1)),
  999, 'a fresh rollup is what a preset reads');
select is((select visitors from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{"country": "NL"}', 'channel', 1)),
  1, 'a filtered read is live');
update crm.acquisition_rollup set computed_at = now() - interval '16 minutes' where project_id = tests.an_id('project');
select is((select visitors from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 6, crm.utc_today(), '{}', 'channel', 1)),
  1, 'a rollup older than 15 minutes is not read');
select ok(crm.refresh_acquisition_rollup(tests.an_id('project')) > 0, 'presets past their interval (5 minutes for 7 days) are recomputed');
select is(crm.refresh_acquisition_rollup(tests.an_id('project')), 0, 'right after, none is due');
-- (in a UTC day's first two hours: since midnight, as a preset computed yesterday is never read)
update crm.acquisition_rollup set visitors = 777, computed_at = greatest(now() - interval '2 hours', crm.utc_day_start(crm.utc_today()))
where project_id = tests.an_id('project') and range_days = 90;
select is((select visitors from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 89, crm.utc_today(), '{}', 'channel', 1)),
  777, 'the 90-day preset, refreshed every 3 hours, is read when 2 hours old');
update crm.acquisition_rollup set computed_at = now() - interval '4 hours' where project_id = tests.an_id('project') and range_days = 90;
select isnt((select visitors from crm.acquisition_report(tests.an_id('project'), crm.utc_today() - 89, crm.utc_today(), '{}', 'channel', 1)),
  777, 'and not when 4 hours old');

-- Upkeep -----------------------------------------------------------------------------
-- A merge moves u5's session to u1: yesterday u1 has three sessions and u5 no row.
update crm.site_sessions set user_id = tests.an_id('u1') where id = tests.an_id('s_u5');
select is((select sessions from crm.user_days where user_id = tests.an_id('u1')), 3, 'a merge rebuilds the receiving user''s day');
select is((select count(*)::integer from crm.user_days where user_id = tests.an_id('u5')), 0, 'and the giving user''s day');

select ok(exists (select from cron.job where jobname = 'crm-user-days' and schedule = '*/5 * * * *'
                    and command = 'select crm.job_user_days()'), 'crm-user-days runs every 5 minutes');
delete from crm.user_days where project_id = tests.an_id('project') and day >= crm.utc_today() - 2;
select ok(crm.job_user_days() >= 1, 'the job rebuilds today and yesterday of projects with recent sessions');
select is((select count(*)::integer from crm.user_days where project_id = tests.an_id('project') and day >= crm.utc_today() - 2), 1,
  'yesterday (u1) is back; two days ago (u2) is not the job''s');
update crm.projects set settings = settings || '{"retention_days": 5}' where id = tests.an_id('project');
select crm.job_user_days();
select is((select count(*)::integer from crm.user_days where project_id = tests.an_id('project') and day < crm.utc_today() - 5), 0,
  'days beyond the project''s retention are dropped');
select is((select count(*)::integer from crm.user_days where project_id = tests.an_id('project')), 3,
  'the rest stay (u1 yesterday, u3 three days ago, u6 four days ago)');
delete from crm.site_users where project_id = tests.an_id('project') and id = tests.an_id('u6');
select is((select count(*)::integer from crm.user_days where user_id = tests.an_id('u6')), 0, 'a deleted user takes their days along');

select * from finish();
rollback;
