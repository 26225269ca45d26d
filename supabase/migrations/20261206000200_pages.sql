-- Pages: which pages visitors view. A rollup of one row per user per day per page (kept
-- in step with crm.user_days by crm.refresh_user_days), its preset rollup (written with
-- the other presets by crm.write_preset), and the report get_top_pages under the
-- acquisition filter contract.

-- crm.normalize_path (the page of a path) lives in the acquisition migration: user_days
-- stores its entry page normalised too.
create table crm.page_days (
  project_id uuid not null,
  day date not null,
  user_id uuid not null,
  sample smallint not null, -- crm.sample_bucket(user_id), as on user_days
  -- crm.normalize_path of the page view's path
  path text not null,
  views integer not null,
  -- sessions of the day that began / ended on this page
  entries integer not null,
  exits integer not null,
  -- the views' time on the page, each rounded to whole seconds as get_site_user_detail shows it
  seconds integer not null,
  primary key (project_id, day, user_id, path, sample),
  -- A user-day's pages go with its user_days row: retention, a merge's rebuild and a
  -- deleted user all drop them through this.
  foreign key (project_id, day, user_id, sample) references crm.user_days (project_id, day, user_id, sample) on delete cascade
) partition by range (sample);
comment on table crm.page_days is
  'One row per site user per UTC day per page (crm.normalize_path) viewed in a session started that day: views, sessions entering and leaving there, seconds on the page. Rebuilt with crm.user_days by crm.refresh_user_days; read by get_top_pages. Partitioned by the user''s sample bucket, as user_days.';
alter table crm.page_days enable row level security;
select crm.create_sample_partitions('page_days');

/**
 * Rebuilds the page_days rows of a project for UTC days p_from..p_to (all users, or only
 * p_users) from the page views of the sessions started on those days. A page's time runs
 * until the session's next page view, for the last one until the session's end (or last
 * activity). Needs the days' user_days rows: call it through crm.refresh_user_days.
 */
