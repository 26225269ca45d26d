-- Who comes back: cohort retention, the retention curve, stickiness and lifecycle under
-- the report contract (p_from, p_to, p_filter), sampled as the acquisition reports are:
-- from crm.user_days (one row per user per active day) and custom events per day
-- (crm.event_days), or without a filter from two rollups of user_days (crm.user_activity,
-- a row per user, and crm.activity_edges, where DAU / WAU / MAU change).

/** The first day of the week (ISO, Monday) or month of p_day. */
create function crm.period_start(p_day date, p_period text) returns date
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it (a call per row cost ~5 µs).
as $$ select pg_catalog.date_trunc(p_period, p_day::timestamp)::date $$;

/** Whole periods from the period starting p_a to the one starting p_b. */
create function crm.periods_between(p_a date, p_b date, p_period text) returns integer
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it.
as $$
  select case p_period
    when 'week' then (p_b - p_a) / 7
    else (pg_catalog.date_part('year', p_b::timestamp)::integer - pg_catalog.date_part('year', p_a::timestamp)::integer) * 12
         + pg_catalog.date_part('month', p_b::timestamp)::integer - pg_catalog.date_part('month', p_a::timestamp)::integer
  end
$$;

/** Raises 22023 unless p_period is week or month. */
create function crm.check_period(p_period text) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_period is null or p_period not in ('week', 'month') then
    raise exception 'p_period must be week or month (got %)', coalesce(p_period, 'null') using errcode = '22023';
  end if;
end;
$$;

