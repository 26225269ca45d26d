-- Acquisition: where visitors come from. The channel rules, a rollup of one row per
-- user per active day with the dimensions of that day's first visit (what every
-- acquisition report, and later the retention reports, read), the filter contract the
-- reports share, and the reports by source, country and technology.

create type crm.channel as enum (
  'direct', 'organic_search', 'paid_search', 'social', 'email', 'ai_assistant', 'referral', 'other'
);
comment on type crm.channel is 'How a visit arrived; crm.channel_of decides it from the referrer host and the UTM tags.';

/** The host of a referrer (or origin) URL, lower case, without a leading "www."; null when there is none. */
create function crm.referrer_host(p_url text) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select nullif(regexp_replace(lower(substring(p_url from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)')),
                               '^www\.', ''), '')
$$;

/**
 * The channel of a visit from its referrer host (already without the site's own hosts)
 * and its UTM tags. The first rule that matches wins; API.md lists them.
 */
create function crm.channel_of(p_host text, p_utm jsonb) returns crm.channel
language sql immutable parallel safe
set search_path = ''
as $$
  select case
    when m ~ '^(cpc|ppc|sem|sea|paid[-_ ]?search)$' then 'paid_search'
    when m ~ '^(e[-_ ]?mail|newsletter)$'
      or h ~ '(^|\.)(mail\.google\.com|outlook\.live\.com|outlook\.office\.com|outlook\.office365\.com|mail\.yahoo\.com)$'
      then 'email'
    when h ~ '(^|\.)(chatgpt\.com|chat\.openai\.com|perplexity\.ai|gemini\.google\.com|bard\.google\.com|copilot\.microsoft\.com|claude\.ai|poe\.com|you\.com|phind\.com|deepseek\.com|meta\.ai|grok\.com|chat\.mistral\.ai)$'
      or s ~ '^(chatgpt(\.com)?|openai|perplexity(\.ai)?|gemini|copilot|claude(\.ai)?)$'
      then 'ai_assistant'
    when m ~ '^(social|social[-_ ]?(network|media)|sm|paid[-_ ]?social)$'
      or h ~ '(^|\.)(facebook\.com|fb\.com|instagram\.com|t\.co|twitter\.com|x\.com|linkedin\.com|lnkd\.in|reddit\.com|pinterest\.[a-z.]+|youtube\.com|youtu\.be|tiktok\.com|threads\.net|bsky\.app|mastodon\.social|news\.ycombinator\.com|t\.me|whatsapp\.com|quora\.com)$'
      then 'social'
    when m = 'organic'
      or h ~ '(^|\.)(google\.[a-z.]+|bing\.com|duckduckgo\.com|search\.yahoo\.com|yahoo\.com|yandex\.[a-z.]+|baidu\.com|ecosia\.org|search\.brave\.com|startpage\.com|qwant\.com|naver\.com|seznam\.cz)$'
      then 'organic_search'
    when h is null and m is null and s is null and c is null then 'direct'
    when h is not null or m = 'referral' then 'referral'
    else 'other'
  end::crm.channel
  from (select nullif(lower(p_utm ->> 'medium'), '') as m, nullif(lower(p_utm ->> 'source'), '') as s,
               nullif(p_utm ->> 'campaign', '') as c, p_host as h) x
$$;

/**
 * The page of a path: without its query string and hash, and without trailing slashes
 * except for "/" itself; case kept. The one owner of this rule.
 */
create function crm.normalize_path(p_path text) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select case when p_path is not null then coalesce(nullif(rtrim(substring(p_path from '^[^?#]*'), '/'), ''), '/') end
$$;

/**
 * A user's sample bucket, 0..63, from a hash of their id: the same for every day of the
 * user, so a report that reads the buckets below b counts distinct users over b/64 of
 * the users, exactly, and scales the counts by 64/b (crm.report_sample_buckets).
 */
create function crm.sample_bucket(p_user_id uuid) returns smallint
language sql immutable parallel safe
set search_path = ''
as $$ select (pg_catalog.uuid_hash_extended(p_user_id, 0) & 63)::smallint $$;

/** The lower bounds of the sample partitions of user_days and page_days: a report reads 1, 2, 4, … or all 64 buckets. */
create function crm.sample_bucket_bounds() returns integer[]
language sql immutable
set search_path = ''
as $$ select array[0, 1, 2, 4, 8, 16, 32, 64] $$;

/** Makes the sample partitions of a table partitioned by range (sample), with row level security on. */
create function crm.create_sample_partitions(p_table text) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_bounds integer[] := crm.sample_bucket_bounds();
  v_name text;
begin
  for i in 1 .. cardinality(v_bounds) - 1 loop
    v_name := p_table || '_s' || v_bounds[i];
    execute format('create table crm.%I partition of crm.%I for values from (%L) to (%L)', v_name, p_table,
                   v_bounds[i], v_bounds[i + 1]);
    execute format('alter table crm.%I enable row level security', v_name);
    execute format('comment on table crm.%I is %L', v_name,
                   format('The rows of crm.%s whose users are in sample buckets %s..%s.', p_table, v_bounds[i], v_bounds[i + 1] - 1));
  end loop;
end;
$$;
revoke execute on function crm.create_sample_partitions(text) from public;

create table crm.user_days (
  project_id uuid not null,
  day date not null,
  user_id uuid not null,
  sample smallint not null, -- crm.sample_bucket(user_id)
  channel crm.channel not null,
  referrer_host text,
  -- utm_source, else the referrer host: what the Sources report groups by
  source text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  country text,
  device_type text,
  browser text,
  os text,
  entry_page text, -- crm.normalize_path of the first session's entry page
  sessions integer not null,
  page_views integer not null,
  -- the funnel's step-2 event (signup) and last-step event (paid) that day
  signed_up boolean not null,
  paid boolean not null,
  -- the funnel steps done that day: bit k−1 for step k (a page-view step: a day with page views)
  steps integer not null,
  -- the user's first day (the UTC day of site_users.first_seen_at)
  new_user boolean not null,
  -- the user's current segment, on every one of their days (crm.site_users_segment_days)
  segment crm.segment not null,
  -- sample is a function of user_id: the key is (project_id, day, user_id)
  primary key (project_id, day, user_id, sample),
  foreign key (project_id, user_id) references crm.site_users (project_id, id) on delete cascade
) partition by range (sample);
comment on table crm.user_days is
  'One row per site user per UTC day with a session: the dimensions of that day''s first session (channel, source, UTM, country, device, browser, OS, entry page), its sessions and page views, and whether the user signed up or paid that day. Rebuilt from sessions by crm.refresh_user_days (every 5 minutes for today and yesterday, and when a merge moves sessions); read by every acquisition report. Partitioned by the user''s sample bucket, so a sampled report reads only its share.';
alter table crm.user_days enable row level security;
select crm.create_sample_partitions('user_days');
create index user_days_user_idx on crm.user_days (project_id, user_id, day);

/**
 * Trigger: a user's new segment goes onto all their days, so the segment filter is a
 * column like the others (a join on site_users per report cost seconds at a million users).
 */
create function crm.site_users_segment_days() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update crm.user_days d set segment = new.segment
  where d.project_id = new.project_id and d.user_id = new.id and d.sample = crm.sample_bucket(new.id);
  return null;
end;
$$;

create trigger site_users_segment_days
  after update of segment on crm.site_users
  for each row when (old.segment is distinct from new.segment)
  execute function crm.site_users_segment_days();

-- Each person's origin, kept by crm.refresh_user_days from their user_days.
alter table crm.site_users add column first_touch jsonb, add column last_touch jsonb;
comment on column crm.site_users.first_touch is
  'The user''s first known visit: {day, channel, referrer, source, utm_source, utm_medium, utm_campaign, country} of the first session of their first active day (within retention).';
comment on column crm.site_users.last_touch is
  'The same for the first session of the user''s latest active day.';

/** The origin of a user_days row as site_users.first_touch / last_touch store it. */
create function crm.user_day_touch(d crm.user_days) returns jsonb
language sql immutable
set search_path = ''
as $$
  select jsonb_build_object('day', d.day, 'channel', d.channel, 'referrer', d.referrer_host, 'source', d.source,
                            'utm_source', d.utm_source, 'utm_medium', d.utm_medium, 'utm_campaign', d.utm_campaign,
                            'country', d.country)
$$;

/**
 * Rebuilds the user_days rows of a project for UTC days p_from..p_to (all users, or
 * only p_users) from its sessions and the funnel's events, and moves the users' first
 * and last touch where those days change them. Only what changed is written: rows no
 * longer backed by a session are deleted, new ones inserted, changed ones updated (the
 * job rebuilds today every 5 minutes, and triggers on user_days see only real changes).
 * A week at a time: the week's rows are held in memory. Returns the rows of the days.
 * Called through crm.refresh_user_days, which keeps what hangs off these rows in step.
 */
create function crm.refresh_user_day_rows(p_project_id uuid, p_from date, p_to date, p_users uuid[] default null)
returns integer
language plpgsql
set search_path = ''
-- the days' rows are held in an array: planned with its length, not a guess of 10
set plan_cache_mode = force_custom_plan
as $$
declare
  v_fresh crm.user_days[];
  v_rows integer := 0;
  v_week date;
begin
  if p_to - p_from >= 7 then
    for v_week in select g::date from generate_series(p_from, p_to, interval '7 days') g loop
      v_rows := v_rows + crm.refresh_user_day_rows(p_project_id, v_week, least(v_week + 6, p_to), p_users);
    end loop;
    return v_rows;
  end if;

  with site as (
    -- A referrer on the site's own origins is a navigation inside it, not a source.
    select coalesce(array(select crm.referrer_host(o) from unnest(p.allowed_origins) o), '{}') as hosts
    from crm.projects p where p.id = p_project_id
  ), funnel as (
    select coalesce(bit_or(1 << (f.step_order - 1)) filter (where f.event_name = 'pageview'), 0) as pageview_mask,
           coalesce(max(f.step_order), 0) as last_step
    from crm.funnel_steps f where f.project_id = p_project_id
  ), step_masks as (
    -- the bits of the steps reached by a custom event of each name
    select f.event_name, bit_or(1 << (f.step_order - 1)) as mask
    from crm.funnel_steps f where f.project_id = p_project_id and f.event_name <> 'pageview'
    group by f.event_name
  ), visits as (
    select s.user_id, (s.started_at at time zone 'UTC')::date as day, s.started_at, s.id, s.page_views,
           s.entry_page, s.country, s.device_type, s.browser, s.os, s.utm,
           case when h.host = any (site.hosts) then null else h.host end as host
    from crm.site_sessions s
    cross join site
    cross join lateral (select crm.referrer_host(s.referrer) as host) h
    where s.project_id = p_project_id
      and s.started_at >= crm.utc_day_start(p_from) and s.started_at < crm.utc_day_start(p_to + 1)
      and (p_users is null or s.user_id = any (p_users))
  ), first_visits as (
    select distinct on (v.user_id, v.day) v.*
    from visits v
    order by v.user_id, v.day, v.started_at, v.id
  ), per_day as (
    select v.user_id, v.day, count(*)::integer as sessions, sum(v.page_views)::integer as page_views
    from visits v
    group by v.user_id, v.day
  ), conversions as (
    select e.user_id, (e.occurred_at at time zone 'UTC')::date as day, bit_or(m.mask) as steps
    from crm.user_events e
    join step_masks m on m.event_name = e.name
    where e.project_id = p_project_id and e.type = 'event'
      and e.occurred_at >= crm.utc_day_start(p_from) and e.occurred_at < crm.utc_day_start(p_to + 1)
      and (p_users is null or e.user_id = any (p_users))
    group by 1, 2
  )
  select coalesce(array_agg(row(p_project_id, d.day, d.user_id, crm.sample_bucket(d.user_id),
         crm.channel_of(f.host, f.utm),
         f.host,
         coalesce(nullif(lower(f.utm ->> 'source'), ''), f.host),
         nullif(lower(f.utm ->> 'source'), ''),
         nullif(lower(f.utm ->> 'medium'), ''),
         nullif(f.utm ->> 'campaign', ''),
         f.country, f.device_type, f.browser, f.os, crm.normalize_path(f.entry_page),
         d.sessions, d.page_views, (v.steps >> 1) & 1 = 1,
         funnel.last_step > 0 and (v.steps >> (funnel.last_step - 1)) & 1 = 1, v.steps,
         (u.first_seen_at at time zone 'UTC')::date = d.day, u.segment)::crm.user_days), '{}')
  into v_fresh
  from per_day d
  cross join funnel
  join first_visits f on f.user_id = d.user_id and f.day = d.day
  join crm.site_users u on u.project_id = p_project_id and u.id = d.user_id
  left join conversions c on c.user_id = d.user_id and c.day = d.day
  cross join lateral (
    select coalesce(c.steps, 0) | case when d.page_views > 0 then funnel.pageview_mask else 0 end as steps) v;

  delete from crm.user_days d
  where d.project_id = p_project_id and d.day between p_from and p_to
    and (p_users is null or d.user_id = any (p_users))
    and not exists (select from unnest(v_fresh) f where f.user_id = d.user_id and f.day = d.day);

  insert into crm.user_days as d
  select * from unnest(v_fresh)
  on conflict (project_id, day, user_id, sample) do update
  set (channel, referrer_host, source, utm_source, utm_medium, utm_campaign, country, device_type, browser, os,
       entry_page, sessions, page_views, signed_up, paid, steps, new_user, segment)
    = (excluded.channel, excluded.referrer_host, excluded.source, excluded.utm_source, excluded.utm_medium,
       excluded.utm_campaign, excluded.country, excluded.device_type, excluded.browser, excluded.os,
       excluded.entry_page, excluded.sessions, excluded.page_views, excluded.signed_up, excluded.paid,
       excluded.steps, excluded.new_user, excluded.segment)
  where d is distinct from excluded;

  -- Each user's origin: the first touch moves only to an earlier (or the same) day, the
  -- last touch only to a later (or the same) one.
  update crm.site_users u
  set first_touch = case when u.first_touch is null or (u.first_touch ->> 'day')::date >= t.first_day
                         then t.first_touch else u.first_touch end,
      last_touch = case when u.last_touch is null or (u.last_touch ->> 'day')::date <= t.last_day
                        then t.last_touch else u.last_touch end
  from (
    select d.user_id,
           min(d.day) as first_day, max(d.day) as last_day,
           (array_agg(crm.user_day_touch(d) order by d.day))[1] as first_touch,
           (array_agg(crm.user_day_touch(d) order by d.day desc))[1] as last_touch
    from crm.user_days d
    where d.project_id = p_project_id and d.day between p_from and p_to
      and (p_users is null or d.user_id = any (p_users))
    group by d.user_id
  ) t
  where u.project_id = p_project_id and u.id = t.user_id
    and (u.first_touch is distinct from t.first_touch or u.last_touch is distinct from t.last_touch);
  return cardinality(v_fresh);
end;
$$;

/**
 * Rebuilds a project's user_days for UTC days p_from..p_to (all users, or only p_users)
 * and what is derived from them; returns the user_days rows of those days. What the jobs, the
 * merge trigger and the seed call.
 */
create function crm.refresh_user_days(p_project_id uuid, p_from date, p_to date, p_users uuid[] default null)
returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.refresh_user_day_rows(p_project_id, p_from, p_to, p_users);
end;
$$;

/** Trigger: a merge that moves sessions to another user rebuilds both users' days. */
create function crm.site_sessions_user_days() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_day date := (new.started_at at time zone 'UTC')::date;
begin
  perform crm.refresh_user_days(new.project_id, v_day, v_day, array[old.user_id, new.user_id]);
  return null;
end;
$$;

create trigger site_sessions_user_days
  after update of user_id on crm.site_sessions
  for each row when (old.user_id is distinct from new.user_id)
  execute function crm.site_sessions_user_days();

/**
 * Rebuilds today's and yesterday's user_days of every project with a session since
 * yesterday (a session's page views grow after it started; late events land on
 * yesterday) and its due presets (crm.refresh_acquisition_rollup), and drops rows older
 * than the project's retention_days. Returns the user_days rows of those days.
 */
create function crm.refresh_recent_user_days() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_today date := crm.utc_today();
  v_project uuid;
  v_rows integer := 0;
begin
  for v_project in
    select p.id from crm.projects p
    where exists (select from crm.site_sessions s where s.project_id = p.id
                    and s.started_at >= crm.utc_day_start(v_today - 1))
  loop
    v_rows := v_rows + crm.refresh_user_days(v_project, v_today - 1, v_today);
    perform crm.refresh_acquisition_rollup(v_project);
  end loop;
  delete from crm.user_days d using crm.projects p
  where p.id = d.project_id and d.day < v_today - crm.project_setting_int(p.id, 'retention_days');
  return v_rows;
end;
$$;

/** The crm-user-days job, every 5 minutes: the recent days (crm.refresh_recent_user_days). */
create function crm.job_user_days() returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.refresh_recent_user_days();
end;
$$;

select crm.schedule_job('crm-user-days', '*/5 * * * *', 'select crm.job_user_days()');

-- What is already stored gets its rows now.
select crm.refresh_user_days(p.id, (min(s.started_at) at time zone 'UTC')::date, crm.utc_today())
from crm.projects p join crm.site_sessions s on s.project_id = p.id
group by p.id;

-- ---------------------------------------------------------------------------
-- The filter contract of every report: p_from, p_to (UTC dates, both included) and
-- p_filter, a JSON object of exact matches.
-- ---------------------------------------------------------------------------

/** The keys p_filter may hold. */
create function crm.report_filter_keys() returns text[]
language sql immutable
set search_path = ''
as $$ select array['segment', 'channel', 'source', 'campaign', 'country', 'device', 'browser', 'page'] $$;

/**
 * Raises 22023 naming the problem unless p_value (the parameter p_param) is a JSON object
 * whose keys are among p_keys and whose values are strings; p_label names one key in
 * the messages ("filter", "origin filter"). Every filter object of the API goes through it.
 */
create function crm.check_filter_object(p_value jsonb, p_param text, p_label text, p_keys text[]) returns void
language plpgsql immutable
set search_path = ''
as $$
declare
  v_key text;
begin
  if p_value is null or jsonb_typeof(p_value) <> 'object' then
    raise exception '% must be a JSON object', p_param using errcode = '22023';
  end if;
  for v_key in select k from jsonb_object_keys(p_value) k loop
    if not v_key = any (p_keys) then
      raise exception 'unknown % "%"; %s are %', p_label, v_key, p_label, array_to_string(p_keys, ', ')
        using errcode = '22023';
    end if;
    if jsonb_typeof(p_value -> v_key) <> 'string' then
      raise exception '% "%" must be a string', p_label, v_key using errcode = '22023';
    end if;
  end loop;
end;
$$;

/**
 * Raises 22023 with a message naming the problem when a report's range or filter is not
 * valid: both dates given, from ≤ to, at most 366 days, a JSON object whose keys are
 * crm.report_filter_keys() and whose values are strings.
 */
create function crm.check_report_args(p_from date, p_to date, p_filter jsonb) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null then
    raise exception 'p_from and p_to are required' using errcode = '22023';
  end if;
  if p_from > p_to then
    raise exception 'p_from (%) is after p_to (%)', p_from, p_to using errcode = '22023';
  end if;
  if p_to - p_from >= 366 then
    raise exception 'a range covers at most 366 days (got %)', p_to - p_from + 1 using errcode = '22023';
  end if;
  perform crm.check_filter_object(p_filter, 'p_filter', 'filter', crm.report_filter_keys());
  if p_filter ? 'channel' and not (p_filter ->> 'channel') = any (crm.enum_labels('crm.channel')) then
    raise exception 'unknown channel "%"; channels are %', p_filter ->> 'channel',
      array_to_string(crm.enum_labels('crm.channel'), ', ') using errcode = '22023';
  end if;
  if p_filter ? 'segment' and not (p_filter ->> 'segment') = any (crm.enum_labels('crm.segment')) then
    raise exception 'unknown segment "%"; segments are %', p_filter ->> 'segment',
      array_to_string(crm.enum_labels('crm.segment'), ', ') using errcode = '22023';
  end if;
end;
$$;

/**
 * The user_days rows of a range that pass a filter (page = the day's entry page;
 * segment = the user's current segment), of the users in sample buckets below p_buckets
 * (64: every user).
 */
create function crm.filtered_user_days(p_project_id uuid, p_from date, p_to date, p_filter jsonb,
                                       p_buckets integer default 64)
returns setof crm.user_days
language sql stable
-- No SET clause, so that the planner inlines it into the report's query (every name is
-- qualified). The report RPCs plan each call afresh (plan_cache_mode, set at the end of
-- the report contract migration), so a key the filter lacks folds away and the others
-- are plain comparisons the planner can estimate.
as $$
  select d.*
  from crm.user_days d
  where d.project_id = p_project_id and d.day between p_from and p_to and d.sample < p_buckets
    and (p_filter ->> 'channel' is null or d.channel = (p_filter ->> 'channel')::crm.channel)
    and (p_filter ->> 'source' is null or d.source = p_filter ->> 'source')
    and (p_filter ->> 'campaign' is null or d.utm_campaign = p_filter ->> 'campaign')
    and (p_filter ->> 'country' is null or d.country = p_filter ->> 'country')
    and (p_filter ->> 'device' is null or d.device_type = p_filter ->> 'device')
    and (p_filter ->> 'browser' is null or d.browser = p_filter ->> 'browser')
    and (p_filter ->> 'page' is null or d.entry_page = crm.normalize_path(p_filter ->> 'page'))
    and (p_filter ->> 'segment' is null or d.segment = (p_filter ->> 'segment')::crm.segment)
