-- Demo data, loaded by `npm start` / `npm run db:reset` / `npm test` on a new database.
--
-- * A demo owner login: demo@vibe-crm.dev / demo-password.
-- * A demo project with a fixed id and public key so docs and scripts can name it:
--   id 00000000-0000-4000-8000-000000000001, public key pk_demo0000000000000000,
--   allowed_origins {} (any origin).
-- * 36 days of history up to now: ~5,000 visitors, ~11,000 sessions, ~40,000 page
--   views, a daily rhythm (UTC), a mobile/desktop/tablet mix, funnel drop-off
--   (page view → signup → activated → payment_success), identified users in every
--   segment (visitor, user, trial, premium, churned), and ~25 sessions online right now.
--
-- Deterministic: every "random" choice is a hash of the row's number (md5), so the
-- same rows come out on every load (times are relative to now()). Set-based inserts
-- straight into the crm tables (not through crm.ingest); daily_user_stats for past days
-- is computed with crm.store_daily_stats, today's figures and the rollups with
-- crm.job_refresh_analytics().

begin;
-- set-based generation with many cheap expressions: JIT compilation would cost seconds
set local jit = off;

select setseed(0.4242);

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
values ('00000000-0000-4000-8000-000000000001', 'Vibe Demo Shop', 'pk_demo0000000000000000', '{}', now() - interval '40 days');
insert into crm.project_members (project_id, user_id, role)
values ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000d0', 'owner');

-- ---------------------------------------------------------------------------
-- Visitors: when they first came, how often they return, how far they get
-- ---------------------------------------------------------------------------

create temp table seed_users as
select i,
       md5('seed-user-' || i)::uuid as id,
       -- more new visitors lately: day 0 = today, 35 = five weeks ago
       least(35, floor(36 * power(pg_temp.rnd('first' || i), 1.15)))::int as first_back,
       pg_temp.rnd('funnel' || i) as funnel_r,
       pg_temp.rnd('device' || i) as device_r,
       pg_temp.rnd('browser' || i) as browser_r,
       pg_temp.rnd('country' || i) as country_r
from generate_series(1, 5000) i;
alter table seed_users add column stage int, add column sessions int;
-- funnel: 28% sign up, 60% of them activate, 45% of those pay
update seed_users set stage = case when funnel_r < 0.0756 then 4 when funnel_r < 0.168 then 3 when funnel_r < 0.28 then 2 else 1 end;
-- identified users come back more often; never more sessions than days since the first visit
update seed_users set sessions = least(first_back + 1,
  1 + floor(power(pg_temp.rnd('visits' || i), 2.5) * case stage when 1 then 4 else 9 end)::int + (stage > 1)::int);

create temp table seed_sessions as
with s as (
  select u.i, j, u.id as user_id, u.stage, u.sessions, u.device_r, u.browser_r, u.country_r,
         -- the first session on the first day, later ones spread up to today
         case when j = 1 then u.first_back
              else floor((u.first_back + 1) * pg_temp.rnd('ret' || u.i || '-' || j))::int end as day_back,
         -- a daily rhythm: triangular around 14:00 UTC, quiet at night
         (pg_temp.rnd('h1' || u.i || '-' || j) + pg_temp.rnd('h2' || u.i || '-' || j)) / 2 as tod,
         1 + floor(power(pg_temp.rnd('pages' || u.i || '-' || j), 1.8) * 8)::int as pages,
         20 + floor(160 * pg_temp.rnd('gap' || u.i || '-' || j))::int as gap_s,
         20 + floor(100 * pg_temp.rnd('tail' || u.i || '-' || j))::int as tail_s
  from seed_users u, generate_series(1, u.sessions) j
)
select s.*,
       md5('seed-session-' || s.i || '-' || s.j)::uuid as id,
       least(((now() at time zone 'UTC')::date - s.day_back)::timestamp at time zone 'UTC'
               + make_interval(secs => 3600 * (3 + 20 * s.tod) + floor(3600 * pg_temp.rnd('m' || s.i || '-' || s.j))),
             now() - interval '35 minutes' - make_interval(secs => floor(3600 * 6 * pg_temp.rnd('late' || s.i || '-' || s.j)))) as started_at
