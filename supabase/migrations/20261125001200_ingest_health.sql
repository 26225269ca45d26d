-- Ingest health: what happened to the events a site sent, per hour — accepted,
-- duplicates, rejected by reason, rate-limited, dropped as a bot's or an erased
-- visitor's, and whole batches refused (by SQL or by the Edge Function) — so no
-- rejection is silent. Ingest keeps the counters as it goes; nothing scans events.

create table crm.ingest_counters (
  project_id uuid not null references crm.projects (id) on delete cascade,
  hour timestamptz not null,
  shard integer not null,
  accepted bigint not null default 0,
  duplicates bigint not null default 0,
  rejected jsonb not null default '{}',
  rate_limited bigint not null default 0,
  bot_dropped bigint not null default 0,
  erased_dropped bigint not null default 0,
  refused jsonb not null default '{}',
  last_rejections jsonb,
  primary key (project_id, hour, shard)
) with (fillfactor = 70);
comment on table crm.ingest_counters is
  'Per project and UTC hour, what ingest did with the events it was sent. One row per backend (shard = pg_backend_pid()), so concurrent batches of one project never wait on each other''s row; an hour''s figure is the sum of its rows. rejected and refused map a reason (event) or error (batch) to a count; last_rejections holds the newest ten [{at, reason, message}], newest first. Kept 8 days (crm.job_housekeeping).';
alter table crm.ingest_counters enable row level security;

/** The hour a counter belongs to: the UTC hour of p_at, whatever the session's time zone. */
create function crm.counter_hour(p_at timestamptz) returns timestamptz
language sql immutable
as $$
  select date_bin('1 hour', p_at, timestamptz '2000-01-01 00:00:00+00')
$$;
revoke execute on function crm.counter_hour(timestamptz) from public;

/** Sums two {key: count} objects key by key (jsonb counters). */
create function crm.add_counts(p_a jsonb, p_b jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(k, n), '{}')
  from (select x.key as k, sum(x.value::bigint) as n
        from (select * from jsonb_each_text(coalesce(p_a, '{}')) union all select * from jsonb_each_text(coalesce(p_b, '{}'))) x
        group by x.key) s
$$;
revoke execute on function crm.add_counts(jsonb, jsonb) from public;

/**
 * Adds to this backend's counter row of each project for the current hour. p_counts is
 * one row per project: the columns of crm.ingest_counters to add (null = 0), and its
 * newest rejections first. No SET clause: it runs inside crm.ingest_batches or
 * crm.record_ingest_refusals and takes their settings (every name is qualified).
 */
create function crm.count_ingest(p_counts crm.ingest_counters[]) returns void
language plpgsql
as $$
begin
  insert into crm.ingest_counters as c (project_id, hour, shard, accepted, duplicates, rejected, rate_limited,
                                        bot_dropped, erased_dropped, refused, last_rejections)
  select x.project_id, crm.counter_hour(now()), pg_backend_pid(), coalesce(x.accepted, 0), coalesce(x.duplicates, 0),
         coalesce(x.rejected, '{}'), coalesce(x.rate_limited, 0), coalesce(x.bot_dropped, 0),
         coalesce(x.erased_dropped, 0), coalesce(x.refused, '{}'), x.last_rejections
  from unnest(p_counts) x
  where x.project_id is not null
  order by x.project_id -- one lock order for every caller
  on conflict (project_id, hour, shard) do update set
    accepted = c.accepted + excluded.accepted,
    duplicates = c.duplicates + excluded.duplicates,
    rejected = case when excluded.rejected = '{}' then c.rejected else crm.add_counts(c.rejected, excluded.rejected) end,
    rate_limited = c.rate_limited + excluded.rate_limited,
    bot_dropped = c.bot_dropped + excluded.bot_dropped,
    erased_dropped = c.erased_dropped + excluded.erased_dropped,
    refused = case when excluded.refused = '{}' then c.refused else crm.add_counts(c.refused, excluded.refused) end,
    last_rejections = case when excluded.last_rejections is null then c.last_rejections else (
      select jsonb_agg(x.v order by x.n) from jsonb_array_elements(excluded.last_rejections || coalesce(c.last_rejections, '[]'))
        with ordinality as x (v, n) where x.n <= 10) end;
end;
$$;
revoke execute on function crm.count_ingest(crm.ingest_counters[]) from public;

/**
 * What the Edge Function refused or dropped before SQL saw a batch (bots, bodies that
 * are not JSON or too large, a wrong Content-Type), reported every few seconds:
 * p_refusals is a JSON array of {project (public key), error, count, message}; error
 * `bot` counts as bot_dropped, any other as a refused batch. Unknown keys are skipped
 * (nobody to tell). Returns how many entries were counted.
 */
create function crm.record_ingest_refusals(p_refusals json) returns integer
language plpgsql
security definer -- service_role has no grants on crm tables
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_counts crm.ingest_counters[];
begin
  if json_typeof(p_refusals) is distinct from 'array' then
    raise exception 'crm.record_ingest_refusals expects a JSON array' using errcode = '22023';
  end if;
  select array_agg(row(x.project_id, null, null, 0, 0, '{}', 0, x.bots, 0, x.refused, x.newest)::crm.ingest_counters)
  into v_counts
  from (
    select e.project_id,
           sum(e.n) filter (where e.error = 'bot') as bots,
           coalesce(jsonb_object_agg(e.error, e.n) filter (where e.error <> 'bot'), '{}') as refused,
           jsonb_agg(jsonb_build_object('at', statement_timestamp(), 'reason', e.error, 'message', e.message))
             filter (where e.error <> 'bot') as newest
    from (select p.id as project_id, r.error, sum(r.count) as n, left(max(r.message), 200) as message
          from json_to_recordset(p_refusals) as r (project text, error text, count bigint, message text)
          join crm.projects p on p.public_key = r.project
          where r.count > 0 and r.error ~ '^[a-z_]{1,40}$'
          group by p.id, r.error) e
    group by e.project_id) x;
  perform crm.count_ingest(coalesce(v_counts, '{}'));
  return coalesce(cardinality(v_counts), 0);