$$;

/**
 * What a live report may cost, in rows it counts: about 1 µs each at a million users (a
 * row it only reads and skips costs a fifth of that), so a sampled report stays near 100 ms.
 */
create function crm.report_row_budget() returns integer
language sql immutable
set search_path = ''
as $$ select 100000 $$;

/**
 * How many sample buckets (of 64) a report reads: all of them when the rows it counts
 * (p_counted) and the rows it reads to find them (p_read, a fifth as dear) fit
 * crm.report_row_budget(), else the largest partition bound whose share fits, at least 1.
 * Both are the counts in bucket 0 (1/64 of the users), which costs 1/64 of the read to learn.
 */
create function crm.report_sample_buckets(p_counted bigint, p_read bigint) returns integer
language sql immutable
set search_path = ''
as $$
  select coalesce(max(b), 1)
  from unnest(crm.sample_bucket_bounds()) b
  where b >= 1 and (p_counted + p_read / 5.0) * b <= crm.report_row_budget()
$$;

/** The share of the users p_buckets sample buckets hold: 1, 0.5, … 0.015625. */
create function crm.sample_rate(p_buckets integer) returns numeric
language sql immutable parallel safe
set search_path = ''
as $$ select trim_scale(p_buckets::numeric / 64) $$;

/** A count over the users of p_buckets sample buckets, scaled to all 64. */
create function crm.sample_scale(p_count numeric, p_buckets integer) returns integer
language sql immutable parallel safe
set search_path = ''
as $$ select round(p_count * 64 / p_buckets)::integer $$;

