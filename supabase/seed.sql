-- Demo data, loaded by `npm start` / `npm run db:reset` / `npm test` on a new database.
--
-- * A demo owner login: demo@vibe-crm.dev / demo-password.
-- * A demo project with a fixed id and public key so docs and scripts can name it:
--   id 00000000-0000-4000-8000-000000000001, public key pk_demo0000000000000000,
--   allowed_origins {} (any origin).
-- * 8 weeks of history up to now: ~7,000 visitors, ~17,000 sessions, ~60,000 page
--   views, growing (~200 → ~290 active users a day over the last 30 days), a daily
--   rhythm (UTC), return visits soon after the first (retention cohorts), funnel
--   drop-off (page view → signup → activated → payment_success), identified users in
--   every segment (visitor, user, trial, premium, churned), ~25 sessions online now.
-- * Acquisition as the tracker reports it: referrers and UTM tags on each session's
--   landing page view (direct, organic and paid search, social, email, AI assistants,
--   referrals), landing paths with their query strings (?utm_…, ?ref=…) and #anchors,
--   16 countries weighted like a Dutch SaaS, devices / browsers / OS named as the ingest
--   function's user-agent parser names them. A user's first visit comes from the
--   acquisition mix, return visits mostly direct or email: first touch ≠ later touches.
--
-- Deterministic: every "random" choice is a hash of the row's number (md5), so the
-- same rows come out on every load. Times are relative to the seed's clock: now(), or
-- the setting vibe.seed_now (`PGOPTIONS='-c vibe.seed_now=2026-12-01T03:37Z'`), which
-- supabase/tests/seed_test.ts uses to load it at fixed hours. Visits are planned per UTC
-- day; those planned for later today have not happened yet and are left out, so the
-- past days are the same rows whatever the hour of the load. Set-based inserts straight
-- into the crm tables (not through crm.ingest); daily_user_stats for past days is
-- computed with crm.store_daily_stats, today's figures and the rollups with
-- crm.job_refresh_analytics().

begin;
-- set-based generation with many cheap expressions: JIT compilation would cost seconds
set local jit = off;

-- The seed's clock (see above) and its UTC day.
create function pg_temp.seed_now() returns timestamptz
language sql stable
as $$ select coalesce(nullif(current_setting('vibe.seed_now', true), '')::timestamptz, now()) $$;
create function pg_temp.seed_today() returns date
language sql stable
as $$ select (pg_temp.seed_now() at time zone 'UTC')::date $$;

-- A number in [0, 1) from a key: the same key always gives the same number.
create function pg_temp.rnd(p_key text) returns double precision
language sql immutable
as $$ select (('x' || substr(md5(p_key), 1, 8))::bit(32)::int::bigint + 2147483648) / 4294967296.0 $$;

-- An element of an array picked by a number in [0, 1).
create function pg_temp.pick(p_items text[], p_r double precision) returns text
language sql immutable
as $$ select p_items[1 + floor(p_r * cardinality(p_items))::int] $$;

-- ---------------------------------------------------------------------------
-- The demo login and project
-- ---------------------------------------------------------------------------

insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-0000000000d0', 'authenticated', 'authenticated',
        'demo@vibe-crm.dev', extensions.crypt('demo-password', extensions.gen_salt('bf')), now(),
        '{"provider": "email", "providers": ["email"]}', '{"name": "Demo Owner"}', now(), now())
on conflict (id) do nothing;

-- On a real Supabase database GoTrue also wants an email identity and empty (not null) tokens.
do $$
begin
  if to_regclass('auth.identities') is not null then
    execute $sql$
      insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
      values ('00000000-0000-4000-8000-0000000000d0', '00000000-0000-4000-8000-0000000000d0',
              '00000000-0000-4000-8000-0000000000d0',
              '{"sub": "00000000-0000-4000-8000-0000000000d0", "email": "demo@vibe-crm.dev", "email_verified": true}',
              'email', now(), now(), now())
      on conflict do nothing $sql$;
  end if;
  if exists (select from information_schema.columns where table_schema = 'auth' and table_name = 'users' and column_name = 'confirmation_token') then
    execute $sql$
      update auth.users set confirmation_token = '', recovery_token = '', email_change_token_new = '', email_change = ''
      where id = '00000000-0000-4000-8000-0000000000d0' $sql$;
  end if;