from s;

-- ~25 visits going on right now: some known users and some brand-new visitors
insert into seed_users (i, id, first_back, funnel_r, device_r, browser_r, country_r, stage, sessions)
select 5000 + k, md5('seed-user-' || (5000 + k))::uuid, 0, 0.9, pg_temp.rnd('device' || (5000 + k)),
       pg_temp.rnd('browser' || (5000 + k)), pg_temp.rnd('country' || (5000 + k)), 1, 1
from generate_series(1, 12) k;
create temp table seed_online as
select u.i, u.id as user_id, u.stage, u.device_r, u.browser_r, u.country_r,
       md5('seed-online-' || u.i)::uuid as id,
       now() - make_interval(secs => 60 + floor(1200 * pg_temp.rnd('on' || u.i))) as started_at,
       1 + floor(4 * pg_temp.rnd('onp' || u.i))::int as pages
from seed_users u
where u.i > 5000 or u.i in (select i from seed_users where i <= 5000 and stage > 1 order by md5('online' || i) limit 13);

-- ---------------------------------------------------------------------------
-- Rows
-- ---------------------------------------------------------------------------

create temp table seed_pages (path text[]);
insert into seed_pages values (array['/', '/pricing', '/features', '/blog/realtime-crm', '/blog/supabase-tips', '/docs',
  '/docs/install', '/contact', '/about', '/signup', '/app', '/app/settings', '/changelog', '/customers']);

create temp table seed_views as
select s.i, s.j, s.id as session_id, s.user_id, k,
       s.started_at + make_interval(secs => (k - 1) * s.gap_s + floor(s.gap_s / 2.0 * pg_temp.rnd('jit' || s.id || k))) as occurred_at,
       case when k = 1 then pg_temp.pick(array['/', '/', '/', '/pricing', '/blog/realtime-crm', '/features', '/docs'], pg_temp.rnd('entry' || s.id))
            else pg_temp.pick((select path from seed_pages), pg_temp.rnd('path' || s.id || k)) end as page
from seed_sessions s, generate_series(1, s.pages) k
union all
select o.i, 1, o.id, o.user_id, k, o.started_at + make_interval(secs => (k - 1) * 45),
       pg_temp.pick((select path from seed_pages), pg_temp.rnd('opath' || o.id || k))
from seed_online o, generate_series(1, o.pages) k;

create temp table seed_view_agg as
select v.session_id, count(*)::int as n, max(v.occurred_at) as last_at,
       (array_agg(v.page order by v.k desc))[1] as last_page, (array_agg(v.page order by v.k))[1] as entry_page
from seed_views v group by v.session_id;
create unique index on seed_view_agg (session_id);

-- funnel events, in order: signup in the first session, activated in the second (or the
-- first), payment in the third (or the last); a few seconds after that session's last page
create temp table seed_custom as
select s.i, s.id as session_id, s.user_id, e.name, lv.last_at + make_interval(secs => e.offset_s) as occurred_at
from seed_sessions s
join seed_users u on u.i = s.i
join seed_view_agg lv on lv.session_id = s.id
cross join lateral (values ('signup', 2, 1, 5), ('activated', 3, 2, 10), ('payment_success', 4, 3, 15)) e(name, stage, nth, offset_s)
where u.stage >= e.stage and s.j = least(e.nth, u.sessions);

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
       now(), now(), now(), now()