/**
 * Breakdowns of the range, and of the previous range of equal length, by dimensions of
 * crm.user_days: per dimension and value, visitors (distinct users), sessions, signups
 * and paying users (distinct users who did the funnel's step-2 / last-step event on a
 * day of the range), and new visitors (first seen on a day of the range); dimension
 * 'total' has one row (value null) for everyone. Over the users of sample buckets below
 * p_buckets, scaled to all users. Unordered; the one place these figures are counted.
 */
create function crm.user_days_breakdowns(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_dimensions text[],
                                         p_buckets integer default 64)
returns table (dimension text, value text, visitors integer, sessions integer, signups integer, paying integer,
               prev_visitors integer, prev_sessions integer, prev_signups integer, prev_paying integer,
               new_visitors integer, prev_new_visitors integer)
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$
  with tagged as (
    select x.dim, case x.dim
             when 'channel' then d.channel::text
             when 'source' then d.source
             when 'referrer' then d.referrer_host
             when 'utm_source' then d.utm_source
             when 'utm_medium' then d.utm_medium
             when 'utm_campaign' then d.utm_campaign
             when 'country' then d.country
             when 'device' then d.device_type
             when 'browser' then d.browser
             when 'os' then d.os
           end as value,
           d.day >= p_from as current, d.user_id, d.sessions, d.signed_up, d.paid, d.new_user
    from crm.filtered_user_days(p_project_id, p_from - (p_to - p_from + 1), p_to, p_filter, p_buckets) d
    cross join unnest(p_dimensions) x(dim)
  ), per_user as (
    -- One row per value and user first: one hash aggregate instead of a sort per
    -- distinct count.
    select t.dim, t.value,
           bool_or(t.current) as cur, bool_or(not t.current) as prev,
           coalesce(sum(t.sessions) filter (where t.current), 0) as cur_sessions,
           coalesce(sum(t.sessions) filter (where not t.current), 0) as prev_sessions,
           bool_or(t.current and t.signed_up) as cur_signup, bool_or(not t.current and t.signed_up) as prev_signup,
           bool_or(t.current and t.paid) as cur_paid, bool_or(not t.current and t.paid) as prev_paid,
           bool_or(t.current and t.new_user) as cur_new, bool_or(not t.current and t.new_user) as prev_new
    from tagged t
    group by t.dim, t.value, t.user_id
  )
  select u.dim, u.value,
         crm.sample_scale(count(*) filter (where u.cur), p_buckets),
         crm.sample_scale(sum(u.cur_sessions), p_buckets),
         crm.sample_scale(count(*) filter (where u.cur_signup), p_buckets),
         crm.sample_scale(count(*) filter (where u.cur_paid), p_buckets),
         crm.sample_scale(count(*) filter (where u.prev), p_buckets),
         crm.sample_scale(sum(u.prev_sessions), p_buckets),
         crm.sample_scale(count(*) filter (where u.prev_signup), p_buckets),
         crm.sample_scale(count(*) filter (where u.prev_paid), p_buckets),
         crm.sample_scale(count(*) filter (where u.cur_new), p_buckets),
         crm.sample_scale(count(*) filter (where u.prev_new), p_buckets)
  from per_user u
  group by u.dim, u.value