end $$;

insert into crm.projects (id, name, public_key, allowed_origins, created_at)
values ('00000000-0000-4000-8000-000000000001', 'Vibe Demo Shop', 'pk_demo0000000000000000', '{}', pg_temp.seed_now() - interval '60 days');
insert into crm.project_members (project_id, user_id, role)
values ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000d0', 'owner');

-- ---------------------------------------------------------------------------
-- The mixes: each row's share of [0, 1) is its weight over the table's total
-- ---------------------------------------------------------------------------

create temp table seed_country (o serial, code text, weight real);
insert into seed_country (code, weight) values
  ('NL', 36), ('BE', 11), ('DE', 10), ('US', 9), ('GB', 8), ('FR', 4), ('ES', 2.5), ('IN', 2.5),
  ('IT', 2), ('SE', 2), ('PL', 2), ('DK', 1.5), ('AT', 1.5), ('CH', 1.5), ('IE', 1.5), ('CA', 1.5);

-- browser and OS names as ua-parser-js gives them to the ingest function (enrich.ts)
create temp table seed_device (o serial, device text, os text, browser text, screen text, weight real);
insert into seed_device (device, os, browser, screen, weight) values
  ('mobile', 'iOS', 'Mobile Safari', '390x844', 23), ('mobile', 'iOS', 'Chrome', '393x852', 4),
  ('mobile', 'Android', 'Chrome', '412x915', 16), ('mobile', 'Android', 'Samsung Internet', '384x854', 5),
  ('desktop', 'Windows', 'Chrome', '1920x1080', 19), ('desktop', 'Windows', 'Edge', '1920x1080', 7),
  ('desktop', 'Windows', 'Firefox', '1536x864', 3), ('desktop', 'Mac OS', 'Chrome', '1512x982', 7),
  ('desktop', 'Mac OS', 'Safari', '1440x900', 6), ('desktop', 'Mac OS', 'Firefox', '1440x900', 1),
  ('desktop', 'Linux', 'Firefox', '1920x1080', 1.5), ('desktop', 'Linux', 'Chrome', '2560x1440', 1.5),
  ('tablet', 'iOS', 'Mobile Safari', '820x1180', 4.5), ('tablet', 'Android', 'Chrome', '800x1280', 1.5);

