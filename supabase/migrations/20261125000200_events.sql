-- Site users, their anonymous ids, sessions and events: what ingest writes. `project_id`
-- leads every key.
--
-- Hot paths and their indexes:
-- * a heartbeat updates one `site_sessions` row and must stay a HOT update: no index
--   touches `last_activity_at`, `current_page*`, counters or flags other than the
--   partial-index predicates `is_online` / `ended_at is null`, which a heartbeat does
--   not change; the table has a fillfactor so the new version fits the same page.
-- * `user_events` is partitioned by month on `occurred_at` with a default partition;
--   re-sent events are caught by `event_dedupe` (see its comment).
-- * Every event index costs ingest an index insert, so there is none by session: no
--   query reads events by session (a user's page views are found through
--   user_events (project_id, user_id, occurred_at)).

/**
 * Every size limit of what a tracker or an app sends about visitors: the one
 * definition. Ingest validates events against it, identify_site_user uses it, the
 * tracker's constants are tested against it and PROTOCOL.md quotes it. Lengths are in characters; *_bytes are bytes of the JSON text as the client sent
 * it (compact, as JSON.stringify writes it); an event older than too_old_hours or more
 * than future_minutes ahead of its receipt is refused. Immutable and without a SET
 * clause, so a lookup folds to a constant when a statement is planned.
 */
create function crm.event_limits() returns jsonb
language sql immutable
as $$
  select jsonb_build_object(
    'events_per_batch', 100,
    'path', 2048,
    'title', 512,
    'referrer', 2048,
    'screen', 32,
    'utm_value', 256,
    'event_name', 128,
    'props_bytes', 4096,
    'email', 320,
    'name', 256,
    'external_id', 256,
    'metadata_bytes', 4096,
    'signature', 128,
    'too_old_hours', 48,
    'future_minutes', 5)
$$;
revoke execute on function crm.event_limits() from public;

create table crm.site_users (
  project_id uuid not null references crm.projects (id) on delete cascade,
  id uuid not null,
  -- lengths are checked where users are written (ingest, identify_site_user), against
  -- crm.event_limits(): a check constraint calling it would re-plan it on every update
  external_id text,
  email text,
  name text,
  segment crm.segment not null default 'visitor',
  verified boolean not null default false,
  email_verified boolean not null default false,
  metadata jsonb not null default '{}',
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  sessions_count integer not null default 0,
  pageviews_count integer not null default 0,
  events_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (project_id, id)
) with (fillfactor = 80);
-- Only verified identities are unique: an unsigned identify is a claim, not proof. An
-- email is vouched for only when it was the signed subject or a trusted backend set it
-- (email_verified); next to a signed external id it is a label.
create unique index site_users_verified_email_idx on crm.site_users (project_id, lower(email))
  where email_verified and email is not null;
create unique index site_users_verified_external_id_idx on crm.site_users (project_id, external_id)
  where verified and external_id is not null;
-- Analytics read new users by first_seen_at and filter by segment; site_users counters
-- change on every ingest and are in no index (updates stay HOT).
create index site_users_first_seen_idx on crm.site_users (project_id, first_seen_at);
create index site_users_segment_idx on crm.site_users (project_id, segment);
comment on table crm.site_users is
  'A visitor of a tracked site: anonymous until identified. id is the first anonymous id seen (or random for users created by a backend); crm.anonymous_ids maps every anonymous id to its user. verified = identified with a valid signature or by a trusted backend; email_verified = the email itself was vouched for (the signed subject, or set by a trusted backend), so it may find this user.';

create table crm.anonymous_ids (
  project_id uuid not null,
  anonymous_id uuid not null,
  user_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (project_id, anonymous_id),
  foreign key (project_id, user_id) references crm.site_users (project_id, id) on delete cascade
);
create index anonymous_ids_user_idx on crm.anonymous_ids (project_id, user_id);
comment on table crm.anonymous_ids is
  'Every anonymous (browser or cookieless) visitor id and the site user it belongs to; a merge re-points them.';

create table crm.site_sessions (
  project_id uuid not null,
  id uuid not null,
  user_id uuid not null,
  started_at timestamptz not null,
  last_activity_at timestamptz not null,
  ended_at timestamptz,
  is_online boolean not null default true,
  is_idle boolean not null default false,
  is_stuck boolean not null default false,
  current_page text,
  current_page_since timestamptz,
  entry_page text,
  page_views integer not null default 0,
  device_type text check (device_type in ('desktop', 'mobile', 'tablet')),
  browser text,
  os text,
  country text,
  referrer text,
  utm jsonb,
  primary key (project_id, id),
  foreign key (project_id, user_id) references crm.site_users (project_id, id) on delete cascade
) with (fillfactor = 70);
create index site_sessions_online_idx on crm.site_sessions (project_id) where is_online;
create index site_sessions_open_idx on crm.site_sessions (project_id) where ended_at is null;
create index site_sessions_user_idx on crm.site_sessions (project_id, user_id);
create index site_sessions_started_idx on crm.site_sessions (project_id, started_at);
comment on table crm.site_sessions is
  'A visit (one browser tab until 30 min idle). Heartbeats only move last_activity_at (HOT updates: hot columns are in no index). is_online/is_idle/is_stuck are maintained by ingest and the minute jobs and broadcast on change.';