$$;

/** Every dimension a report can group by. */
create function crm.report_dimensions() returns text[]
language sql immutable
set search_path = ''
as $$ select array['channel', 'source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'country', 'device',
                   'browser', 'os', 'total'] $$;

/** The ranges that are kept ready: today, and the last 7, 30 and 90 days, each ending today. */
create function crm.report_preset_days() returns integer[]
language sql immutable
set search_path = ''
as $$ select array[1, 7, 30, 90] $$;

/**
 * How often a preset range is recomputed. A long range costs more (at a million users
 * the 90 days took over a minute) and moves less in an hour, so it is refreshed less often.
 */
create function crm.report_preset_interval(p_days integer) returns interval
language sql immutable
set search_path = ''
as $$ select case when p_days <= 7 then interval '5 minutes' when p_days <= 30 then interval '30 minutes' else interval '3 hours' end $$;

/**
 * Whether a preset range computed at p_computed_at (null: never) is due again: past its
 * interval less a minute (so the 5-minute job keeps its rhythm), or computed before today.
 */
create function crm.report_preset_due(p_computed_at timestamptz, p_days integer) returns boolean
language sql stable
set search_path = ''
as $$
  select p_computed_at is null
      or p_computed_at <= now() - crm.report_preset_interval(p_days) + interval '1 minute'
      or (p_computed_at at time zone 'UTC')::date <> crm.utc_today()