-- Where a visit comes from: the landing page view's referrer and utm, and its landing
-- path (null: one of the usual entry pages); utm also goes into the path's query, as a
-- tagged link puts it there. `first` weighs a user's first visit, `later` return visits.
create temp table seed_source (o serial, channel text, referrer text, utm jsonb, landing text, first real, later real);
insert into seed_source (channel, referrer, utm, landing, first, later) values
  ('direct', null, null, null, 22, 46),
  ('organic', 'https://www.google.com/', null, null, 17, 9),
  ('organic', 'https://www.google.nl/', null, null, 5, 2),
  ('organic', 'https://www.bing.com/', null, null, 3.5, 1),
  ('organic', 'https://duckduckgo.com/', null, '/docs/install', 2.5, 1),
  ('paid', 'https://www.google.com/', '{"source": "google", "medium": "cpc", "campaign": "brand-nl"}', '/', 4, 2),
  ('paid', 'https://www.google.com/', '{"source": "google", "medium": "cpc", "campaign": "crm-software", "term": "realtime crm"}', '/features', 3, 0),
  ('paid', 'https://www.google.com/', '{"source": "google", "medium": "cpc", "campaign": "crm-software", "term": "visitor tracking", "content": "ad-b"}', '/pricing', 1.5, 0),
  ('paid', 'https://www.bing.com/', '{"source": "bing", "medium": "ppc", "campaign": "brand-nl"}', '/', 1.5, 0.5),
  ('social', 'https://www.linkedin.com/', '{"source": "linkedin", "medium": "social", "campaign": "launch-week"}', '/', 3, 1),
  ('social', 'https://www.linkedin.com/', null, null, 1, 0.5),
  ('social', 'https://l.facebook.com/', null, null, 2.5, 0.5),
  ('social', 'https://l.instagram.com/', null, '/features#live-view', 1.5, 0.5),
  ('social', 'https://t.co/', null, '/blog/realtime-crm', 2, 0.5),
  ('social', 'https://www.reddit.com/', null, '/blog/supabase-tips', 2, 0.5),
  ('email', null, '{"source": "newsletter", "medium": "email", "campaign": "monthly-newsletter"}', '/blog/realtime-crm', 3.5, 8),
  ('email', null, '{"source": "newsletter", "medium": "email", "campaign": "product-update", "content": "cta-button"}', '/changelog', 2, 6),
  ('email', null, '{"source": "onboarding", "medium": "email", "campaign": "onboarding-day-3"}', '/docs/install', 0, 4),
  ('ai', 'https://chatgpt.com/', '{"source": "chatgpt.com"}', null, 4, 2),
  ('ai', 'https://www.perplexity.ai/', null, null, 1.5, 0.5),
  ('ai', 'https://gemini.google.com/', null, null, 1, 0.3),
  ('ai', 'https://copilot.microsoft.com/', null, null, 0.7, 0.2),
  ('ai', 'https://claude.ai/', null, null, 1, 0.3),
  ('referral', 'https://news.ycombinator.com/', null, '/blog/realtime-crm?ref=hn', 3, 0.5),
  ('referral', 'https://www.producthunt.com/', null, '/?ref=producthunt', 2, 0.3),
  ('referral', 'https://supabase.com/partners/integrations', null, '/docs/install#supabase', 2, 0.5),
  ('referral', 'https://github.com/', null, '/docs', 1.5, 0.5),
  ('referral', 'https://dev.to/', null, '/blog/supabase-tips', 1.5, 0.3),
  ('referral', 'https://www.emerce.nl/', null, '/?ref=emerce', 1, 0.2);

-- [lo, hi) of each row: a number r in [0, 1) picks the row where lo <= r < hi
create temp table seed_country_mix as
select c.code, (sum(c.weight) over w - c.weight) / sum(c.weight) over () as lo, sum(c.weight) over w / sum(c.weight) over () as hi
from seed_country c window w as (order by c.o);
create temp table seed_device_mix as
select d.*, (sum(d.weight) over w - d.weight) / sum(d.weight) over () as lo, sum(d.weight) over w / sum(d.weight) over () as hi
from seed_device d window w as (order by d.o);
create temp table seed_source_mix as
select s.channel, s.referrer, s.utm,
       -- the path as the tracker reports it: pathname + search (+ hash)
       coalesce(s.landing, '') || coalesce('?' || (select string_agg('utm_' || k || '=' || replace(v, ' ', '+'), '&'
         order by array_position(array['source', 'medium', 'campaign', 'term', 'content'], k)) from jsonb_each_text(s.utm) u(k, v)), '') as query,
       s.landing is null as any_landing,
       (sum(s.first) over w - s.first) / sum(s.first) over () as first_lo, sum(s.first) over w / sum(s.first) over () as first_hi,
       (sum(s.later) over w - s.later) / sum(s.later) over () as later_lo, sum(s.later) over w / sum(s.later) over () as later_hi
from seed_source s window w as (order by s.o);

-- Pages: the usual entry pages, and every page a visit goes on to (a few with a query or an anchor).
create temp table seed_pages (entry text[], inner_pages text[]);
insert into seed_pages values (
  array['/', '/', '/', '/pricing', '/blog/realtime-crm', '/features', '/docs'],
  array['/', '/pricing', '/pricing?ref=nav', '/features', '/features#live-view', '/blog/realtime-crm', '/blog/supabase-tips',
        '/docs', '/docs/install', '/docs/install#npm', '/contact', '/about', '/signup', '/app', '/app/settings', '/changelog',
        '/customers']);