from seed_users u
cross join lateral (select
  pg_temp.pick(array['Anna', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Grace', 'Hugo', 'Iris', 'Jasper', 'Kim', 'Lars', 'Mila', 'Noah', 'Olivia', 'Pim', 'Roos', 'Sem', 'Tess', 'Vince'], pg_temp.rnd('fn' || u.i)) as first,
  pg_temp.pick(array['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'de Boer', 'Peters', 'Hendriks', 'Smith', 'Brown', 'Dubois', 'Müller'], pg_temp.rnd('ln' || u.i)) as last) n;

insert into crm.anonymous_ids (project_id, anonymous_id, user_id, created_at)
select '00000000-0000-4000-8000-000000000001', u.id, u.id, now() from seed_users u;

insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, ended_at, is_online, current_page,
                               current_page_since, entry_page, page_views, device_type, browser, os, country, referrer, utm)
select '00000000-0000-4000-8000-000000000001'::uuid, s.id, s.user_id, s.started_at,
       coalesce(greatest(v.last_at, c.last_at), s.started_at) + make_interval(secs => s.tail_s),
       coalesce(greatest(v.last_at, c.last_at), s.started_at) + make_interval(secs => s.tail_s),
       false, v.last_page, v.last_at, v.entry_page, v.n, d.device, d.browser, d.os,
       pg_temp.pick(array['NL', 'NL', 'NL', 'NL', 'BE', 'BE', 'DE', 'DE', 'GB', 'US', 'FR', 'ES'], s.country_r),
       r.referrer, r.utm
from seed_sessions s
join seed_view_agg v on v.session_id = s.id
left join (select c.session_id, max(c.occurred_at) as last_at from seed_custom c group by c.session_id) c on c.session_id = s.id
cross join lateral (select
  case when s.device_r < 0.55 then 'mobile' when s.device_r < 0.93 then 'desktop' else 'tablet' end as device,
  case when s.device_r < 0.55 then pg_temp.pick(array['Safari', 'Chrome', 'Chrome', 'Samsung Internet'], s.browser_r)
       when s.device_r < 0.93 then pg_temp.pick(array['Chrome', 'Chrome', 'Chrome', 'Firefox', 'Edge', 'Safari'], s.browser_r)
       else pg_temp.pick(array['Safari', 'Chrome'], s.browser_r) end as browser,
  case when s.device_r < 0.55 then pg_temp.pick(array['iOS', 'Android'], pg_temp.rnd('os' || s.i))
       when s.device_r < 0.93 then pg_temp.pick(array['Windows', 'Windows', 'macOS', 'Linux'], pg_temp.rnd('os' || s.i))
       else pg_temp.pick(array['iPadOS', 'Android'], pg_temp.rnd('os' || s.i)) end as os) d
cross join lateral (select x.referrer, x.utm from (values
  (null::text, null::jsonb), (null, null), (null, null),
  ('https://www.google.com/', null), ('https://www.google.com/', null), ('https://duckduckgo.com/', null),
  ('https://news.ycombinator.com/', null), ('https://www.linkedin.com/', '{"source": "linkedin", "medium": "social", "campaign": "launch"}'),
  ('https://twitter.com/', '{"source": "twitter", "medium": "social"}'), (null, '{"source": "newsletter", "medium": "email", "campaign": "november"}'))
  x(referrer, utm) offset floor(10 * pg_temp.rnd('ref' || s.id))::int limit 1) r
union all
select '00000000-0000-4000-8000-000000000001', o.id, o.user_id, o.started_at,
       now() - make_interval(secs => floor(50 * pg_temp.rnd('hb' || o.i))), null, true,
       v.last_page, v.last_at, v.entry_page, v.n,
       case when o.device_r < 0.55 then 'mobile' when o.device_r < 0.93 then 'desktop' else 'tablet' end,
       case when o.device_r < 0.55 then 'Safari' else 'Chrome' end,
       case when o.device_r < 0.55 then 'iOS' when o.device_r < 0.93 then 'Windows' else 'iPadOS' end,
       pg_temp.pick(array['NL', 'NL', 'BE', 'DE', 'GB', 'US'], o.country_r), null, null
from seed_online o
join seed_view_agg v on v.session_id = o.id;

insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page, properties)
select '00000000-0000-4000-8000-000000000001'::uuid, v.occurred_at, md5('seed-pv-' || v.session_id || '-' || v.k)::uuid,
       v.occurred_at, v.session_id, v.user_id, 'pageview', null, v.page, null
from seed_views v
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
from generate_series((now() at time zone 'UTC')::date - 36, (now() at time zone 'UTC')::date - 1, interval '1 day') d;
select crm.job_refresh_analytics();

analyze crm.site_users;
analyze crm.site_sessions;
analyze crm.user_events;

commit;