create function crm.refresh_page_days(p_project_id uuid, p_from date, p_to date, p_users uuid[] default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_until timestamptz;
  v_rows integer;
begin
  delete from crm.page_days d
  where d.project_id = p_project_id and d.day between p_from and p_to
    and (p_users is null or d.user_id = any (p_users));

  -- Sessions run past p_to: read their page views up to their end (a bound for the partitions).
  select max(greatest(s.last_activity_at, s.ended_at)) + interval '5 minutes' into v_until
  from crm.site_sessions s
  where s.project_id = p_project_id
    and s.started_at >= crm.utc_day_start(p_from) and s.started_at < crm.utc_day_start(p_to + 1)
    and (p_users is null or s.user_id = any (p_users));
  if v_until is null then
    return 0;
  end if;

  with s as (
    select s.id, s.user_id, (s.started_at at time zone 'UTC')::date as day, coalesce(s.ended_at, s.last_activity_at) as end_at
    from crm.site_sessions s
    where s.project_id = p_project_id
      and s.started_at >= crm.utc_day_start(p_from) and s.started_at < crm.utc_day_start(p_to + 1)
      and (p_users is null or s.user_id = any (p_users))
  ), pv as (
    select s.user_id, s.day, crm.normalize_path(e.page) as path,
           lag(e.occurred_at) over w is null as is_entry,
           lead(e.occurred_at) over w is null as is_exit,
           round(extract(epoch from greatest(
             coalesce(lead(e.occurred_at) over w, greatest(s.end_at, e.occurred_at)) - e.occurred_at, interval '0')))
             as seconds
    from crm.user_events e
    join s on s.id = e.session_id
    where e.project_id = p_project_id and e.type = 'pageview'
      -- a minute of slack: clock-skew correction may put a first view just before the session start
      and e.occurred_at >= crm.utc_day_start(p_from) - interval '1 minute' and e.occurred_at < v_until
      -- a merge moves sessions before their events: p_users holds both users
      and (p_users is null or e.user_id = any (p_users))
    window w as (partition by e.session_id order by e.occurred_at, e.id)
  )
  insert into crm.page_days (project_id, day, user_id, sample, path, views, entries, exits, seconds)
  select p_project_id, pv.day, pv.user_id, crm.sample_bucket(pv.user_id), pv.path, count(*)::integer,
         count(*) filter (where pv.is_entry)::integer, count(*) filter (where pv.is_exit)::integer,
         sum(pv.seconds)::integer
  from pv
  where pv.path is not null
  group by pv.day, pv.user_id, pv.path;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

/** crm.refresh_user_days now rebuilds the days' page_days too. */
create or replace function crm.refresh_user_days(p_project_id uuid, p_from date, p_to date, p_users uuid[] default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  v_rows := crm.refresh_user_day_rows(p_project_id, p_from, p_to, p_users);
  perform crm.refresh_page_days(p_project_id, p_from, p_to, p_users);
  return v_rows;
end;
$$;

/**
 * The page_days rows of the range and the previous range that pass a filter: its
 * user-day keys select user_days rows, its page selects the page. Users of sample buckets
 * below p_buckets.
 */
create function crm.filtered_page_days(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_buckets integer)
returns setof crm.page_days
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified). The reports
-- plan each call with its arguments, so one branch folds away: without user-day keys no
-- user_days are read.
as $$
  select p.*
  from crm.page_days p
  where p_filter - 'page' = '{}'
    and p.project_id = p_project_id and p.day between p_from and p_to and p.sample < p_buckets
    and (p_filter ->> 'page' is null or p.path = crm.normalize_path(p_filter ->> 'page'))
  union all
  select p.*
  from crm.page_days p
  join crm.filtered_user_days(p_project_id, p_from, p_to, p_filter - 'page', p_buckets) d
    on d.day = p.day and d.user_id = p.user_id and d.sample = p.sample
  where p_filter - 'page' <> '{}'
    and p.project_id = p_project_id and p.day between p_from and p_to and p.sample < p_buckets
    and (p_filter ->> 'page' is null or p.path = crm.normalize_path(p_filter ->> 'page'))
$$;

/**
 * The sample buckets a live page report reads (crm.report_sample_buckets): a page row
 * costs about twice a user_days row to count; it reads the days' page rows.
 */
create function crm.page_days_sample_buckets(p_project_id uuid, p_from date, p_to date, p_filter jsonb) returns integer
language sql stable
set search_path = ''
as $$
  select crm.report_sample_buckets(
    2 * (select count(*) from crm.filtered_page_days(p_project_id, p_from - (p_to - p_from + 1), p_to, p_filter, 1)),
    (select count(*) from crm.page_days p
     where p.project_id = p_project_id and p.day between p_from - (p_to - p_from + 1) and p_to and p.sample < 1))
$$;

/**
 * Pages of the range, and of the previous range of equal length, from crm.page_days:
 * views, distinct visitors, entries, exits and the average seconds on the page (one
 * decimal). p_filter's user-day keys select user_days rows; its page selects the page.
 * Over the users of sample buckets below p_buckets, scaled to all users. Pages with views
 * in either range; unordered. The one place these figures are counted.
 */
create function crm.page_breakdown(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_buckets integer default 64)
returns table (page text, views integer, visitors integer, entries integer, exits integer, avg_seconds numeric,
               prev_views integer, prev_visitors integer)
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$
  with per_user as (
    -- One row per page and user first, so visitors is a count, not a distinct count.
    select r.path, bool_or(r.day >= p_from) as cur, bool_or(r.day < p_from) as prev,
           coalesce(sum(r.views) filter (where r.day >= p_from), 0) as views,
           coalesce(sum(r.views) filter (where r.day < p_from), 0) as prev_views,
           coalesce(sum(r.entries) filter (where r.day >= p_from), 0) as entries,
           coalesce(sum(r.exits) filter (where r.day >= p_from), 0) as exits,
           coalesce(sum(r.seconds) filter (where r.day >= p_from), 0) as seconds
    from crm.filtered_page_days(p_project_id, p_from - (p_to - p_from + 1), p_to, p_filter, p_buckets) r
    group by r.path, r.user_id
  )
  select u.path, crm.sample_scale(sum(u.views), p_buckets), crm.sample_scale(count(*) filter (where u.cur), p_buckets),
         crm.sample_scale(sum(u.entries), p_buckets), crm.sample_scale(sum(u.exits), p_buckets),
         round(sum(u.seconds) / nullif(sum(u.views), 0), 1),
         crm.sample_scale(sum(u.prev_views), p_buckets), crm.sample_scale(count(*) filter (where u.prev), p_buckets)
  from per_user u
  group by u.path
$$;

create table crm.page_rollup (
  project_id uuid not null references crm.projects (id) on delete cascade,
  range_days integer not null,
  page text not null,
  views integer not null,
  visitors integer not null,
  entries integer not null,
  exits integer not null,
  avg_seconds numeric,
  prev_views integer not null,
  prev_visitors integer not null,
  computed_at timestamptz not null
);
create index page_rollup_idx on crm.page_rollup (project_id, range_days);
comment on table crm.page_rollup is
  'crm.page_breakdown for the preset ranges (crm.report_preset_days, ending today) without a filter, per project; rewritten every 5 minutes with crm.acquisition_rollup, so a preset get_top_pages reads a few rows.';
alter table crm.page_rollup enable row level security;

/** Rewrites a project's page breakdown of the preset range of p_days days ending today; returns the rows written. */
create function crm.write_preset_pages(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  delete from crm.page_rollup r where r.project_id = p_project_id and r.range_days = p_days;
  insert into crm.page_rollup
  select p_project_id, p_days, b.*, now()
  from crm.page_breakdown(p_project_id, crm.utc_today() - (p_days - 1), crm.utc_today(), '{}') b;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

/** A preset now holds its pages too. */
create or replace function crm.write_preset(p_project_id uuid, p_days integer) returns integer
language plpgsql
set search_path = ''
as $$
begin
  return crm.write_preset_breakdowns(p_project_id, p_days) + crm.write_preset_pages(p_project_id, p_days);
end;
$$;

/**
 * The pages of a range: per page (crm.normalize_path) views, visitors, entries, exits and
 * average seconds on the page, with the previous range's views and visitors beside and
 * the visitors' change in %. Most visitors first, then views, then page (byte order). A preset range
 * without a filter reads crm.page_rollup as crm.acquisition_report reads its rollup; any
 * other reads a sample of the users when its rows exceed crm.report_row_budget()
 * (sample_rate: the share read; 1 = exact).
 */
create function public.get_top_pages(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                     p_limit integer default 100)
returns table (page text, views integer, visitors integer, entries integer, exits integer, avg_seconds numeric,
               prev_views integer, prev_visitors integer, visitors_change_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_report_dimension('page', array['page'], p_limit);
  if crm.preset_rollup_readable(p_from, p_to, p_filter,
       (select max(r.computed_at) from crm.page_rollup r
        where r.project_id = p_project_id and r.range_days = p_to - p_from + 1)) then
    return query
    select r.page, r.views, r.visitors, r.entries, r.exits, r.avg_seconds, r.prev_views, r.prev_visitors,
           crm.change_pct(r.visitors, r.prev_visitors), crm.sample_rate(64)
    from crm.page_rollup r
    where r.project_id = p_project_id and r.range_days = p_to - p_from + 1
    order by r.visitors desc, r.views desc, r.page collate "C"
    limit p_limit;
  else
    v_buckets := crm.page_days_sample_buckets(p_project_id, p_from, p_to, p_filter);
    return query
    select b.page, b.views, b.visitors, b.entries, b.exits, b.avg_seconds, b.prev_views, b.prev_visitors,
           crm.change_pct(b.visitors, b.prev_visitors), crm.sample_rate(v_buckets)
    from crm.page_breakdown(p_project_id, p_from, p_to, p_filter, v_buckets) b
    order by b.visitors desc, b.views desc, b.page collate "C"
    limit p_limit;
  end if;
end;
$$;
grant execute on function public.get_top_pages(uuid, date, date, jsonb, integer) to authenticated, service_role;

-- What is already stored gets its rows now (user_days exist from the acquisition migration).
select crm.refresh_page_days(p.id, (min(s.started_at) at time zone 'UTC')::date, crm.utc_today())
from crm.projects p join crm.site_sessions s on s.project_id = p.id
group by p.id;
select crm.refresh_acquisition_rollup(p.id, true) from crm.projects p;