create temp table seed_titles (path text primary key, title text);
insert into seed_titles values ('/', 'Vibe CRM — realtime visitor CRM'), ('/pricing', 'Pricing · Vibe CRM'),
  ('/features', 'Features · Vibe CRM'), ('/blog/realtime-crm', 'Why a realtime CRM · Vibe CRM blog'),
  ('/blog/supabase-tips', '10 Supabase tips · Vibe CRM blog'), ('/docs', 'Docs · Vibe CRM'),
  ('/docs/install', 'Install · Vibe CRM docs'), ('/contact', 'Contact · Vibe CRM'), ('/about', 'About us · Vibe CRM'),
  ('/signup', 'Sign up · Vibe CRM'), ('/app', 'Dashboard · Vibe CRM'), ('/app/settings', 'Settings · Vibe CRM'),
  ('/changelog', 'Changelog · Vibe CRM'), ('/customers', 'Customers · Vibe CRM');


-- ---------------------------------------------------------------------------
-- Visitors: when they first came, how often they return, how far they get
-- ---------------------------------------------------------------------------

-- 7,000 visitors with a history, and 12 brand-new ones who are on the site right now.
-- first_back: days before today of the first visit; more lately: the density falls
-- linearly from 1.6 (today) to 1 (56 days back), drawn through its inverse CDF.
-- Eight weeks, so the returns of the first weeks' visitors have built up before the
-- dashboard's default 30 days.
create temp table seed_users as
select b.*, c.code as country, d.device, d.os, d.browser, d.screen
from (select i, md5('seed-user-' || i)::uuid as id, i > 7000 as online_only,
             case when i > 7000 then 0
                  else least(55, floor(56 * (1.6 - sqrt(2.56 - 1.56 * pg_temp.rnd('first' || i))) / 0.6))::int end as first_back,
             case when i > 7000 then 0.9 else pg_temp.rnd('funnel' || i) end as funnel_r,
             pg_temp.rnd('country' || i) as country_r, pg_temp.rnd('device' || i) as device_r
      from generate_series(1, 7012) i) b
join seed_country_mix c on b.country_r >= c.lo and b.country_r < c.hi
join seed_device_mix d on b.device_r >= d.lo and b.device_r < d.hi;
alter table seed_users add column stage int, add column sessions int;
-- funnel: 28% sign up, 60% of them activate, 45% of those pay
update seed_users set stage = case when funnel_r < 0.0756 then 4 when funnel_r < 0.168 then 3 when funnel_r < 0.28 then 2 else 1 end;
-- identified users come back more often
update seed_users set sessions = case when online_only then 0
  else 1 + floor(power(pg_temp.rnd('visits' || i), 2.5) * case stage when 1 then 5 else 10 end)::int + (stage > 1)::int end;

-- Every visit planned per UTC day: the first on day first_back, return visits mostly in
-- the days after it (up to 55 days; 40% the same day, 37% a week or more later, 10% five
-- weeks or more: the long tail a cohort table shows); one planned after today has not
-- happened: left out.
create temp table seed_plan as
with s as (
  select u.i, j, u.id as user_id,
         case when j = 1 then u.first_back
              else u.first_back - floor(50 * power(pg_temp.rnd('ret' || u.i || '-' || j), 4.3))::int end as day_back,
         -- a daily rhythm: triangular around 13:00 UTC, 03:00–23:00, so no visit of an
         -- earlier day is still going on at any load time
         (pg_temp.rnd('h1' || u.i || '-' || j) + pg_temp.rnd('h2' || u.i || '-' || j)) / 2 as tod,
         1 + floor(power(pg_temp.rnd('pages' || u.i || '-' || j), 1.8) * 8)::int as pages,
         20 + floor(160 * pg_temp.rnd('gap' || u.i || '-' || j))::int as gap_s,
         20 + floor(100 * pg_temp.rnd('tail' || u.i || '-' || j))::int as tail_s
  from seed_users u, generate_series(1, u.sessions) j
)
select s.*, md5('seed-session-' || s.i || '-' || s.j)::uuid as id,
       (pg_temp.seed_today() - s.day_back)::timestamp at time zone 'UTC'
         + make_interval(secs => 3600 * (3 + 19 * s.tod) + floor(3600 * pg_temp.rnd('m' || s.i || '-' || s.j))) as started_at
from s
where s.day_back >= 0;