end;
$$;
revoke execute on function crm.record_ingest_refusals(json) from public;
grant execute on function crm.record_ingest_refusals(json) to service_role;

/**
 * The counters of a project summed over [p_from, p_to) — every backend's row of every
 * hour in it: the figures, rejected and refused merged key by key, and the newest ten
 * rejections, newest first. The one place counters are added up.
 */
create function crm.ingest_counts(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (accepted bigint, duplicates bigint, rejected jsonb, rate_limited bigint, bot_dropped bigint,
               erased_dropped bigint, refused jsonb, last_rejections jsonb)
language sql stable
set search_path = ''
as $$
  with c as (
    select * from crm.ingest_counters c
    where c.project_id = p_project_id and c.hour >= p_from and c.hour < p_to
  )
  select coalesce(sum(c.accepted), 0)::bigint, coalesce(sum(c.duplicates), 0)::bigint,
         coalesce((select jsonb_object_agg(k.key, k.n) from (
                     select x.key, sum(x.value::bigint) as n from c, jsonb_each_text(c.rejected) x group by x.key) k), '{}'),
         coalesce(sum(c.rate_limited), 0)::bigint, coalesce(sum(c.bot_dropped), 0)::bigint,
         coalesce(sum(c.erased_dropped), 0)::bigint,
         coalesce((select jsonb_object_agg(k.key, k.n) from (
                     select x.key, sum(x.value::bigint) as n from c, jsonb_each_text(c.refused) x group by x.key) k), '{}'),
         coalesce((select jsonb_agg(l.r order by l.at desc, l.hour desc, l.i) from (
                     select x.r, (x.r ->> 'at')::timestamptz as at, c.hour, x.i
                     from c, jsonb_array_elements(c.last_rejections) with ordinality as x (r, i)
                     order by 2 desc, 3 desc, 4 limit 10) l), '[]')
  from c
$$;
revoke execute on function crm.ingest_counts(uuid, timestamptz, timestamptz) from public;

/**
 * The project's ingest health for the last p_hours UTC hours (1–168, the current one
 * last), one row per hour, zero-filled: events accepted (stored; heartbeats, which
 * only keep a session alive, are not events), duplicates (re-sent, stored once), rejected {reason: count}, rate_limited and erased_dropped (events), bot_dropped
 * (batches the Edge Function dropped as a bot's), refused {error: count} (whole
 * batches: invalid_batch, too_large, unsupported_media_type, origin_not_allowed, dnt,
 * …) and last_rejections (the newest ten of that hour, newest first). Viewer.
 */
create function public.get_ingest_health(p_project_id uuid, p_hours integer default 24)
returns table (hour timestamptz, accepted bigint, duplicates bigint, rejected jsonb, rate_limited bigint,
               bot_dropped bigint, erased_dropped bigint, refused jsonb, last_rejections jsonb)
language plpgsql stable security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_hours is null or p_hours not between 1 and 168 then
    raise exception 'p_hours must be between 1 and 168' using errcode = '22023';
  end if;
  return query
  select g.h, c.accepted, c.duplicates, c.rejected, c.rate_limited, c.bot_dropped, c.erased_dropped, c.refused,
         c.last_rejections
  from generate_series(crm.counter_hour(now()) - make_interval(hours => p_hours - 1), crm.counter_hour(now()),
                       interval '1 hour') as g (h)
  cross join lateral crm.ingest_counts(p_project_id, g.h, g.h + interval '1 hour') c
  order by g.h;
end;
$$;
grant execute on function public.get_ingest_health(uuid, integer) to authenticated, service_role;

/**
 * The project's ingest at a glance, for the settings page and the integration dialog:
 * {hours, first_event_at (the first visitor ever stored; null: nothing has arrived yet),
 * last_accepted_at (the start of the last hour with an accepted event), and the figures
 * of get_ingest_health summed over the last p_hours (1–168) hours, with the newest ten
 * rejections}. Viewer.
 */
create function public.get_ingest_summary(p_project_id uuid, p_hours integer default 24)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  if p_hours is null or p_hours not between 1 and 168 then
    raise exception 'p_hours must be between 1 and 168' using errcode = '22023';
  end if;
  return (
    select to_jsonb(c) || jsonb_build_object(
      'hours', p_hours,
      'first_event_at', (select min(u.first_seen_at) from crm.site_users u where u.project_id = p_project_id),
      'last_accepted_at', (select max(x.hour) from crm.ingest_counters x where x.project_id = p_project_id and x.accepted > 0))
    from crm.ingest_counts(p_project_id, crm.counter_hour(now()) - make_interval(hours => p_hours - 1),
                           crm.counter_hour(now()) + interval '1 hour') c);
end;
$$;
grant execute on function public.get_ingest_summary(uuid, integer) to authenticated, service_role;