create table crm.user_events (
  project_id uuid not null,
  occurred_at timestamptz not null,
  id uuid not null,
  received_at timestamptz not null,
  session_id uuid not null,
  user_id uuid not null,
  type text not null check (type in ('pageview', 'event', 'identify', 'leave')),
  name text,
  page text,
  properties jsonb,
  primary key (project_id, occurred_at, id)
) partition by range (occurred_at);
create index user_events_user_idx on crm.user_events (project_id, user_id, occurred_at);
-- The funnel and daily stats read custom events by name.
create index user_events_custom_idx on crm.user_events (project_id, name, occurred_at) where type = 'event';
comment on table crm.user_events is
  'Stored events (page views, custom events, identify, leave; heartbeats are not stored). Partitioned by month on occurred_at (client time corrected for clock skew), partitions made ahead by crm.ensure_event_partitions(), a default partition catches the rest. id is the tracker''s event id.';

create table crm.user_events_default partition of crm.user_events default;
comment on table crm.user_events_default is
  'Default partition of crm.user_events: catches events outside the monthly partitions, so nothing is lost when upkeep lags; crm.ensure_event_partitions() moves rows out when it adds their month.';

create table crm.event_dedupe (
  project_id uuid not null,
  visitor_id uuid not null,
  event_id uuid not null,
  received_at timestamptz not null default now(),
  primary key (project_id, visitor_id, event_id)
);
comment on table crm.event_dedupe is
  'Ids of events accepted in the last days, per anonymous visitor. occurred_at is corrected by received_at - sent_at, which differs between two sends of one event, so the user_events key cannot catch a re-send; this table does. Keyed by visitor so the events of one batch share a leaf page (random event ids alone would touch one random page each). Purged after 3 days (events older than 48 h are rejected as too_old anyway).';

alter table crm.site_users enable row level security;
alter table crm.anonymous_ids enable row level security;
alter table crm.site_sessions enable row level security;
alter table crm.user_events enable row level security;
alter table crm.user_events_default enable row level security;
alter table crm.event_dedupe enable row level security;

/**
 * Makes sure monthly partitions of crm.user_events exist from last month to
 * p_months_ahead months ahead; rows of a new month that landed in the default
 * partition are moved into it. Returns how many partitions it created.
 */
create function crm.ensure_event_partitions(p_months_ahead integer default 3) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_month date;
  v_name text;
  v_created integer := 0;
begin
  for v_month in
    select generate_series(date_trunc('month', now() - interval '1 month'),
                           date_trunc('month', now()) + make_interval(months => p_months_ahead),
                           interval '1 month')::date
  loop
    v_name := 'user_events_' || to_char(v_month, 'YYYY_MM');
    continue when to_regclass('crm.' || v_name) is not null;
    execute format('create table crm.%I (like crm.user_events including defaults including constraints)', v_name);
    execute format(
      'with moved as (delete from crm.user_events_default where occurred_at >= %L and occurred_at < %L returning *)
       insert into crm.%I select * from moved',
      v_month, (v_month + interval '1 month')::date, v_name);
    execute format('alter table crm.user_events attach partition crm.%I for values from (%L) to (%L)',
      v_name, v_month, (v_month + interval '1 month')::date);
    execute format('alter table crm.%I enable row level security', v_name);
    execute format('comment on table crm.%I is %L', v_name, 'Monthly partition of crm.user_events.');
    v_created := v_created + 1;
  end loop;
  return v_created;
end;
$$;
revoke execute on function crm.ensure_event_partitions(integer) from public;

select crm.ensure_event_partitions(3);

/**
 * Trigger: a deleted project takes its events and dedupe ids along. These tables have
 * no foreign key to crm.projects on purpose (a per-row check on every ingested event
 * would cost more than the events' own indexes).
 */
create function crm.projects_delete_events() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from crm.user_events e where e.project_id = old.id;
  delete from crm.event_dedupe d where d.project_id = old.id;
  return null;
end;
$$;
revoke execute on function crm.projects_delete_events() from public;

create trigger projects_delete_events
  after delete on crm.projects
  for each row execute function crm.projects_delete_events();