-- n: the visit's place in the user's whole plan (1 = first touch), planned: how many
-- visits the plan has. Both come before the cut below, so a past visit's source and
-- funnel events do not depend on the hour of the load.
create temp table seed_sessions as
select p.*, row_number() over (partition by p.i order by p.started_at, p.j)::int as n,
       count(*) over (partition by p.i)::int as planned
from seed_plan p;
-- The cut (the day-spike fix): visits planned for later today have not happened yet.
-- 35 minutes back, so every seeded visit is over (the session timeout is 30).
delete from seed_sessions where started_at >= pg_temp.seed_now() - interval '35 minutes';
delete from seed_users u where not u.online_only and not exists (select from seed_sessions s where s.i = u.i);

-- Where each visit comes from: the first one from the acquisition mix, later ones mostly direct or email.
alter table seed_sessions add column referrer text, add column utm jsonb, add column landing text;
update seed_sessions s
set referrer = m.referrer, utm = m.utm,
    landing = case when m.any_landing then pg_temp.pick((select entry from seed_pages), pg_temp.rnd('entry' || s.id)) else '' end || m.query
from seed_source_mix m
where (s.n = 1 and pg_temp.rnd('src' || s.id) >= m.first_lo and pg_temp.rnd('src' || s.id) < m.first_hi)
   or (s.n > 1 and pg_temp.rnd('src' || s.id) >= m.later_lo and pg_temp.rnd('src' || s.id) < m.later_hi);

-- ---------------------------------------------------------------------------
-- Page views and funnel events
-- ---------------------------------------------------------------------------

create temp table seed_views as
select s.i, s.id as session_id, s.user_id, k,
       s.started_at + make_interval(secs => (k - 1) * s.gap_s + case when k > 1 then floor(s.gap_s / 2.0 * pg_temp.rnd('jit' || s.id || k)) else 0 end) as occurred_at,
       case when k = 1 then s.landing else pg_temp.pick((select inner_pages from seed_pages), pg_temp.rnd('path' || s.id || k)) end as page,
       case when k = 1 then s.referrer end as referrer, case when k = 1 then s.utm end as utm
from seed_sessions s, generate_series(1, s.pages) k;

create temp table seed_view_agg as
select v.session_id, count(*)::int as n, max(v.occurred_at) as last_at,
       (array_agg(v.page order by v.k desc))[1] as last_page, (array_agg(v.page order by v.k))[1] as entry_page
from seed_views v group by v.session_id;
create unique index on seed_view_agg (session_id);

-- funnel events, in order: signup in the first visit, activated in the second (or the
-- last), payment in the third (or the last) of the plan, a few seconds after that
-- visit's last page; an event whose visit has not happened yet is not there
create temp table seed_custom as
select s.i, s.id as session_id, s.user_id, e.name, lv.last_at + make_interval(secs => e.offset_s) as occurred_at
from seed_sessions s
join seed_users u on u.i = s.i
join seed_view_agg lv on lv.session_id = s.id
cross join lateral (values ('signup', 2, 1, 5), ('activated', 3, 2, 10), ('payment_success', 4, 3, 15)) e(name, stage, nth, offset_s)
where u.stage >= e.stage and s.n = least(e.nth, s.planned);
-- a user is as far as their events so far
update seed_users u set stage = 1 + (select count(*) from seed_custom c where c.i = u.i) where not u.online_only;