$$;

/** Whether a preset computed at p_computed_at may still be read: today's, at most its interval plus 10 minutes old. */
create function crm.report_preset_readable(p_computed_at timestamptz, p_days integer) returns boolean
language sql stable
set search_path = ''
as $$
  select p_computed_at >= now() - crm.report_preset_interval(p_days) - interval '10 minutes'
     and (p_computed_at at time zone 'UTC')::date = crm.utc_today()
$$;

/**
 * Whether a preset rollup computed at p_computed_at (null: none) may answer a report of
 * p_from..p_to with p_filter: no filter, a preset range ending today, and still readable.
 */
create function crm.preset_rollup_readable(p_from date, p_to date, p_filter jsonb, p_computed_at timestamptz)
returns boolean
language sql stable
set search_path = ''
as $$
  select p_filter = '{}' and p_to = crm.utc_today() and (p_to - p_from + 1) = any (crm.report_preset_days())
     and coalesce(crm.report_preset_readable(p_computed_at, p_to - p_from + 1), false)
$$;

create table crm.acquisition_rollup (
  project_id uuid not null references crm.projects (id) on delete cascade,
  range_days integer not null,
  dimension text not null,
  value text,
  visitors integer not null,
  sessions integer not null,
  signups integer not null,
  paying integer not null,
  prev_visitors integer not null,
  prev_sessions integer not null,
  prev_signups integer not null,
  prev_paying integer not null,
  new_visitors integer not null,
  prev_new_visitors integer not null,
  computed_at timestamptz not null
);
create index acquisition_rollup_idx on crm.acquisition_rollup (project_id, range_days, dimension);
comment on table crm.acquisition_rollup is
  'The preset ranges (crm.report_preset_days, ending today) without a filter, per project: every breakdown of crm.user_days_breakdowns (and, from the report contract on, each funnel step as dimension funnel); rewritten by crm.write_preset when due (crm.refresh_acquisition_rollup, every 5 minutes), so the preset reports read a few rows.';