-- ---------------------------------------------------------------------------
-- Custom events per user per day: what a report that starts or returns on an event
-- outside the funnel reads (the funnel's events are user_days.steps).
-- ---------------------------------------------------------------------------

create table crm.event_days (
  project_id uuid not null,
  day date not null,
  user_id uuid not null,
  sample smallint not null, -- crm.sample_bucket(user_id)
  name text not null,
  primary key (project_id, day, user_id, name, sample),
  -- a user-day's events go with its user_days row, as its pages do
  foreign key (project_id, day, user_id, sample) references crm.user_days (project_id, day, user_id, sample) on delete cascade
) partition by range (sample);
comment on table crm.event_days is
  'One row per site user per UTC day per custom event name (vibeTrack) that day. Rebuilt with crm.user_days by crm.refresh_user_days; what retention reports read for a start or return event outside the funnel. Partitioned by the user''s sample bucket, as user_days.';
alter table crm.event_days enable row level security;
select crm.create_sample_partitions('event_days');

/**
 * Rebuilds the event_days rows of a project for UTC days p_from..p_to (all users, or
 * only p_users) from their custom events, on the days with a user_days row (call it
 * through crm.refresh_user_days). Returns the rows written.
 */
create function crm.refresh_event_days(p_project_id uuid, p_from date, p_to date, p_users uuid[] default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  delete from crm.event_days e
  where e.project_id = p_project_id and e.day between p_from and p_to
    and (p_users is null or e.user_id = any (p_users));
  insert into crm.event_days (project_id, day, user_id, sample, name)
  select distinct p_project_id, (e.occurred_at at time zone 'UTC')::date, e.user_id, crm.sample_bucket(e.user_id), e.name
  from crm.user_events e
  where e.project_id = p_project_id and e.type = 'event'
    and e.occurred_at >= crm.utc_day_start(p_from) and e.occurred_at < crm.utc_day_start(p_to + 1)
    and (p_users is null or e.user_id = any (p_users))
    and exists (select from crm.user_days d
                where d.project_id = p_project_id and d.day = (e.occurred_at at time zone 'UTC')::date
                  and d.user_id = e.user_id and d.sample = crm.sample_bucket(e.user_id));
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

/** crm.refresh_user_days now rebuilds the days' event_days too. */
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
  perform crm.refresh_event_days(p_project_id, p_from, p_to, p_users);
  return v_rows;
end;
$$;

-- What is already stored gets its rows now.
select crm.refresh_event_days(d.project_id, min(d.day), max(d.day)) from crm.user_days d group by d.project_id;

/**
 * The custom event names (vibeTrack) a project has stored, alphabetical, at most 200:
 * what a report's event picker offers beside the funnel's events. A skip scan of the
 * custom-event index (a probe per name), however many events there are. Viewer.
 */
create function public.list_event_names(p_project_id uuid)
returns table (name text)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  return query
  with recursive names as (
    (select e.name from crm.user_events e where e.project_id = p_project_id and e.type = 'event' order by e.name limit 1)
    union all
    select (select e.name from crm.user_events e
            where e.project_id = p_project_id and e.type = 'event' and e.name > n.name order by e.name limit 1)
    from names n where n.name is not null
  )
  select n.name from names n where n.name is not null limit 200;
end;
$$;
grant execute on function public.list_event_names(uuid) to authenticated, service_role;

/**
 * The user_days.steps bits of a retention report's event: the funnel's events are kept
 * in steps, so those read no other table. Null for no event and for any other name
 * (crm.event_days has it per user and day); 22023 for a name no event may have. A
 * report writes the test out as a case on the mask and the name, not as a function: the
 * plan folds it to one branch (a function with a subquery would be called per row).
 */
create function crm.retention_event_mask(p_project_id uuid, p_event text, p_param text) returns integer
language plpgsql stable
set search_path = ''
as $$
begin
  if p_event is null then
    return null;
  end if;
  if p_event = '' or length(p_event) > (crm.event_limits() ->> 'event_name')::integer then
    raise exception '% must be an event name of 1 to % characters', p_param, crm.event_limits() ->> 'event_name'
      using errcode = '22023';
  end if;
  return (select bit_or(1 << (f.step_order - 1))
          from crm.funnel_steps f where f.project_id = p_project_id and f.event_name = p_event);
end;
$$;

/**
 * The members of a project's cohorts: each user whose start (their first day; with a
 * start event, p_start a mask of user_days.steps or p_start_name a custom event, their
 * first day in the range with that event) falls in [p_from, p_to] on a user_days row that
 * passes the filter, with that day and its week or month. Users of sample buckets below
 * p_buckets.
 */
create function crm.cohort_members(p_project_id uuid, p_from date, p_to date, p_filter jsonb, p_period text,
                                   p_start integer, p_start_name text, p_buckets integer)
returns table (user_id uuid, day date, cohort date)
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$
  select d.user_id, min(d.day), crm.period_start(min(d.day), p_period)
  from crm.filtered_user_days(p_project_id, p_from, p_to, p_filter, p_buckets) d
  where case when p_start is not null then d.steps & p_start <> 0
             when p_start_name is not null then exists (
               select from crm.event_days e
               where e.project_id = p_project_id and e.day = d.day and e.user_id = d.user_id and e.sample = d.sample
                 and e.name = p_start_name)
             else d.new_user end
  group by d.user_id
$$;

/** The first day of the period p_offset periods after the one starting p_start. */
create function crm.period_after(p_start date, p_offset integer, p_period text) returns date
language sql immutable parallel safe
-- No SET clause, so that the planner inlines it.
as $$ select (p_start + p_offset * case p_period when 'week' then interval '1 week' else interval '1 month' end)::date $$;

-- ---------------------------------------------------------------------------
-- What the reports without a filter read instead of every user-day: one row per user
-- (crm.user_activity) and the day counts of the stickiness windows (crm.activity_edges).
-- Triggers on user_days queue its changes, whoever writes (the job, a merge, an erasure,
-- the retention purge); the crm-user-days job applies them (crm.apply_activity_queue).
-- ---------------------------------------------------------------------------

create table crm.user_activity (
  project_id uuid not null,
  user_id uuid not null,
  sample smallint not null, -- crm.sample_bucket(user_id)
  -- the user's earliest kept day, and whether it is their first day (a new_user row)
  first_day date not null,
  is_new boolean not null,
  last_day date not null,
  -- the week and month of first_day (crm.period_start), stored: a report groups by them
  first_week date not null,
  first_month date not null,
  -- ascending offsets of the weeks (months) with activity, from first_week (first_month)
  weeks integer[] not null,
  months integer[] not null,
  primary key (project_id, user_id),
  foreign key (project_id, user_id) references crm.site_users (project_id, id) on delete cascade
);
-- a sample of the users first seen since a day, read without the table
create index user_activity_sample_idx on crm.user_activity (project_id, sample, first_day)
  include (is_new, last_day, first_week, first_month, weeks, months, user_id);
-- one cohort's members, all buckets
create index user_activity_first_day_idx on crm.user_activity (project_id, first_day) include (is_new, weeks, months, user_id);
comment on table crm.user_activity is
  'One row per user with kept user_days: first and last day and the weeks and months with activity; what the retention reports without a filter read.';
alter table crm.user_activity enable row level security;

create table crm.activity_edges (
  project_id uuid not null references crm.projects (id) on delete cascade,
  window_days smallint not null, -- 1, 7 or 30
  day date not null,
  -- users whose window of activity starts covering this day, minus those whose window
  -- stopped covering it; the sum up to a day is the users active in the window_days
  -- days ending then (DAU, WAU, MAU)
  delta integer not null,
  primary key (project_id, window_days, day)
);
comment on table crm.activity_edges is
  'Where the count of users active in the last 1, 7 or 30 days changes, per project: a running sum gives DAU, WAU and MAU of any day exactly, without reading user-days.';
alter table crm.activity_edges enable row level security;

/** The window lengths activity_edges counts: day, week, 30 days. */
create function crm.activity_windows() returns integer[]
language sql immutable
set search_path = ''
as $$ select array[1, 7, 30] $$;

create type crm.activity_day as (project_id uuid, user_id uuid, day date, sign integer);

/**
 * The window edges of sets of active days. A user counts in the w-day window ending on
 * day y when active on one of the days y − w + 1 .. y, so each run of their days with
 * gaps of at most w covers its first day to its last day + w − 1: it adds sign at its
 * first day and takes it back at its last day + w. Days with sign 1 are a set that is
 * added, with −1 one that is taken away (a user's days before a change).
 */
create function crm.activity_day_edges(p_days crm.activity_day[])
returns table (project_id uuid, user_id uuid, window_days integer, day date, delta integer)
language sql immutable
set search_path = ''
as $$
  with gaps as (
    select s.project_id, s.user_id, s.sign, s.day,
           s.day - lag(s.day) over w as gap_before, lead(s.day) over w - s.day as gap_after
    from unnest(p_days) s
    window w as (partition by s.project_id, s.user_id, s.sign order by s.day)
  )
  select g.project_id, g.user_id, w.w, g.day, g.sign
  from gaps g cross join unnest(crm.activity_windows()) w(w)
  where g.gap_before is null or g.gap_before > w.w
  union all
  select g.project_id, g.user_id, w.w, g.day + w.w, -g.sign
  from gaps g cross join unnest(crm.activity_windows()) w(w)
  where g.gap_after is null or g.gap_after > w.w
$$;

/** Adds edge deltas to crm.activity_edges (a day whose delta comes to 0 is dropped); returns the days written. */
create function crm.add_activity_edges(p_project_id uuid[], p_window_days integer[], p_day date[], p_delta integer[])
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  insert into crm.activity_edges as e (project_id, window_days, day, delta)
  select x.project_id, x.w, x.day, sum(x.delta)
  from unnest(p_project_id, p_window_days, p_day, p_delta) x(project_id, w, day, delta)
  -- a deleted project's days go with it: nothing to keep for it
  where exists (select from crm.projects p where p.id = x.project_id)
  group by x.project_id, x.w, x.day
  having sum(x.delta) <> 0
  order by x.project_id, x.w, x.day
  on conflict (project_id, window_days, day) do update set delta = e.delta + excluded.delta;
  get diagnostics v_rows = row_count;
  delete from crm.activity_edges e
  using unnest(p_project_id, p_window_days, p_day) x(project_id, w, day)
  where e.project_id = x.project_id and e.window_days = x.w and e.day = x.day and e.delta = 0;
  return v_rows;
end;
$$;

/** Rewrites the user_activity rows of a project's users (all: null) from their user_days. */
create function crm.refresh_user_activity(p_project_id uuid, p_users uuid[]) returns void
language sql
set search_path = ''
as $$
  -- p_users joined as a set, so a long list is probed through the indexes
  delete from crm.user_activity a where a.project_id = p_project_id and p_users is null;
  delete from crm.user_activity a using unnest(p_users) u(id) where a.project_id = p_project_id and a.user_id = u.id;
  insert into crm.user_activity (project_id, user_id, sample, first_day, is_new, last_day, first_week, first_month,
                                 weeks, months)
  select p_project_id, x.user_id, min(x.sample), min(x.day), bool_or(x.new_user) filter (where x.day = x.first_day), max(x.day),
         crm.period_start(min(x.day), 'week'), crm.period_start(min(x.day), 'month'),
         array_agg(distinct crm.periods_between(crm.period_start(x.first_day, 'week'), crm.period_start(x.day, 'week'), 'week')),
         array_agg(distinct crm.periods_between(crm.period_start(x.first_day, 'month'), crm.period_start(x.day, 'month'), 'month'))
  from (
    select d.user_id, d.sample, d.day, d.new_user, min(d.day) over (partition by d.user_id) as first_day
    from crm.user_days d
    where d.project_id = p_project_id and p_users is null
    union all
    select u.id, d.sample, d.day, d.new_user, min(d.day) over (partition by u.id)
    from unnest(p_users) u(id)
    -- through the (project_id, user_id, day) index of the user's partition, per user
    -- (offset 0 keeps it a loop)
    cross join lateral (select d.sample, d.day, d.new_user from crm.user_days d
                        where d.project_id = p_project_id and d.user_id = u.id and d.sample = crm.sample_bucket(u.id)
                        offset 0) d
  ) x
  group by x.user_id;
$$;

create table crm.activity_queue (
  project_id uuid not null,
  user_id uuid not null,
  sample smallint not null,
  day date not null,
  -- 1: the user_days row was added, −1: removed, 0: its new_user flag changed
  sign smallint not null
);
comment on table crm.activity_queue is
  'The user_days changes not yet applied to user_activity and activity_edges (crm.apply_activity_queue, in the crm-user-days job): triggers on user_days append here, so a merge or an erasure in ingest never waits on the rollups. No key: appending never waits either.';
alter table crm.activity_queue enable row level security;

/** Trigger (statement, on insert and on delete of user_days): queues the rows. */
create function crm.user_days_enqueue() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into crm.activity_queue (project_id, user_id, sample, day, sign)
  select c.project_id, c.user_id, c.sample, c.day, case tg_op when 'INSERT' then 1 else -1 end from changed c;
  return null;
end;
$$;

create trigger user_days_enqueue_ins after insert on crm.user_days
  referencing new table as changed for each statement execute function crm.user_days_enqueue();
create trigger user_days_enqueue_del after delete on crm.user_days
  referencing old table as changed for each statement execute function crm.user_days_enqueue();

/**
 * Trigger (statement, on update of user_days): queues the rows whose new_user flag
 * changed. The key of a user_days row is never updated (a refresh deletes stale rows,
 * inserts new ones and updates the others' columns); no other column changes the rollups.
 */
create function crm.user_days_enqueue_flags() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into crm.activity_queue (project_id, user_id, sample, day, sign)
  select n.project_id, n.user_id, n.sample, n.day, 0
  from changed n
  join before_change o on o.project_id = n.project_id and o.day = n.day and o.user_id = n.user_id and o.sample = n.sample
  where o.new_user is distinct from n.new_user;
  return null;
end;
$$;

create trigger user_days_enqueue_upd after update on crm.user_days
  referencing old table as before_change new table as changed
  for each statement execute function crm.user_days_enqueue_flags();

/**
 * Applies the queued user_days changes: moves activity_edges by the difference between
 * each changed user's days now and before (now, less the days added, plus those removed),
 * and rewrites their user_activity. The one writer of both, called by the crm-user-days
 * job after it refreshes the days. Returns the users brought up to date.
 */
create function crm.apply_activity_queue() returns integer
language plpgsql
set search_path = ''
-- the job's refresh changes a day of many users: sorts of that size stay in memory
set work_mem = '64MB'
as $$
declare
  -- an edge at day y depends on the days y − w .. y: read the longest window either side
  v_reach integer := (select max(w) from unnest(crm.activity_windows()) w);
  v_projects uuid[];
  v_users uuid[];
  v_edges integer;
  v_done integer := 0;
  r record;
begin
  loop
    -- 50,000 users at a time, so a backlog (a first fill) is held in memory a part at a
    -- time. One statement, so one snapshot: the queue rows taken and the user_days read
    -- agree (a change committed meanwhile stays queued, and unread, for the next run).
    with pick as (
      select distinct q.project_id, q.user_id from crm.activity_queue q limit 50000
    ), q as (
      delete from crm.activity_queue x using pick
      where x.project_id = pick.project_id and x.user_id = pick.user_id
      returning x.project_id, x.user_id, x.sample, x.day, x.sign
    ), net as (
      select q.project_id, q.user_id, q.sample, q.day, sum(q.sign) as n from q group by 1, 2, 3, 4
    ), ch as (
      select n.project_id, n.user_id, n.sample, min(n.day) as a, max(n.day) as b from net n group by 1, 2, 3
    ), now_days as (
      -- through the (project_id, user_id, day) index of the user's partition, per user
      -- (offset 0 keeps it a loop)
      select ch.project_id, ch.user_id, d.day
      from ch cross join lateral (
        select d.day from crm.user_days d
        where d.project_id = ch.project_id and d.user_id = ch.user_id and d.sample = ch.sample
          and d.day between ch.a - v_reach and ch.b + v_reach
        offset 0) d
    ), states as (
      select n.project_id, n.user_id, n.day, 1 as sign from now_days n
      union all
      select n.project_id, n.user_id, n.day, -1 from now_days n
      left join net x on x.project_id = n.project_id and x.user_id = n.user_id and x.day = n.day and x.n > 0
      where x.user_id is null
      union all
      select x.project_id, x.user_id, x.day, -1 from net x where x.n < 0
    ), edges as (
      select e.project_id, e.window_days, e.day, e.delta
      from crm.activity_day_edges(array(select row(s.project_id, s.user_id, s.day, s.sign)::crm.activity_day from states s)) e
      join ch on ch.project_id = e.project_id and ch.user_id = e.user_id
      where e.day between ch.a and ch.b + e.window_days
    )
    select (select array_agg(ch.project_id) from ch), (select array_agg(ch.user_id) from ch),
           (select crm.add_activity_edges(array_agg(e.project_id), array_agg(e.window_days), array_agg(e.day), array_agg(e.delta))
            from edges e)
    into v_projects, v_users, v_edges;
    exit when v_users is null;

    for r in select x.p, array_agg(x.u) as users from unnest(v_projects, v_users) x(p, u) group by x.p loop
      perform crm.refresh_user_activity(r.p, r.users);
    end loop;
    v_done := v_done + cardinality(v_users);
  end loop;
  return v_done;
end;
$$;

/** The crm-user-days job now also applies the queued user_days changes to the rollups. */
create or replace function crm.job_user_days() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  v_rows := crm.refresh_recent_user_days() + crm.rebuild_queued_user_days();
  perform crm.apply_activity_queue();
  return v_rows;
end;
$$;

/** Rebuilds a project's user_activity and activity_edges from its user_days (a sample bucket at a time). */
create function crm.rebuild_activity(p_project_id uuid) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_sample integer;
begin
  -- what is queued is in user_days already
  delete from crm.activity_queue q where q.project_id = p_project_id;
  perform crm.refresh_user_activity(p_project_id, null);
  delete from crm.activity_edges e where e.project_id = p_project_id;
  for v_sample in 0..63 loop
    perform crm.add_activity_edges(array_agg(e.project_id), array_agg(e.window_days), array_agg(e.day), array_agg(e.delta))
    from crm.activity_day_edges(array(
      select row(d.project_id, d.user_id, d.day, 1)::crm.activity_day
      from crm.user_days d where d.project_id = p_project_id and d.sample = v_sample)) e;
  end loop;
end;
$$;

select crm.rebuild_activity(p.id) from crm.projects p;

/**
 * The users active in each window_days-day window ending on each day of p_from..p_to,
 * from crm.activity_edges: exact, every user.
 */
create function crm.activity_window_counts(p_project_id uuid, p_from date, p_to date)
returns table (day date, dau integer, wau integer, mau integer)
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$
  with sums as (
    select e.window_days, e.day, sum(e.delta) over (partition by e.window_days order by e.day) as n
    from crm.activity_edges e
    where e.project_id = p_project_id and e.day <= p_to
  )
  select g.day::date,
         coalesce((select s.n from sums s where s.window_days = 1 and s.day <= g.day::date order by s.day desc limit 1), 0)::integer,
         coalesce((select s.n from sums s where s.window_days = 7 and s.day <= g.day::date order by s.day desc limit 1), 0)::integer,
         coalesce((select s.n from sums s where s.window_days = 30 and s.day <= g.day::date order by s.day desc limit 1), 0)::integer
  from generate_series(p_from, p_to, interval '1 day') g(day)
$$;

/**
 * The sample buckets a report over crm.user_activity reads (crm.report_sample_buckets):
 * every user active since p_since is a row.
 */
create function crm.user_activity_sample_buckets(p_project_id uuid, p_since date) returns integer
language sql stable
set search_path = ''
as $$
  select crm.report_sample_buckets(
    (select count(*) from crm.user_activity a where a.project_id = p_project_id and a.sample = 0 and a.last_day >= p_since), 0)
$$;

/**
 * Whether no day after p_to can be active in p_to's week or month (it is today, or the
 * period's last day): then crm.user_activity, which knows the periods with activity and
 * not the days, answers a report that ends on p_to.
 */
create function crm.ends_period(p_to date, p_period text) returns boolean
language sql stable
-- No SET clause, so that the planner inlines it (every name is qualified).
as $$ select p_to >= crm.utc_today() or p_to = crm.period_after(crm.period_start(p_to, p_period), 1, p_period) - 1 $$;

/**
 * Cohorts of the range: the users whose start (their first day, or with p_start_event
 * their first day in the range with that event) falls in [p_from, p_to] on a user_days row
 * that passes the filter, grouped by the week or month of that day; the latest p_cohorts.
 * Per cohort, its size and per period offset 0..n (n: up to the period of p_to) the users
 * active then (any day, or with p_return_event a day with that event) and their share in
 * % (one decimal). p_segment is the filter's segment, kept for callers of the first version.
 * Without a filter or events, and with p_to today or the end of its period, from
 * crm.user_activity (a row per user); else from crm.user_days.
 */
create function public.get_retention_cohorts(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                             p_period text default 'week', p_cohorts integer default 8,
                                             p_start_event text default null, p_return_event text default null,
                                             p_segment text default null)
returns table (cohort_start date, cohort_size integer, retained integer[], retained_pct numeric[], sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_filter jsonb := p_filter;
  v_start integer;
  v_return integer;
  v_start_name text;
  v_return_name text;
  v_by_user boolean;
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_period(p_period);
  if p_cohorts is null or p_cohorts not between 1 and 52 then
    raise exception 'p_cohorts must be between 1 and 52' using errcode = '22023';
  end if;
  if p_segment is not null then
    if p_filter ? 'segment' and p_filter ->> 'segment' <> p_segment then
      raise exception 'p_segment and p_filter''s segment differ' using errcode = '22023';
    end if;
    v_filter := p_filter || jsonb_build_object('segment', p_segment);
    perform crm.check_report_args(p_from, p_to, v_filter);
  end if;
  v_start := crm.retention_event_mask(p_project_id, p_start_event, 'p_start_event');
  v_return := crm.retention_event_mask(p_project_id, p_return_event, 'p_return_event');
  -- an event outside the funnel is read from event_days by name
  v_start_name := case when v_start is null then p_start_event end;
  v_return_name := case when v_return is null then p_return_event end;
  v_by_user := v_filter = '{}' and p_start_event is null and p_return_event is null and crm.ends_period(p_to, p_period);
  v_buckets := case when v_by_user then crm.user_activity_sample_buckets(p_project_id, p_from)
                    else crm.user_days_sample_buckets(p_project_id, p_from, p_to, v_filter) end;
  return query
  with day_members as (
    select * from crm.cohort_members(p_project_id, p_from, p_to, v_filter, p_period, v_start, v_start_name, v_buckets)
    where not v_by_user
  ), user_members as (
    -- the users of a cohort with the same periods of activity are counted together
    select case p_period when 'week' then a.first_week else a.first_month end as cohort,
           case p_period when 'week' then a.weeks else a.months end as offsets, count(*) as n
    from crm.user_activity a
    where v_by_user and a.project_id = p_project_id and a.sample < v_buckets
      and a.is_new and a.first_day between p_from and p_to
    group by 1, 2
  ), sizes as materialized (
    select x.cohort, sum(x.n) as size
    from (select m.cohort, 1 as n from day_members m union all select u.cohort, u.n from user_members u) x
    group by x.cohort order by x.cohort desc limit p_cohorts
  ), active as (
    -- a member's activity from their start to p_to, whatever the filter (it chose the cohort)
    select distinct m.cohort, m.user_id, crm.periods_between(m.cohort, crm.period_start(d.day, p_period), p_period) as k
    from day_members m
    join sizes using (cohort)
    join crm.user_days d on d.project_id = p_project_id and d.user_id = m.user_id and d.day between m.day and p_to
      and d.sample < v_buckets
    where case when v_return is not null then d.steps & v_return <> 0
               when v_return_name is not null then exists (
                 select from crm.event_days e
                 where e.project_id = p_project_id and e.day = d.day and e.user_id = d.user_id and e.sample = d.sample
                   and e.name = v_return_name)
               else true end
  ), counts as (
    select a.cohort, a.k, count(*) as n from active a group by a.cohort, a.k
    union all
    select u.cohort, k.k, sum(u.n) from user_members u join sizes using (cohort) cross join unnest(u.offsets) k(k)
    group by u.cohort, k.k
  )
  select s.cohort, crm.sample_scale(s.size, v_buckets),
         array_agg(crm.sample_scale(coalesce(c.n, 0), v_buckets) order by g.k),
         array_agg(round(100.0 * coalesce(c.n, 0) / s.size, 1) order by g.k),
         crm.sample_rate(v_buckets)
  from sizes s
  cross join lateral generate_series(0, crm.periods_between(s.cohort, crm.period_start(p_to, p_period), p_period)) g(k)
  left join counts c on c.cohort = s.cohort and c.k = g.k
  group by s.cohort, s.size
  order by s.cohort;
end;
$$;
grant execute on function public.get_retention_cohorts(uuid, date, date, jsonb, text, integer, text, text, text)
  to authenticated, service_role;

/**
 * The cohort table of get_retention_cohorts (same arguments) as CSV (RFC 4180, CRLF,
 * cells through crm.csv_row): cohort_start, cohort_size, then one column per period
 * offset (week_0 … or month_0 …) holding "count (pct%)"; a younger cohort's later
 * offsets are empty. Viewer, as the report.
 */
create function public.export_retention_cohorts_csv(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}',
                                                    p_period text default 'week', p_cohorts integer default 8,
                                                    p_start_event text default null, p_return_event text default null,
                                                    p_segment text default null)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  return (
    with c as (
      select * from public.get_retention_cohorts(p_project_id, p_from, p_to, p_filter, p_period, p_cohorts,
                                                 p_start_event, p_return_event, p_segment)
    ), w as (
      select coalesce(max(cardinality(c.retained)), 0) as n from c
    )
    select crm.csv_row(array['cohort_start', 'cohort_size']
                       || array(select p_period || '_' || k from w, generate_series(0, w.n - 1) k order by k)) || E'\r\n'
        || coalesce((select string_agg(crm.csv_row(array[c.cohort_start::text, c.cohort_size::text]
                                                   || array(select case when k <= cardinality(c.retained)
                                                                        then c.retained[k] || ' (' || trim_scale(c.retained_pct[k]) || '%)'
                                                                        else '' end
                                                            from w, generate_series(1, w.n) k order by k)),
                                       E'\r\n' order by c.cohort_start) || E'\r\n'
                     from c), ''));
end;
$$;
grant execute on function public.export_retention_cohorts_csv(uuid, date, date, jsonb, text, integer, text, text, text)
  to authenticated, service_role;

/**
 * The members of one cohort (p_cohort_start, as get_retention_cohorts returns it) who
 * were active in period p_period_offset after it (0: the whole cohort), with the same
 * arguments as get_retention_cohorts; never sampled. Newest first seen first, paged.
 * Without a filter or events from crm.user_activity, as the cohorts are.
 */
create function public.list_retention_cohort_users(p_project_id uuid, p_from date, p_to date, p_cohort_start date,
                                                   p_period_offset integer default 0, p_filter jsonb default '{}',
                                                   p_period text default 'week', p_start_event text default null,
                                                   p_return_event text default null, p_limit integer default 50,
                                                   p_offset integer default 0)
returns table (id uuid, external_id text, email text, name text, segment text, first_seen_at timestamptz,
               last_seen_at timestamptz, total_count bigint)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_start integer;
  v_return integer;
  v_start_name text;
  v_return_name text;
  v_by_user boolean;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  perform crm.check_period(p_period);
  if p_cohort_start is null or p_cohort_start <> crm.period_start(p_cohort_start, p_period) then
    raise exception 'p_cohort_start must be the first day of a %', p_period using errcode = '22023';
  end if;
  if p_period_offset is null or p_period_offset < 0 then
    raise exception 'p_period_offset must be 0 or more' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 1000 or p_offset is null or p_offset < 0 then
    raise exception 'p_limit must be 1 to 1000 and p_offset >= 0' using errcode = '22023';
  end if;
  v_start := crm.retention_event_mask(p_project_id, p_start_event, 'p_start_event');
  v_return := crm.retention_event_mask(p_project_id, p_return_event, 'p_return_event');
  v_start_name := case when v_start is null then p_start_event end;
  v_return_name := case when v_return is null then p_return_event end;
  v_by_user := p_filter = '{}' and p_start_event is null and p_return_event is null and crm.ends_period(p_to, p_period);
  return query
  with members as (
    -- a first day is a new_user row, so by first day only the cohort's own period is read
    select m.user_id, m.day
    from crm.cohort_members(p_project_id,
                            case when p_start_event is null then greatest(p_from, p_cohort_start) else p_from end,
                            least(p_to, crm.period_after(p_cohort_start, 1, p_period) - 1),
                            p_filter, p_period, v_start, v_start_name, 64) m
    where not v_by_user and m.cohort = p_cohort_start
  ), picked as materialized (
    -- with each user's first day, when the cohort starts on it
    select m.user_id, case when p_start_event is null then m.day end as first_day from members m
    where exists (
      select from crm.user_days d
      where d.project_id = p_project_id and d.user_id = m.user_id and d.sample = crm.sample_bucket(m.user_id)
        and d.day between greatest(m.day, crm.period_after(p_cohort_start, p_period_offset, p_period))
                      and least(crm.period_after(p_cohort_start, p_period_offset + 1, p_period) - 1, p_to)
        and case when v_return is not null then d.steps & v_return <> 0
                 when v_return_name is not null then exists (
                   select from crm.event_days e
                   where e.project_id = p_project_id and e.day = d.day and e.user_id = d.user_id and e.sample = d.sample
                     and e.name = v_return_name)
                 else true end)
    union all
    select a.user_id, a.first_day from crm.user_activity a
    where v_by_user and a.project_id = p_project_id and a.is_new
      and a.first_day between greatest(p_from, p_cohort_start) and least(p_to, crm.period_after(p_cohort_start, 1, p_period) - 1)
      and p_period_offset = any (case p_period when 'week' then a.weeks else a.months end)
      and crm.period_after(p_cohort_start, p_period_offset, p_period) <= p_to
  ), cut as (
    -- first_seen_at falls on the first day, so the page lies on this day or later ones
    select p.first_day from picked p order by p.first_day desc nulls last offset p_limit + p_offset - 1 limit 1
  )
  select u.id, u.external_id, u.email, u.name, u.segment::text, u.first_seen_at, u.last_seen_at,
         (select count(*) from picked)
  from picked p
  join crm.site_users u on u.project_id = p_project_id and u.id = p.user_id
  where p.first_day is null or p.first_day >= coalesce((select c.first_day from cut c), '-infinity'::date)
  order by u.first_seen_at desc, u.id desc
  limit p_limit offset p_offset;
end;
$$;
grant execute on function public.list_retention_cohort_users(uuid, date, date, date, integer, jsonb, text, text, text, integer, integer)
  to authenticated, service_role;

/**
 * The retention curve of the people first seen in the range on a user_days row that
 * passes the filter: for day 1, 7, 14 and 30, of those whose first day is at least that
 * many days before today (eligible), the share active on that day after their first or
 * any later day (retained; one decimal). Each newcomer's last day is read from
 * crm.user_activity; without a filter the newcomers are too.
 */
create function public.get_retention_curve(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}')
returns table (day_n integer, eligible integer, retained integer, retained_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_by_user boolean := p_filter = '{}';
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  v_buckets := case when v_by_user then crm.user_activity_sample_buckets(p_project_id, p_from)
                    else crm.user_days_sample_buckets(p_project_id, p_from, p_to, p_filter) end;
  return query
  with newcomers as (
    -- newcomers with the same first and last day are counted together
    select x.day, x.last_day, count(*) as n
    from (
      select a.first_day as day, a.last_day
      from crm.user_activity a
      where v_by_user and a.project_id = p_project_id and a.sample < v_buckets
        and a.is_new and a.first_day between p_from and p_to
      union all
      -- a user has one new_user row: their first day
      select d.day, a.last_day
      from crm.filtered_user_days(p_project_id, p_from, p_to, p_filter, v_buckets) d
      join crm.user_activity a on a.project_id = p_project_id and a.sample < v_buckets and a.user_id = d.user_id
        and a.first_day = d.day and a.first_day between p_from and p_to
      where not v_by_user and d.new_user
    ) x
    group by x.day, x.last_day
  )
  select n.n,
         crm.sample_scale(coalesce(sum(l.n) filter (where l.day + n.n <= crm.utc_today()), 0), v_buckets),
         crm.sample_scale(coalesce(sum(l.n) filter (where l.day + n.n <= crm.utc_today() and l.last_day >= l.day + n.n), 0), v_buckets),
         coalesce(round(100.0 * sum(l.n) filter (where l.day + n.n <= crm.utc_today() and l.last_day >= l.day + n.n)
                        / nullif(sum(l.n) filter (where l.day + n.n <= crm.utc_today()), 0), 1), 0),
         crm.sample_rate(v_buckets)
  from unnest(array[1, 7, 14, 30]) n(n)
  left join newcomers l on true
  group by n.n
  order by n.n;
end;
$$;
grant execute on function public.get_retention_curve(uuid, date, date, jsonb) to authenticated, service_role;

/**
 * Stickiness per day of the range: users active that day (dau), in the 7 days ending then
 * (wau) and in the 30 days ending then (mau), on user_days rows that pass the filter, and
 * dau / mau in % (one decimal). Without a filter exactly, from crm.activity_edges.
 */
create function public.get_stickiness(p_project_id uuid, p_from date, p_to date, p_filter jsonb default '{}')
returns table (day date, dau integer, wau integer, mau integer, dau_mau_pct numeric, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_report_args(p_from, p_to, p_filter);
  if p_filter = '{}' then
    return query
    select c.day, c.dau, c.wau, c.mau, coalesce(round(100.0 * c.dau / nullif(c.mau, 0), 1), 0), 1::numeric
    from crm.activity_window_counts(p_project_id, p_from, p_to) c
    order by c.day;
    return;
  end if;
  v_buckets := crm.user_days_sample_buckets(p_project_id, p_from - 29, p_to, p_filter);
  return query
  with rows as (
    select d.user_id, d.day, d.day - lag(d.day) over (partition by d.user_id order by d.day) as gap
    from crm.filtered_user_days(p_project_id, p_from - 29, p_to, p_filter, v_buckets) d
  ), windows as (
    -- a user counts in the w-day window ending on day x when active in x-w+1..x: each run
    -- of days with gaps under w covers its first day to its last day + w - 1
    select w.w, r.user_id, r.day,
           sum(case when r.gap is null or r.gap >= w.w then 1 else 0 end)
             over (partition by w.w, r.user_id order by r.day) as run
    from rows r cross join (values (7), (30)) w(w)
  ), runs as (
    select x.w, min(x.day) as first_day, max(x.day) + x.w - 1 as last_day
    from windows x group by x.w, x.user_id, x.run
  ), edges as (
    select r.w, r.first_day as day, 1 as delta from runs r
    union all
    select r.w, r.last_day + 1, -1 from runs r
  ), counts as (
    -- users in the window on each day where the count changes: a running sum of the edges
    select e.w, e.day, sum(sum(e.delta)) over (partition by e.w order by e.day) as n
    from edges e group by e.w, e.day
  ), dau as (
    select r.day, count(*) as n from rows r group by r.day
  ), per_day as (
    select g.day::date as day, d.n as dau,
           (select c.n from counts c where c.w = 7 and c.day <= g.day::date order by c.day desc limit 1) as wau,
           (select c.n from counts c where c.w = 30 and c.day <= g.day::date order by c.day desc limit 1) as mau
    from generate_series(p_from, p_to, interval '1 day') g(day)
    left join dau d on d.day = g.day::date
  )
  select p.day, crm.sample_scale(coalesce(p.dau, 0), v_buckets), crm.sample_scale(coalesce(p.wau, 0), v_buckets),
         crm.sample_scale(coalesce(p.mau, 0), v_buckets),
         coalesce(round(100.0 * coalesce(p.dau, 0) / nullif(p.mau, 0), 1), 0), crm.sample_rate(v_buckets)
  from per_day p
  order by p.day;
end;
$$;
grant execute on function public.get_stickiness(uuid, date, date, jsonb) to authenticated, service_role;

/**
 * Lifecycle of the last p_periods weeks or months (ending with the current one), on
 * user_days rows that pass the filter: per period, new users (first seen in it),
 * returning (active in it and in the period before), resurrecting (active in it, not in
 * the period before, first seen earlier) and dormant (active in the period before, not in
 * it; a count, shown below the axis by the dashboard). Without a filter from
 * crm.user_activity.
 */
create function public.get_lifecycle(p_project_id uuid, p_period text default 'week', p_periods integer default 12,
                                     p_filter jsonb default '{}')
returns table (period_start date, new_users integer, returning_users integer, resurrecting_users integer,
               dormant_users integer, sample_rate numeric)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_last date;
  v_first date;
  v_buckets integer;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.check_period(p_period);
  if p_periods is null or p_periods not between 1 and 52 then
    raise exception 'p_periods must be between 1 and 52' using errcode = '22023';
  end if;
  v_last := crm.period_start(crm.utc_today(), p_period);
  -- one period more than shown: the first one's "period before"
  v_first := (v_last - (p_periods * (case p_period when 'week' then interval '1 week' else interval '1 month' end)))::date;
  perform crm.check_report_args(v_first, crm.utc_today(), p_filter);
  v_buckets := case when p_filter = '{}' then crm.user_activity_sample_buckets(p_project_id, v_first)
                    else crm.user_days_sample_buckets(p_project_id, v_first, crm.utc_today(), p_filter) end;
  return query
  with act as (
    select d.user_id, crm.period_start(d.day, p_period) as p, bool_or(d.new_user) as new
    from crm.filtered_user_days(p_project_id, v_first, crm.utc_today(), p_filter, v_buckets) d
    where p_filter <> '{}'
    group by d.user_id, crm.period_start(d.day, p_period)
  ), flags as (
    -- each active period of a user, whether they were active in the one before and after
    -- it, and how many users that row stands for
    select a.p, a.new, lag(a.p) over w = crm.period_after(a.p, -1, p_period) as active_before,
           coalesce(lead(a.p) over w = crm.period_after(a.p, 1, p_period), false) as active_after, 1::bigint as n
    from act a
    window w as (partition by a.user_id order by a.p)
    union all
    select crm.period_after(u.anchor, k.k, p_period), u.is_new and k.k = 0,
           k.k - 1 = any (u.offsets), k.k + 1 = any (u.offsets), u.n
    from (select case p_period when 'week' then a.first_week else a.first_month end as anchor, a.is_new,
                 case p_period when 'week' then a.weeks else a.months end as offsets, count(*) as n
          from crm.user_activity a
          where p_filter = '{}' and a.project_id = p_project_id and a.sample < v_buckets and a.last_day >= v_first
          group by 1, 2, 3) u
    cross join unnest(u.offsets) k(k)
  ), periods as (
    select g.p::date as p, lag(g.p::date) over (order by g.p) as before
    from generate_series(v_first, v_last, case p_period when 'week' then interval '1 week' else interval '1 month' end) g(p)
  )
  select x.p,
         crm.sample_scale(coalesce(sum(f.n) filter (where f.p = x.p and f.new), 0), v_buckets),
         crm.sample_scale(coalesce(sum(f.n) filter (where f.p = x.p and not f.new and f.active_before), 0), v_buckets),
         crm.sample_scale(coalesce(sum(f.n) filter (where f.p = x.p and not f.new and not coalesce(f.active_before, false)), 0), v_buckets),
         crm.sample_scale(coalesce(sum(f.n) filter (where f.p = x.before and not f.active_after), 0), v_buckets),
         crm.sample_rate(v_buckets)
  from periods x
  left join flags f on f.p in (x.p, x.before)
  where x.before is not null
  group by x.p
  order by x.p;
end;
$$;
grant execute on function public.get_lifecycle(uuid, text, integer, jsonb) to authenticated, service_role;

-- Every retention report runs with the report settings.
select crm.set_report_settings(array[
  'public.get_retention_cohorts(uuid, date, date, jsonb, text, integer, text, text, text)',
  'public.get_retention_curve(uuid, date, date, jsonb)', 'public.get_stickiness(uuid, date, date, jsonb)',
  'public.get_lifecycle(uuid, text, integer, jsonb)',
  'public.list_retention_cohort_users(uuid, date, date, date, integer, jsonb, text, text, text, integer, integer)']::regprocedure[]);