-- ~25 visits going on right now: some known users and the 12 brand-new visitors
create temp table seed_online as
select u.i, u.id as user_id, md5('seed-online-' || u.i)::uuid as id,
       -- begun up to 21 minutes ago, but today (the day's active users stay put)
       pg_temp.seed_now() - make_interval(secs => least(60 + floor(1200 * pg_temp.rnd('on' || u.i)),
         floor(extract(epoch from pg_temp.seed_now() - pg_temp.seed_today()::timestamp at time zone 'UTC') * pg_temp.rnd('on' || u.i)))) as started_at,
       1 + floor(4 * pg_temp.rnd('onp' || u.i))::int as pages, m.referrer, m.utm,
       case when m.any_landing then pg_temp.pick((select entry from seed_pages), pg_temp.rnd('oentry' || u.i)) else '' end || m.query as landing
from seed_users u
join seed_source_mix m on case when u.online_only then pg_temp.rnd('osrc' || u.i) >= m.first_lo and pg_temp.rnd('osrc' || u.i) < m.first_hi
                               else pg_temp.rnd('osrc' || u.i) >= m.later_lo and pg_temp.rnd('osrc' || u.i) < m.later_hi end
where u.online_only or u.i in (select i from seed_users where not online_only and stage > 1 order by md5('online' || i) limit 13);

-- their page views spread from the start of the visit to now
insert into seed_views
select o.i, o.id, o.user_id, k, o.started_at + (pg_temp.seed_now() - o.started_at) * ((k - 1)::float / o.pages),
       case when k = 1 then o.landing else pg_temp.pick((select inner_pages from seed_pages), pg_temp.rnd('opath' || o.id || k)) end,
       case when k = 1 then o.referrer end, case when k = 1 then o.utm end
from seed_online o, generate_series(1, o.pages) k;
insert into seed_view_agg
select v.session_id, count(*)::int, max(v.occurred_at), (array_agg(v.page order by v.k desc))[1], (array_agg(v.page order by v.k))[1]
from seed_views v where v.session_id in (select id from seed_online) group by v.session_id;

-- ---------------------------------------------------------------------------
-- Rows
-- ---------------------------------------------------------------------------

insert into crm.site_users (project_id, id, external_id, email, name, segment, verified, email_verified, metadata,
                            first_seen_at, last_seen_at, created_at, updated_at)
select '00000000-0000-4000-8000-000000000001', u.id,
       case when u.stage = 4 then 'cus_' || lpad(u.i::text, 6, '0') end,
       -- identified: everyone who signed up, and 4% of the visitors (newsletter, contact form)
       case when u.stage > 1 or pg_temp.rnd('ident' || u.i) < 0.04 then lower(n.first) || '.' || lower(n.last) || u.i || '@example.com' end,
       case when u.stage > 1 or pg_temp.rnd('ident' || u.i) < 0.04 then n.first || ' ' || n.last end,
       (case u.stage when 1 then 'visitor' when 2 then 'user' when 3 then 'trial' else 'premium' end)::crm.segment,
       u.stage > 1 and pg_temp.rnd('verified' || u.i) < 0.7,
       u.stage > 1 and pg_temp.rnd('verified' || u.i) < 0.7, -- verified by their email
       case when u.stage > 1 then jsonb_build_object('plan', case u.stage when 4 then 'pro' when 3 then 'trial' else 'free' end,
                                                    'company', pg_temp.pick(array['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'], pg_temp.rnd('co' || u.i)))
            else '{}'::jsonb end,
       pg_temp.seed_now(), pg_temp.seed_now(), pg_temp.seed_now(), pg_temp.seed_now()
from seed_users u
cross join lateral (select
  pg_temp.pick(array['Anna', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Grace', 'Hugo', 'Iris', 'Jasper', 'Kim', 'Lars', 'Mila', 'Noah', 'Olivia', 'Pim', 'Roos', 'Sem', 'Tess', 'Vince'], pg_temp.rnd('fn' || u.i)) as first,
  pg_temp.pick(array['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'de Boer', 'Peters', 'Hendriks', 'Smith', 'Brown', 'Dubois', 'Müller'], pg_temp.rnd('ln' || u.i)) as last) n;

insert into crm.anonymous_ids (project_id, anonymous_id, user_id, created_at)
select '00000000-0000-4000-8000-000000000001', u.id, u.id, pg_temp.seed_now() from seed_users u;

insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, ended_at, is_online, current_page,
                               current_page_since, entry_page, page_views, device_type, browser, os, country, referrer, utm)
select '00000000-0000-4000-8000-000000000001'::uuid, s.id, s.user_id, s.started_at,
       coalesce(greatest(v.last_at, c.last_at), s.started_at) + make_interval(secs => s.tail_s),
       coalesce(greatest(v.last_at, c.last_at), s.started_at) + make_interval(secs => s.tail_s),
       false, v.last_page, v.last_at, v.entry_page, v.n, u.device, u.browser, u.os, u.country, s.referrer, s.utm
from seed_sessions s
join seed_users u on u.i = s.i
join seed_view_agg v on v.session_id = s.id
left join (select c.session_id, max(c.occurred_at) as last_at from seed_custom c group by c.session_id) c on c.session_id = s.id
union all
select '00000000-0000-4000-8000-000000000001', o.id, o.user_id, o.started_at,
       greatest(v.last_at, pg_temp.seed_now() - make_interval(secs => floor(50 * pg_temp.rnd('hb' || o.i)))), null, true,
       v.last_page, v.last_at, v.entry_page, v.n, u.device, u.browser, u.os, u.country, o.referrer, o.utm
from seed_online o
join seed_users u on u.i = o.i
join seed_view_agg v on v.session_id = o.id;

-- page views carry what ingest keeps of them: title, the landing view's referrer and utm, screen
insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page, properties)
select '00000000-0000-4000-8000-000000000001'::uuid, v.occurred_at, md5('seed-pv-' || v.session_id || '-' || v.k)::uuid,
       v.occurred_at, v.session_id, v.user_id, 'pageview', null, v.page,
       jsonb_strip_nulls(jsonb_build_object('title', coalesce(t.title, 'Vibe CRM'), 'referrer', v.referrer, 'utm', v.utm, 'screen', u.screen))
from seed_views v
join seed_users u on u.i = v.i
left join seed_titles t on t.path = regexp_replace(v.page, '[?#].*$', '')
union all
select '00000000-0000-4000-8000-000000000001', c.occurred_at, md5('seed-ev-' || c.session_id || '-' || c.name)::uuid,
       c.occurred_at, c.session_id, c.user_id, 'event', c.name, '/app',
       case c.name when 'payment_success' then '{"plan": "pro", "amount": 49}'::jsonb end
from seed_custom c;

-- profile counters and first / last seen from the rows
update crm.site_users u
set first_seen_at = a.first_at, last_seen_at = a.last_at, created_at = a.first_at, updated_at = a.last_at,
    sessions_count = a.sessions, pageviews_count = a.views,
    events_count = coalesce(a.events, 0)
from (select s.user_id, min(s.started_at) as first_at, max(s.last_activity_at) as last_at, count(*) as sessions,
             sum(s.page_views) as views, max(c.events) as events
      from crm.site_sessions s
      left join (select c.user_id, count(*) as events from seed_custom c group by c.user_id) c on c.user_id = s.user_id
      where s.project_id = '00000000-0000-4000-8000-000000000001' group by s.user_id) a
where u.project_id = '00000000-0000-4000-8000-000000000001' and u.id = a.user_id;

-- identified users gone quiet for more than 14 days become 'churned' (the nightly job)
select crm.job_segment_upkeep();

-- daily rollups of the past days, then today's figures and the funnel / metrics rollups
select crm.store_daily_stats('00000000-0000-4000-8000-000000000001', d::date)
from generate_series(pg_temp.seed_today() - 56, pg_temp.seed_today() - 1, interval '1 day') d;
select crm.job_refresh_analytics();
analyze crm.site_users;
analyze crm.site_sessions;
analyze crm.user_events;

-- where visitors came from: the acquisition rollups, as the 5-minute job keeps them (after
-- analyze: with no statistics the planner joined page views to sessions in a nested loop
-- and this took over ten minutes)
select crm.refresh_user_days('00000000-0000-4000-8000-000000000001', pg_temp.seed_today() - 56, pg_temp.seed_today()),
       crm.refresh_acquisition_rollup('00000000-0000-4000-8000-000000000001', true);
-- who comes back: the retention rollups of those days
select crm.apply_activity_queue();

-- an alert rule to start from (Settings → Alerts): after the history, so it fires only
-- on what arrives from now on; the demo traffic's payments are €49, so it waits for a
-- real one (or "Send test")
insert into crm.alerts (project_id, name, kind, condition, channels)
values ('00000000-0000-4000-8000-000000000001', 'Big payment', 'event',
        crm.clean_alert_condition('event', '{"event": "payment_success", "prop": "amount", "op": "gt", "value": 100}'),
        crm.clean_alert_channels('[{"type": "dashboard"}]'));

commit;
