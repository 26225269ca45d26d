-- Sampled reports: a live report whose rows exceed crm.report_row_budget() reads the
-- users of the lower sample buckets and scales its counts. The fixture puts 1,563 users
-- in bucket 0 (64 × 1,563 = 100,032 rows: just over the budget of 100,000) and 10 in
-- bucket 40, so every expected figure below is worked out by hand.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
select plan(18);

-- The bucket of a user -----------------------------------------------------------------
select is((select count(distinct crm.sample_bucket(md5(i::text)::uuid))::integer from generate_series(1, 10000) i), 64,
  '10,000 users fill all 64 buckets');
select ok((select min(c) >= 100 and max(c) <= 220 from (
             select count(*) c from generate_series(1, 10000) i group by crm.sample_bucket(md5(i::text)::uuid)) x),
  'each bucket holds about 1/64 of them (156; 100..220)');
select is(crm.sample_bucket('00000000-0000-4000-8000-000000000001'), crm.sample_bucket('00000000-0000-4000-8000-000000000001'),
  'a user keeps their bucket');

-- The share a report reads ----------------------------------------------------------------
select results_eq(
  $$select crm.report_sample_buckets(n, n) from unnest(array[0, 1302, 1303, 2604, 2605, 41666, 83334, 10000000]) n$$,
  $$values (64), (64), (32), (32), (16), (2), (1), (1)$$,
  'rows counted and read alike: all 64 buckets while 64 × 1.2 × bucket 0''s rows fit the budget of 100,000, else the largest bound that fits, at least 1');
select results_eq(
  $$select crm.report_sample_buckets(c, r) from (values (100, 7300), (100, 7400), (1000, 31250), (0, 0)) x(c, r)$$,
  $$values (64), (32), (8), (64)$$,
  'a narrow filter still reads its days: 100 rows counted among 7,300 read fit (64 × 1,560); among 7,400 not (64 × 1,580); 1,000 among 31,250: 8');
select results_eq($$select crm.sample_rate(b) from unnest(array[64, 16, 1]) b$$, $$values (1::numeric), (0.25), (0.015625)$$,
  'the sample rate of 64, 16 and 1 buckets');

-- Fixture -----------------------------------------------------------------------------------
select tests.an_setup('Sampling');
create temp table fx as
select u, row_number() over (order by i) as n, 0 as bucket
from (select i, md5(i::text)::uuid u from generate_series(1, 200000) i) x
where crm.sample_bucket(u) = 0
order by i limit 1563;
insert into fx
select u, 2000 + row_number() over (order by i), 40
from (select i, md5('b' || i)::uuid u from generate_series(1, 2000) i) x
where crm.sample_bucket(u) = 40
order by i limit 10;
select is((select count(*)::integer from fx where crm.sample_bucket(u) = bucket), 1573, 'the fixture''s users are in the buckets named');

-- Odd users of bucket 0 came direct, even ones from social; the 10 of bucket 40 from
-- social too (n = 2001..2010). Each was active yesterday on one page; every user whose n
-- is a multiple of 3 is premium.
insert into crm.site_users (project_id, id, segment, first_seen_at, last_seen_at, created_at)
select tests.an_id('project'), u, case when n % 3 = 0 then 'premium' else 'visitor' end::crm.segment,
       now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
from fx;
insert into crm.user_days (project_id, day, user_id, sample, channel, sessions, page_views, signed_up, paid, steps, new_user,
                           segment)
select tests.an_id('project'), crm.utc_today() - 1, u, bucket,
       case when n % 2 = 1 and bucket = 0 then 'direct' else 'social' end::crm.channel, 1, 2, false, false, 1, true,
       case when n % 3 = 0 then 'premium' else 'visitor' end::crm.segment
from fx;
insert into crm.page_days (project_id, day, user_id, sample, path, views, entries, exits, seconds)
select tests.an_id('project'), crm.utc_today() - 1, u, bucket, '/', 2, 1, 1, 30 from fx;

