-- CRM data model: projects and members, site users, sessions, events (partitioned by
-- time), daily stats and funnel steps. `project_id` leads every key.
--
-- Hot paths and their indexes:
-- * a heartbeat updates one `site_sessions` row and must stay a HOT update: no index
--   touches `last_activity_at`, `current_page*`, counters or flags other than the
--   partial-index predicates `is_online` / `ended_at is null`, which a heartbeat does
--   not change; the table has a fillfactor so the new version fits the same page.
-- * `user_events` is partitioned by month on `occurred_at` with a default partition;
--   re-sent events are caught by `event_dedupe` (see its comment).

create extension if not exists pgcrypto with schema extensions;

-- ---------------------------------------------------------------------------
-- Projects and members
-- ---------------------------------------------------------------------------

/** The settings every project starts with; `settings` keys override them. (No SET clause, so it inlines.) */
create function crm.default_project_settings() returns jsonb
language sql immutable
as $$
  select jsonb_build_object(
    'session_timeout_minutes', 30,
    'online_window_minutes', 5,
    'stuck_after_minutes', 5,
    'retention_days', 395,
    'rate_limit_project_per_minute', 60000,
    'rate_limit_ip_per_minute', 600,
    'privacy_mode', 'standard',
    'respect_dnt', true,
    'require_signed_identify', false,
    'churn_after_days', 14)
$$;
revoke execute on function crm.default_project_settings() from public;

create table crm.projects (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  public_key text not null unique default 'pk_' || encode(extensions.gen_random_bytes(16), 'hex')
    check (public_key ~ '^pk_[A-Za-z0-9]{8,64}$'),
  allowed_origins text[] not null default '{}',
  identity_secret text not null default encode(extensions.gen_random_bytes(32), 'hex'),
  settings jsonb not null default crm.default_project_settings()
    check (jsonb_typeof(settings) = 'object'
      and coalesce(settings ->> 'privacy_mode', 'standard') in ('standard', 'cookieless')),
  created_at timestamptz not null default now()
);
/** An integer project setting: the project's own value, else its default. */
create function crm.project_setting_int(p_project_id uuid, p_key text) returns integer
language sql stable
set search_path = ''
as $$
  select ((crm.default_project_settings() || p.settings) ->> p_key)::integer
  from crm.projects p where p.id = p_project_id
$$;
revoke execute on function crm.project_setting_int(uuid, text) from public;

comment on table crm.projects is
  'A tracked site. public_key (pk_…) identifies it in ingest batches; allowed_origins (empty = any) are checked per batch; identity_secret signs identify calls (HMAC-SHA256); settings overrides crm.default_project_settings().';

create table crm.project_members (
  project_id uuid not null references crm.projects (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (project_id, user_id)
);
create index project_members_user_idx on crm.project_members (user_id);
comment on table crm.project_members is
  'Dashboard users of a project and their role: viewer reads; admin also exports, configures, recalculates; owner also manages members and keys.';

-- ---------------------------------------------------------------------------
-- Site users, their anonymous ids, sessions
-- ---------------------------------------------------------------------------

create table crm.site_users (
  project_id uuid not null references crm.projects (id) on delete cascade,
  id uuid not null,
  external_id text check (length(external_id) <= 256),
  email text check (length(email) <= 320),
  name text check (length(name) <= 256),
  segment text not null default 'visitor' check (segment in ('visitor', 'user', 'premium', 'trial', 'churned')),
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

-- ---------------------------------------------------------------------------
-- Events
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- Rollups and funnels
-- ---------------------------------------------------------------------------

create table crm.daily_user_stats (
  project_id uuid not null references crm.projects (id) on delete cascade,
  day date not null,
  active_users integer not null default 0,
  new_users integer not null default 0,
  sessions integer not null default 0,
  page_views integer not null default 0,
  avg_session_seconds numeric not null default 0,
  signups integer not null default 0,
  conversions integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (project_id, day)
);
comment on table crm.daily_user_stats is 'Daily rollup per project (UTC days): active/new users, sessions, page views, average session length, signups, conversions.';

create table crm.funnel_steps (
  project_id uuid not null references crm.projects (id) on delete cascade,
  step_order integer not null check (step_order >= 1),
  name text not null check (length(name) between 1 and 128),
  event_name text not null check (length(event_name) between 1 and 128),
  primary key (project_id, step_order)
);
comment on table crm.funnel_steps is 'Ordered funnel of a project: a step is reached by an event whose name (or type, for pageview) equals event_name.';

/** Trigger: every new project gets the default funnel Bezoekers → Signup → Actief → Betaald. */
create function crm.projects_default_funnel() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into crm.funnel_steps (project_id, step_order, name, event_name)
  values (new.id, 1, 'Bezoekers', 'pageview'),
         (new.id, 2, 'Signup', 'signup'),
         (new.id, 3, 'Actief', 'activated'),
         (new.id, 4, 'Betaald', 'payment_success');
  return null;
end;
$$;
revoke execute on function crm.projects_default_funnel() from public;

create trigger projects_default_funnel
  after insert on crm.projects
  for each row execute function crm.projects_default_funnel();

-- ---------------------------------------------------------------------------
-- Rate limits
-- ---------------------------------------------------------------------------

create table crm.rate_limits (
  project_id uuid not null,
  bucket text not null,
  shard integer not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (project_id, bucket, shard)
) with (fillfactor = 70);
comment on table crm.rate_limits is
  'Fixed one-minute windows of events per project (bucket ''project'') and per hashed client IP (bucket ''ip:<hash>''), one row per backend (shard = pg_backend_pid()), so concurrent batches never wait on each other''s row; a counter is the sum of its shards in the current window.';

/**
 * Trigger: a deleted project takes its events, dedupe ids and rate-limit counters
 * along. These tables have no foreign key to crm.projects on purpose (a per-row
 * check on every ingested event would cost more than the events' own indexes).
 */
create function crm.projects_delete_unreferenced() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from crm.user_events e where e.project_id = old.id;
  delete from crm.event_dedupe d where d.project_id = old.id;
  delete from crm.rate_limits r where r.project_id = old.id;
  return null;
end;
$$;
revoke execute on function crm.projects_delete_unreferenced() from public;

create trigger projects_delete_unreferenced
  after delete on crm.projects
  for each row execute function crm.projects_delete_unreferenced();

-- Nothing here is for the API roles; RLS on as a second fence (service_role bypasses
-- RLS, but gets no table privileges either: everything goes through functions).
alter table crm.projects enable row level security;
alter table crm.project_members enable row level security;
alter table crm.site_users enable row level security;
alter table crm.anonymous_ids enable row level security;
alter table crm.site_sessions enable row level security;
alter table crm.user_events enable row level security;
alter table crm.user_events_default enable row level security;
alter table crm.event_dedupe enable row level security;
alter table crm.daily_user_stats enable row level security;
alter table crm.funnel_steps enable row level security;
alter table crm.rate_limits enable row level security;