alter table crm.acquisition_rollup enable row level security;

/** Rewrites a project's breakdowns of the preset range of p_days days ending today; returns the rows written. */
create function crm.write_preset_breakdowns(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  delete from crm.acquisition_rollup r
  where r.project_id = p_project_id and r.range_days = p_days and r.dimension = any (crm.report_dimensions());
  insert into crm.acquisition_rollup
  select p_project_id, p_days, b.*, now()
  from crm.user_days_breakdowns(p_project_id, crm.utc_today() - (p_days - 1), crm.utc_today(), '{}', crm.report_dimensions()) b;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

/** Rewrites everything kept for a project's preset range of p_days days; returns the rows written. */
create function crm.write_preset(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.write_preset_breakdowns(p_project_id, p_days);
end;
$$;

/**
 * Rewrites a project's presets that are due (crm.report_preset_due, by the time their
 * breakdowns were written), or all with p_force; returns the rows written.
 */
create function crm.refresh_acquisition_rollup(p_project_id uuid, p_force boolean default false) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_days integer;
  v_rows integer := 0;
begin
  foreach v_days in array crm.report_preset_days() loop
    continue when not p_force and not crm.report_preset_due(
      (select max(r.computed_at) from crm.acquisition_rollup r
       where r.project_id = p_project_id and r.range_days = v_days and r.dimension = any (crm.report_dimensions())), v_days);
    v_rows := v_rows + crm.write_preset(p_project_id, v_days);
  end loop;
  return v_rows;
end;
$$;

/** A figure's change against the previous one in %, one decimal; null when the previous was 0. */
create function crm.change_pct(p_value numeric, p_previous numeric) returns numeric
language sql immutable
set search_path = ''
as $$ select case when p_previous <> 0 then round(100.0 * (p_value - p_previous) / p_previous, 1) end $$;

/**
 * The sample buckets a live report over user_days reads (crm.report_sample_buckets): it
 * counts the rows of its range and previous range that pass the filter, and reads every
 * row of those days.
 */
create function crm.user_days_sample_buckets(p_project_id uuid, p_from date, p_to date, p_filter jsonb) returns integer
language sql stable
set search_path = ''
as $$
  select crm.report_sample_buckets(
    (select count(*) from crm.filtered_user_days(p_project_id, p_from - (p_to - p_from + 1), p_to, p_filter, 1)),
    (select count(*) from crm.user_days d
     where d.project_id = p_project_id and d.day between p_from - (p_to - p_from + 1) and p_to and d.sample < 1))
$$;

/**
 * One report: from crm.acquisition_rollup for a preset range ending today without a
 * filter when it was computed today and is at most its refresh interval plus 10 minutes
 * old, else computed live, over a sample of the users when the range and filter hold
 * more rows than crm.report_row_budget() (sample_rate: the share read; 1 = exact). Most
 * visitors first, then most previous visitors, then by value. visitors_change_pct is the
 * change against the previous range in %, one decimal, as get_crm_metrics rounds it; null
 * when that had none.
 */
create function crm.acquisition_report(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_dimension text,
                                       p_limit integer)
returns table (value text, visitors integer, sessions integer, signups integer, paying integer,
               prev_visitors integer, prev_sessions integer, prev_signups integer, prev_paying integer,
               visitors_change_pct numeric, sample_rate numeric, new_visitors integer, prev_new_visitors integer)
language plpgsql stable
set search_path = ''
as $$
declare
  v_buckets integer;
begin
  if crm.preset_rollup_readable(p_from, p_to, p_filter,
       (select max(r.computed_at) from crm.acquisition_rollup r
        where r.project_id = p_project_id and r.range_days = p_to - p_from + 1 and r.dimension = p_dimension)) then
    return query
    select r.value, r.visitors, r.sessions, r.signups, r.paying, r.prev_visitors, r.prev_sessions, r.prev_signups, r.prev_paying,
           crm.change_pct(r.visitors, r.prev_visitors), crm.sample_rate(64), r.new_visitors, r.prev_new_visitors
    from crm.acquisition_rollup r
    where r.project_id = p_project_id and r.range_days = p_to - p_from + 1 and r.dimension = p_dimension
    order by r.visitors desc, r.prev_visitors desc, r.value nulls last
    limit p_limit;
  else
    v_buckets := crm.user_days_sample_buckets(p_project_id, p_from, p_to, p_filter);
    return query
    select b.value, b.visitors, b.sessions, b.signups, b.paying, b.prev_visitors, b.prev_sessions, b.prev_signups, b.prev_paying,
           crm.change_pct(b.visitors, b.prev_visitors), crm.sample_rate(v_buckets), b.new_visitors, b.prev_new_visitors
    from crm.user_days_breakdowns(p_project_id, p_from, p_to, p_filter, array[p_dimension], v_buckets) b
    order by b.visitors desc, b.prev_visitors desc, b.value nulls last
    limit p_limit;
  end if;
end;
$$;

/** Raises 22023 unless p_dimension is one of p_allowed, and p_limit is 1..1000. */
create function crm.check_report_dimension(p_dimension text, p_allowed text[], p_limit integer) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_dimension is null or not p_dimension = any (p_allowed) then
    raise exception 'p_dimension must be one of % (got %)', array_to_string(p_allowed, ', '), coalesce(p_dimension, 'null')
      using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_limit must be between 1 and 1000' using errcode = '22023';
  end if;
end;
$$;

/**
 * Traffic sources of a range: by channel, source (utm_source, else referrer domain),
 * referrer domain, or UTM source / medium / campaign, with the previous range beside.
 */
create function public.get_traffic_sources(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                           p_dimension text default 'channel', p_limit integer default 100)
returns table (value text, visitors integer, sessions integer, signups integer, paying integer,
               prev_visitors integer, prev_sessions integer, prev_signups integer, prev_paying integer,
               visitors_change_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_report_dimension(p_dimension,
    array['channel', 'source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign'], p_limit);
  return query
  select b.value, b.visitors, b.sessions, b.signups, b.paying, b.prev_visitors, b.prev_sessions, b.prev_signups,
         b.prev_paying, b.visitors_change_pct, b.sample_rate
  from crm.acquisition_report(p_project_id, p_from, p_to, p_filter, p_dimension, p_limit) b;
end;
$$;
grant execute on function public.get_traffic_sources(uuid, date, date, jsonb, text, integer) to authenticated, service_role;

/** Visitors by country (ISO 3166-1 alpha-2; null = unknown), with sessions and paying users. */
create function public.get_geo_breakdown(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                         p_limit integer default 300)
returns table (country text, visitors integer, sessions integer, conversions integer, prev_visitors integer,
               visitors_change_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_report_dimension('country', array['country'], p_limit);
  return query
  select b.value, b.visitors, b.sessions, b.paying, b.prev_visitors, b.visitors_change_pct, b.sample_rate
  from crm.acquisition_report(p_project_id, p_from, p_to, p_filter, 'country', p_limit) b;
end;
$$;
grant execute on function public.get_geo_breakdown(uuid, date, date, jsonb, integer) to authenticated, service_role;

/** Visitors by device type, browser or operating system, with the previous range beside. */
create function public.get_tech_breakdown(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                          p_dimension text default 'device', p_limit integer default 100)
returns table (value text, visitors integer, sessions integer, prev_visitors integer, visitors_change_pct numeric,
               sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_report_dimension(p_dimension, array['device', 'browser', 'os'], p_limit);
  return query
  select b.value, b.visitors, b.sessions, b.prev_visitors, b.visitors_change_pct, b.sample_rate
  from crm.acquisition_report(p_project_id, p_from, p_to, p_filter, p_dimension, p_limit) b;
end;
$$;
grant execute on function public.get_tech_breakdown(uuid, date, date, jsonb, text, integer) to authenticated, service_role;

-- The preset breakdowns of what is already stored.
select crm.refresh_acquisition_rollup(p.id, true) from crm.projects p;