-- Reports, as a viewer ----------------------------------------------------------------------
create function tests.ago(n integer) returns date language sql stable as $$ select (now() at time zone 'UTC')::date - n $$;
grant execute on function tests.ago(integer) to authenticated;
select tests.authenticate_as(tests.an_id('viewer'));

-- 1,563 rows in bucket 0: 32 buckets are read, which hold bucket 0's 782 direct and 781
-- social users (not the 10 of bucket 40), each counted twice.
select results_eq(
  $$select value, visitors, sessions, sample_rate from public.get_traffic_sources(tests.an_id('project'), tests.ago(2), tests.ago(1))
     order by value$$,
  $$values ('direct', 1564, 1564, 0.5), ('social', 1562, 1562, 0.5)$$,
  'over the budget: half the users are read, and each count is doubled');
select results_eq(
  $$select value, visitors, sample_rate from public.get_traffic_sources(tests.an_id('project'), tests.ago(2), tests.ago(1),
      '{"channel": "direct"}')$$,
  $$values ('direct', 782, 1::numeric)$$,
  'a filter that narrows the rows to 782 in bucket 0 (50,048 estimated) is exact');
select results_eq(
  $$select value, visitors, sample_rate from public.get_traffic_sources(tests.an_id('project'), tests.ago(2), tests.ago(1),
      '{"channel": "social"}')$$,
  $$values ('social', 791, 1::numeric)$$,
  'exact: bucket 0''s 781 social users and bucket 40''s 10');
select results_eq(
  $$select value, visitors, sample_rate from public.get_traffic_sources(tests.an_id('project'), tests.ago(2), tests.ago(1),
      '{"segment": "premium"}') order by value$$,
  $$values ('direct', 261, 1::numeric), ('social', 264, 1::numeric)$$,
  'the segment filter, exact: every third user (odd multiples of 3 up to 1,563: 261 direct; even: 260, and 2001, 2004, 2007, 2010 of bucket 40)');
select results_eq(
  $$select country, visitors, sample_rate from public.get_geo_breakdown(tests.an_id('project'), tests.ago(2), tests.ago(1))$$,
  $$values (null::text, 3126, 0.5)$$, 'countries are sampled the same way');
select results_eq(
  $$select value, visitors, prev_visitors, sample_rate from public.get_tech_breakdown(tests.an_id('project'), tests.ago(1), tests.ago(1))$$,
  $$values (null::text, 3126, 0, 0.5)$$, 'a one-day range with nothing the day before: the previous range counts 0');
select results_eq(
  $$select page, views, visitors, entries, exits, avg_seconds, sample_rate
      from public.get_top_pages(tests.an_id('project'), tests.ago(2), tests.ago(1))$$,
  $$values ('/', 12504, 6252, 6252, 6252, 15.0, 0.25)$$,
  'pages: 1,563 page_days rows in bucket 0 at twice the cost of a user-day: a quarter of the users (bucket 0 only), each count ×4, the average time not');
select results_eq(
  $$select page, visitors, sample_rate from public.get_top_pages(tests.an_id('project'), tests.ago(2), tests.ago(1),
      '{"segment": "premium"}')$$,
  $$values ('/', 525, 1::numeric)$$, 'a filtered page report within the budget is exact: 521 premium users of bucket 0, 4 of bucket 40');

-- A preset range comes from the rollup: exact whatever its size.
select tests.clear_authentication();
select ok(crm.refresh_acquisition_rollup(tests.an_id('project'), true) > 0, 'the presets are computed');
select tests.authenticate_as(tests.an_id('viewer'));
select results_eq(
  $$select value, visitors, sample_rate from public.get_traffic_sources(tests.an_id('project'), tests.ago(6), tests.ago(0))
     order by value$$,
  $$values ('direct', 782, 1::numeric), ('social', 791, 1::numeric)$$, 'a preset range is exact');
select results_eq(
  $$select page, visitors, sample_rate from public.get_top_pages(tests.an_id('project'), tests.ago(6), tests.ago(0))$$,
  $$values ('/', 1573, 1::numeric)$$, 'a preset page report is exact');
select tests.clear_authentication();

select * from finish();
rollback;
