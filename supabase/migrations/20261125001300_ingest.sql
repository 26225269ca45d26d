-- Ingest: crm.ingest_batches(items json) applies the batches of many requests
-- (supabase/functions/ingest/PROTOCOL.md) in one call, and crm.ingest(batch, context)
-- is the one-batch form. The Edge Function sends its coalesced requests to the
-- procedure crm.ingest_call, which does the same in two transactions: admission (rate
-- limits) committed at once, then the rest.
-- Every event rule lives here (crm.ingest_parse, with the sizes of crm.event_limits());
-- the function only guards the transport. A call is a pipeline of named steps over the
-- call's batches and their events, parsed once:
--
--   admit:  resolve → rate limits
--   apply:  visitors → parse → cookieless ids → erased → identify → store
--           (events, sessions, users, what was stored) → answer → tally the refusals
--
-- Input is `json`, not `jsonb`: a size limit is measured on the JSON text the client
-- sent, which jsonb would re-space. Neither function raises for a rejected batch or
-- event; only loops over rare cases (cookieless ids, erased visitors, identify) run
-- per batch, the rest is set-based for all batches at once.
--
-- The steps run inside crm.ingest_admit and crm.ingest_apply and take their settings: search_path '' (every
-- name in them is qualified) and plan_cache_mode = force_generic_plan — their
-- statements read arrays whose sizes change with every call, so Postgres would plan
-- them anew each time (a custom plan), which cost three times what executing them
-- does. No step has a SET clause of its own: on PG 15 each one walks every setting on
-- return, a measurable share of a one-event call.

-- service_role reaches crm.ingest, crm.ingest_batches and crm.record_ingest_refusals
-- (granted there); no table and no other function.
grant usage on schema crm to service_role;

-- Unlogged: a counter needs no WAL (fewer writes per call), and a crash that empties
-- the table only forgets the current minute's counts.
create unlogged table crm.rate_limits (
  project_id uuid not null,
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (project_id, bucket)
) with (fillfactor = 70);
comment on table crm.rate_limits is
  'Fixed one-minute windows of events per project (bucket ''project'') and per hashed client IP (bucket ''ip:<hash>''): one row per counter, so concurrent calls count in turn and a limit is exact. crm.ingest_call commits its counts at once, so a call waits on a counter row for microseconds, not for the length of its statement.';
alter table crm.rate_limits enable row level security;

/** Trigger: a deleted project takes its rate-limit counters along (no foreign key: see crm.projects_delete_events). */
create function crm.projects_delete_rate_limits() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from crm.rate_limits r where r.project_id = old.id;
  return null;
end;
$$;
revoke execute on function crm.projects_delete_rate_limits() from public;

create trigger projects_delete_rate_limits
  after delete on crm.projects
  for each row execute function crm.projects_delete_rate_limits();

create type crm.ingest_batch as (
  n integer,                    -- position in the call, 1-based (also its index in the array)
  project_id uuid,
  identity_secret text,
  require_signed boolean,
  session_timeout interval,
  limit_project bigint,
  limit_ip bigint,
  received_at timestamptz,
  skew interval,                -- received_at - sent_at: added to every event time
  event_count integer,
  events json,
  context jsonb,
  visitor_id uuid,              -- null until resolved (derived in cookieless mode)
  session_id uuid,
  user_id uuid,
  erased boolean,               -- the visitor was erased on request: every event is refused
  result jsonb                  -- set once the batch is answered without storing (errors, dnt, erased)
);
comment on type crm.ingest_batch is 'One batch of a crm.ingest_batches call while it is applied; result is set when it is answered without storing anything.';

create type crm.ingest_event as (
  n integer,                    -- its batch
  idx integer,                  -- its position in the batch, 0-based
  pos integer,                  -- n * 1000 + idx: unique in the call
  id uuid,
  raw_id text,
  type text,
  occurred_at timestamptz,
  path text,
  name text,                    -- a custom event's name
  properties jsonb,
  referrer text,
  utm jsonb,
  email text,
  external_id text,
  person_name text,             -- an identify's name
  segment crm.segment,
  metadata jsonb,
  signed boolean,
  reason text,                  -- null when the event is valid
  message text                  -- why, in words
);
comment on type crm.ingest_event is 'One parsed event of an ingest call; reason (and message) are null when it is valid.';

-- ---------------------------------------------------------------------------
-- The steps, in the order they run
-- ---------------------------------------------------------------------------

/**
 * Step 1, resolve: every item's envelope checked (PROTOCOL.md "Batch"), its project,
 * settings and clock skew, and the tracker's ids (standard mode). A batch refused here
 * (invalid envelope, too many events, unknown project, origin, DNT) gets its result now.
 */
create function crm.ingest_resolve(p_items json) returns crm.ingest_batch[]
language plpgsql stable
as $$
declare
  v_batches crm.ingest_batch[];
begin
  select array_agg(row(
      i.n, p.id, p.identity_secret, (s.settings ->> 'require_signed_identify')::boolean,
      make_interval(mins => (s.settings ->> 'session_timeout_minutes')::integer),
      (s.settings ->> 'rate_limit_project_per_minute')::bigint, (s.settings ->> 'rate_limit_ip_per_minute')::bigint,
      h.received_at, h.received_at - to_timestamp(h.sent_ms / 1000), h.event_count, b.events, h.context,
      ids.visitor_id, ids.session_id, null, false, -- the user and erasure: crm.ingest_visitors
      case
        when h.problem is not null then jsonb_build_object('status', 400, 'error', 'invalid_batch', 'message', h.problem)
        when h.event_count > (crm.event_limits() ->> 'events_per_batch')::integer then jsonb_build_object(
          'status', 413, 'error', 'too_large',
          'message', 'more than ' || (crm.event_limits() ->> 'events_per_batch') || ' events in one batch')
        when p.id is null then jsonb_build_object('status', 400, 'error', 'unknown_project',
          'message', 'no project has this public key')
        when cardinality(p.allowed_origins) > 0
             and not coalesce(h.context ->> 'origin' = any (p.allowed_origins) or '*' = any (p.allowed_origins), false)
          then jsonb_build_object('status', 403, 'error', 'origin_not_allowed',
            'message', 'this origin is not allowed for the project')
        when (s.settings ->> 'respect_dnt')::boolean and h.context -> 'dnt' = 'true'::jsonb
          then jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0, 'rejected', '[]'::jsonb, 'ignored', 'dnt')
      end)::crm.ingest_batch order by i.n)
  into v_batches
  from rows from (json_to_recordset(p_items) as (batch json, context json)) with ordinality as i (batch, context, n)
  cross join lateral json_to_record(case when json_typeof(i.batch) = 'object' then i.batch else '{}' end)
    as b (project text, sent_at json, visitor_id text, session_id text, events json)
  -- the events counted once (a pass over their text)
  cross join lateral (select case when json_typeof(b.events) = 'array' then json_array_length(b.events) end as n offset 0) ec
  cross join lateral (
    select case
        when json_typeof(i.batch) is distinct from 'object' then 'the batch must be a JSON object'
        when json_typeof(i.context) is distinct from 'object' then 'the context must be a JSON object'
        when coalesce(b.project, '') !~ '^pk_[A-Za-z0-9]{8,64}$' then 'project must be a public key (pk_…)'
        when json_typeof(b.sent_at) is distinct from 'number' or b.sent_at::text !~ '^\d{1,14}(\.\d+)?$'
          then 'sent_at must be the send time in ms since the epoch'
        when b.visitor_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
          or b.session_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
          then 'visitor_id and session_id must be UUIDs'
        when coalesce(ec.n, 0) = 0 then 'events must be a non-empty array'
      end as problem,
      ec.n as event_count,
      case when json_typeof(b.sent_at) = 'number' and b.sent_at::text ~ '^\d{1,14}(\.\d+)?$'
        then b.sent_at::text::double precision end as sent_ms,
      case when json_typeof(i.context) = 'object' then i.context::jsonb else '{}' end as context,
      case when i.context ->> 'received_at' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}'
        then (i.context ->> 'received_at')::timestamptz else now() end as received_at
    offset 0 -- computed once per batch, not once per reference
  ) h
  -- lateral with a limit: an index probe per batch, never a scan of every project
  left join lateral (select p.* from crm.projects p where p.public_key = b.project limit 1) p on h.problem is null
  cross join lateral (select crm.default_project_settings() || p.settings as settings offset 0) s
  cross join lateral ( -- the tracker's ids in standard mode; else derived by crm.ingest_cookieless_ids
    select case when m.ok then b.visitor_id::uuid end as visitor_id, case when m.ok then b.session_id::uuid end as session_id
    from (select h.problem is null and s.settings ->> 'privacy_mode' = 'standard'
                 and b.visitor_id is not null and b.session_id is not null as ok offset 0) m
  ) ids;
  return v_batches;
end;
$$;
revoke execute on function crm.ingest_resolve(json) from public;

/**
 * Step 2, rate limits: one-minute windows, events counted per project and per hashed IP,
 * the batches of this call in order (a refused batch counts too). Exact under
 * concurrency: the upsert of a counter row waits for a concurrent call's count to be
 * committed and adds to it, so the total before this call is the row's new value less
 * this call's hits. The row stays locked until the caller commits: crm.ingest_call
 * commits right after this step.
 */
create function crm.ingest_rate_limit(p_batches crm.ingest_batch[]) returns crm.ingest_batch[]
language plpgsql
as $$
declare
  v_window timestamptz := date_bin('1 minute', now(), timestamptz '2000-01-01 00:00:00+00');
  v_n integer;
begin
  for v_n in
    with b as (
      select b.n, b.project_id, b.event_count as hits, b.limit_project, b.limit_ip,
             'ip:' || left(b.context ->> 'ip_hash', 128) as ip
      from unnest(p_batches) b where b.result is null
    ), counted as (
      select b.project_id, k.bucket, sum(b.hits)::integer as hits
      from b cross join lateral (values ('project'), (b.ip)) as k (bucket)
      where k.bucket is not null
      group by b.project_id, k.bucket
    ), hit as ( -- counters in key order, so two calls never wait on each other crosswise
      insert into crm.rate_limits as r (project_id, bucket, window_start, hits)
      select c.project_id, c.bucket, v_window, c.hits from counted c
      order by c.project_id, c.bucket
      on conflict (project_id, bucket) do update
        set hits = case when r.window_start = excluded.window_start then r.hits + excluded.hits else excluded.hits end,
            window_start = excluded.window_start
      returning r.project_id, r.bucket, r.hits
    ), before as ( -- each counter before this call: its new value less this call's hits
      select h.project_id, h.bucket, h.hits - c.hits as hits
      from hit h join counted c on c.project_id = h.project_id and c.bucket = h.bucket
    )
    select t.n from (
      select b.n, b.limit_project, b.limit_ip,
             (select x.hits from before x where x.project_id = b.project_id and x.bucket = 'project')
               + sum(b.hits) over (partition by b.project_id order by b.n) as project_hits,
             (select x.hits from before x where x.project_id = b.project_id and x.bucket = b.ip)
               + sum(b.hits) over (partition by b.project_id, b.ip order by b.n) as ip_hits
      from b
    ) t
    where t.project_hits > t.limit_project or t.ip_hits > t.limit_ip
  loop
    p_batches[v_n].result := jsonb_build_object('status', 429, 'error', 'rate_limited',
      'retry_after', greatest(1, ceil(extract(epoch from v_window + interval '1 minute' - clock_timestamp())))::integer,
      'message', 'too many events; retry later');
  end loop;
  return p_batches;
end;
$$;
revoke execute on function crm.ingest_rate_limit(crm.ingest_batch[]) from public;

/**
 * Step 3, visitors: for the tracker's ids (standard mode), the visitor's user and whether
 * the visitor was erased. An erasure and an ingest of one visitor take turns on
 * crm.visitor_lock: delete_site_user holds it exclusively until it commits, so the
 * lookup after the lock (a statement of its own, hence a new snapshot) sees an erasure
 * that committed meanwhile, and an erasure that comes second waits for this commit and
 * then deletes what was stored here. Nothing is left behind either way.
 */
create function crm.ingest_visitors(p_batches crm.ingest_batch[]) returns crm.ingest_batch[]
language plpgsql -- volatile: the lookup must take a snapshot after the locks
as $$
declare
  v_batches crm.ingest_batch[];
begin
  perform pg_advisory_xact_lock_shared(k.key)
  from (select distinct crm.visitor_lock(b.project_id, b.visitor_id) as key
        from unnest(p_batches) b where b.result is null and b.visitor_id is not null order by 1) k;
  select array_agg(row(
      b.n, b.project_id, b.identity_secret, b.require_signed, b.session_timeout, b.limit_project, b.limit_ip,
      b.received_at, b.skew, b.event_count, b.events, b.context, b.visitor_id, b.session_id,
      -- subqueries, not joins: one primary-key probe per batch whatever the estimates
      (select a.user_id from crm.anonymous_ids a where a.project_id = b.project_id and a.anonymous_id = b.visitor_id),
      exists (select from crm.erased_ids z where z.project_id = b.project_id and z.anonymous_id = b.visitor_id),
      b.result)::crm.ingest_batch order by b.n)
  into v_batches
  from unnest(p_batches) b;
  return v_batches;
end;
$$;
revoke execute on function crm.ingest_visitors(crm.ingest_batch[]) from public;

/**
 * Step 4, parse: the events of every batch still open, each checked against the event
 * rules — the only place they are written (limits: crm.event_limits()). Times are
 * shifted by the batch's skew; identify signatures are checked. reason is one of
 * invalid | unknown_type | oversize | too_old | in_future | signature_required |
 * bad_signature, with a message; null for a valid event. String fields given as other
 * JSON scalars are read as their text.
 */
create function crm.ingest_parse(p_batches crm.ingest_batch[]) returns crm.ingest_event[]
language plpgsql stable
as $$
declare
  v_events crm.ingest_event[];
begin
  select array_agg(row(
      b.n, (r.i - 1)::integer, (b.n * 1000 + r.i - 1)::integer, case when v.id_ok then r.id::uuid end, left(r.id, 64), r.type,
      v.occurred_at, r.path, case when r.type = 'event' then r.name end,
      case when c.problem is null then case r.type
        when 'event' then r.props::jsonb
        when 'pageview' then nullif(jsonb_strip_nulls(jsonb_build_object(
          'title', r.title, 'referrer', r.referrer, 'utm', r.utm::jsonb, 'screen', r.screen)), '{}')
        when 'identify' then jsonb_build_object('verified', coalesce(v.signed, false)) end end,
      r.referrer, case when c.problem is null and r.type = 'pageview' then r.utm::jsonb end,
      lower(trim(r.email)), r.external_id, case when r.type = 'identify' then r.name end,
      case when c.problem is null and r.type = 'identify' then r.segment::crm.segment end,
      case when c.problem is null and r.type = 'identify' then r.metadata::jsonb end,
      coalesce(v.signed, false), split_part(c.problem, ': ', 1), substr(c.problem, strpos(c.problem, ': ') + 2)
    )::crm.ingest_event)
  into v_events
  from unnest(p_batches) b
  -- one pass over the events' text; an event that is not an object fails the batch (400)
  cross join lateral rows from (json_to_recordset(b.events) as (
    id text, type text, ts json, path text, name text, props json, title text, referrer text, utm json,
    screen text, email text, external_id text, segment text, metadata json, signature text)) with ordinality as r (
    id, type, ts, path, name, props, title, referrer, utm, screen, email, external_id, segment, metadata, signature, i)
  cross join lateral (
    select coalesce(r.id, '') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' as id_ok,
           case when json_typeof(r.ts) = 'number' and r.ts::text ~ '^\d{1,14}(\.\d+)?$'
             then to_timestamp(r.ts::text::double precision / 1000) + b.skew end as occurred_at,
           case when r.type = 'identify' and r.signature is not null then
             lower(r.signature) = encode(extensions.hmac(
               coalesce(r.external_id, lower(trim(r.email)), ''), b.identity_secret, 'sha256'), 'hex')
           end as signed
    offset 0 -- evaluate these once per event, not once per reference
  ) v
  cross join lateral (select crm.event_limits() as l) lim -- pulled up: every lookup folds to a constant
  cross join lateral (select case
      when not v.id_ok then 'invalid: id must be a UUID'
      when r.type is null then 'invalid: type is missing'
      when r.type not in ('pageview', 'heartbeat', 'event', 'identify', 'leave')
        then 'unknown_type: ' || left(r.type, 40) || ' is not an event type'
      when v.occurred_at is null then 'invalid: ts must be the event time in ms since the epoch'
      when v.occurred_at < b.received_at - make_interval(hours => (lim.l ->> 'too_old_hours')::integer)
        then 'too_old: more than ' || (lim.l ->> 'too_old_hours') || ' hours before it was received'
      when v.occurred_at > b.received_at + make_interval(mins => (lim.l ->> 'future_minutes')::integer)
        then 'in_future: more than ' || (lim.l ->> 'future_minutes') || ' minutes after it was received'
      when length(r.path) > (lim.l ->> 'path')::integer then 'oversize: path is over ' || (lim.l ->> 'path') || ' characters'
      when r.type = 'pageview' then case
        when r.path is null then 'invalid: a pageview needs a path'
        when length(r.title) > (lim.l ->> 'title')::integer then 'oversize: title is over ' || (lim.l ->> 'title') || ' characters'
        when length(r.referrer) > (lim.l ->> 'referrer')::integer
          then 'oversize: referrer is over ' || (lim.l ->> 'referrer') || ' characters'
        when r.screen !~ '^\d{1,5}x\d{1,5}$' then 'invalid: screen must be WIDTHxHEIGHT'
        when json_typeof(r.utm) <> 'object' then 'invalid: utm must be an object'
        when r.utm is not null then (
          select case
            when bool_or(u.key not in ('source', 'medium', 'campaign', 'term', 'content'))
              then 'invalid: utm keys are source, medium, campaign, term and content'
            when bool_or(length(u.value) > (lim.l ->> 'utm_value')::integer)
              then 'oversize: a utm value is over ' || (lim.l ->> 'utm_value') || ' characters' end
          from json_each_text(r.utm) u) end
      when r.type = 'event' then case
        when coalesce(r.name, '') = '' then 'invalid: an event needs a name'
        when length(r.name) > (lim.l ->> 'event_name')::integer
          then 'oversize: name is over ' || (lim.l ->> 'event_name') || ' characters'
        when json_typeof(r.props) <> 'object' then 'invalid: props must be an object'
        when octet_length(r.props::text) > (lim.l ->> 'props_bytes')::integer then 'oversize: props is '
          || octet_length(r.props::text) || ' bytes of JSON, over ' || (lim.l ->> 'props_bytes') end
      when r.type = 'identify' then case
        when coalesce(r.email, r.external_id, r.name) is null then 'invalid: identify needs an email, external_id or name'
        when strpos(r.email, '@') = 0 then 'invalid: email must contain @'
        when length(r.email) > (lim.l ->> 'email')::integer then 'oversize: email is over ' || (lim.l ->> 'email') || ' characters'
        when length(r.name) > (lim.l ->> 'name')::integer then 'oversize: name is over ' || (lim.l ->> 'name') || ' characters'
        when length(r.external_id) > (lim.l ->> 'external_id')::integer
          then 'oversize: external_id is over ' || (lim.l ->> 'external_id') || ' characters'
        when r.segment not in (select unnest(enum_range(null::crm.segment))::text)
          then 'invalid: segment must be one of ' || array_to_string(enum_range(null::crm.segment), ', ')
        when json_typeof(r.metadata) <> 'object' then 'invalid: metadata must be an object'
        when octet_length(r.metadata::text) > (lim.l ->> 'metadata_bytes')::integer then 'oversize: metadata is '
          || octet_length(r.metadata::text) || ' bytes of JSON, over ' || (lim.l ->> 'metadata_bytes')
        when r.signature !~ ('^[0-9a-fA-F]{1,' || (lim.l ->> 'signature') || '}$') then 'invalid: signature must be hex'
        when r.signature is null and b.require_signed then 'signature_required: the project requires signed identify'
        when r.signature is not null and not v.signed then 'bad_signature: the signature does not match' end
    end as problem offset 0) c
  where b.result is null;
  return coalesce(v_events, '{}');
end;
$$;
revoke execute on function crm.ingest_parse(crm.ingest_batch[]) from public;

/**
 * Step 5, cookieless ids (a cookieless project, or a batch without ids): ids derived
 * from the hashed IP, the user agent and the UTC day; the session is the visitor's one
 * still active (or one an earlier batch of this call used), else derived from the
 * first event's time.
 */
create function crm.ingest_cookieless_ids(p_batches crm.ingest_batch[], p_events crm.ingest_event[])
returns crm.ingest_batch[]
language plpgsql
as $$
declare
  v_b crm.ingest_batch;
  v_firsts timestamptz[];
  v_first timestamptz;
begin
  if not exists (select from unnest(p_batches) b where b.result is null and b.visitor_id is null) then
    return p_batches;
  end if;
  -- each batch's first valid event time, by position
  select array_agg(f.first_at order by g.n) into v_firsts
  from generate_series(1, cardinality(p_batches)) g (n)
  left join (select e.n, min(e.occurred_at) as first_at from unnest(p_events) e where e.reason is null group by e.n) f
    on f.n = g.n;
  for v_b in select * from unnest(p_batches) b where b.result is null and b.visitor_id is null order by b.n loop
    if v_b.context ->> 'ip_hash' is null then
      p_batches[v_b.n].result := jsonb_build_object('status', 400, 'error', 'invalid_batch',
        'message', 'cookieless batches need the hashed client IP in the context');
      continue;
    end if;
    v_first := coalesce(v_firsts[v_b.n], v_b.received_at);
    v_b.visitor_id := md5(concat_ws(':', v_b.project_id, v_b.context ->> 'ip_hash', v_b.context ->> 'user_agent',
      (v_b.received_at at time zone 'UTC')::date))::uuid;
    perform pg_advisory_xact_lock_shared(crm.visitor_lock(v_b.project_id, v_b.visitor_id)); -- see crm.ingest_visitors
    select a.user_id into v_b.user_id from crm.anonymous_ids a
    where a.project_id = v_b.project_id and a.anonymous_id = v_b.visitor_id;
    -- The session an earlier batch of this call used (not stored yet), else the stored one.
    select b.session_id into v_b.session_id from unnest(p_batches) b
    where b.n < v_b.n and b.project_id = v_b.project_id and b.visitor_id = v_b.visitor_id and b.result is null
    limit 1;
    if v_b.session_id is null then
      select s.id into v_b.session_id
      from crm.site_sessions s
      where s.project_id = v_b.project_id and s.user_id = v_b.user_id and s.last_activity_at >= v_first - v_b.session_timeout
      order by s.last_activity_at desc
      limit 1;
    end if;
    p_batches[v_b.n].visitor_id := v_b.visitor_id;
    p_batches[v_b.n].session_id := coalesce(v_b.session_id, md5(concat_ws(':', v_b.visitor_id,
      floor(extract(epoch from v_first) / extract(epoch from v_b.session_timeout))))::uuid);
    p_batches[v_b.n].user_id := v_b.user_id;
    p_batches[v_b.n].erased := exists (select from crm.erased_ids x
                                       where x.project_id = v_b.project_id and x.anonymous_id = v_b.visitor_id);
  end loop;
  return p_batches;
end;
$$;
revoke execute on function crm.ingest_cookieless_ids(crm.ingest_batch[], crm.ingest_event[]) from public;

/**
 * Step 6, erased: a visitor erased on request may not come back (a replayed offline
 * queue): every event of its batch is rejected with reason erased.
 */
create function crm.ingest_refuse_erased(p_batches crm.ingest_batch[], p_events crm.ingest_event[])
returns crm.ingest_batch[]
language plpgsql
as $$
declare
  v_b crm.ingest_batch;
begin
  for v_b in select * from unnest(p_batches) b where b.result is null and b.erased loop
    p_batches[v_b.n].result := jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0,
      'rejected', (select coalesce(jsonb_agg(jsonb_build_object('index', e.idx, 'id', e.raw_id, 'reason', 'erased',
                                               'message', 'this visitor was erased on request') order by e.idx), '[]')
                   from unnest(p_events) e where e.n = v_b.n),
      'visitor_id', v_b.visitor_id, 'session_id', v_b.session_id);
  end loop;
  return p_batches;
end;
$$;
revoke execute on function crm.ingest_refuse_erased(crm.ingest_batch[], crm.ingest_event[]) from public;

/**
 * Step 7, identify: new visitors with at least one valid event become site users; then
 * identify events not seen before apply (crm.apply_identity), per batch in order and
 * within a batch in time order, so an identify applies before the following batches of
 * the same visitor. New users and merges change whose a visitor is: every batch's user
 * is looked up again when anything changed.
 */
create function crm.ingest_identify(p_batches crm.ingest_batch[], p_events crm.ingest_event[])
returns crm.ingest_batch[]
language plpgsql
as $$
declare
  v_b crm.ingest_batch;
  v_ev crm.ingest_event;
  v_n integer;
  v_user uuid;
  v_changed boolean := false;
begin
  if exists (select from unnest(p_batches) b where b.result is null and b.user_id is null) then
    with firsts as (
      select b.project_id, b.visitor_id, min(e.occurred_at) as first_at
      from unnest(p_batches) b join unnest(p_events) e on e.n = b.n
      where b.result is null and b.user_id is null and e.reason is null
      group by b.project_id, b.visitor_id
    ), users as (
      insert into crm.site_users (project_id, id, first_seen_at, last_seen_at)
      select f.project_id, f.visitor_id, f.first_at, f.first_at from firsts f
      on conflict do nothing
    )
    insert into crm.anonymous_ids (project_id, anonymous_id, user_id)
    select f.project_id, f.visitor_id, f.visitor_id from firsts f
    on conflict do nothing;
    v_changed := found;
  end if;

  -- Identify is rare: a loop is fine.
  for v_b in select b.* from unnest(p_batches) b
             where b.result is null and exists (select from unnest(p_events) e
                                                where e.n = b.n and e.type = 'identify' and e.reason is null)
             order by b.n loop
    if v_changed then
      select a.user_id into v_b.user_id from crm.anonymous_ids a
      where a.project_id = v_b.project_id and a.anonymous_id = v_b.visitor_id;
    end if;
    for v_ev in
      select e.* from unnest(p_events) e
      where e.n = v_b.n and e.type = 'identify' and e.reason is null
        and not exists (select from crm.event_dedupe d
                        where d.project_id = v_b.project_id and d.visitor_id = v_b.visitor_id and d.event_id = e.id)
      order by e.occurred_at, e.idx
    loop
      -- A signature covers the external id when there is one, else the email.
      v_b.user_id := crm.apply_identity(v_b.project_id, v_b.user_id, v_b.visitor_id, v_ev.email, v_ev.external_id,
        v_ev.person_name, v_ev.segment, v_ev.metadata, v_ev.signed, v_ev.external_id is null);
      v_changed := true;
    end loop;
    p_batches[v_b.n].user_id := v_b.user_id;
  end loop;

  if v_changed then
    for v_n, v_user in
      select b.n, a.user_id from unnest(p_batches) b
      join crm.anonymous_ids a on a.project_id = b.project_id and a.anonymous_id = b.visitor_id
      where b.result is null and b.user_id is distinct from a.user_id
    loop
      p_batches[v_n].user_id := v_user;
    end loop;
  end if;
  return p_batches;
end;
$$;
revoke execute on function crm.ingest_identify(crm.ingest_batch[], crm.ingest_event[]) from public;

/**
 * Step 8, store: in one statement, the call's events are deduped (an event id is stored
 * once per project and visitor, and an event sent twice in this call counts once: its
 * first copy), the new ones stored, each session upserted once from its effective
 * events (entry page from the earliest, current page from the latest, device and
 * country from its first batch; an older batch delivered late never moves it back),
 * each user's counters updated once, and the events stored and re-sent counted in the
 * project's ingest health (crm.ingest_counters; heartbeats are not events). Returns the positions of the events that took
 * effect: those stored, and every valid heartbeat (which only moves its session's last
 * activity). A replayed batch has no effective events and changes nothing.
 */
create function crm.ingest_store(p_batches crm.ingest_batch[], p_events crm.ingest_event[]) returns integer[]
language plpgsql
as $$
declare
  v_effective integer[];
begin
  with ev as materialized (
    select e.pos, e.id, e.type, e.occurred_at, e.path, e.name, e.properties, e.referrer, e.utm, b.n,
           b.project_id, b.visitor_id, b.session_id, b.user_id, b.received_at
    from unnest(p_batches) b join unnest(p_events) e on e.n = b.n
    where b.result is null and b.user_id is not null and e.reason is null
  ), firsts as (
    select min(ev.pos) as pos from ev where ev.type <> 'heartbeat' group by ev.project_id, ev.visitor_id, ev.id
  ), fresh as (
    insert into crm.event_dedupe (project_id, visitor_id, event_id, received_at)
    select ev.project_id, ev.visitor_id, ev.id, ev.received_at from ev
    where ev.pos in (select f.pos from firsts f)
    on conflict do nothing
    returning project_id, visitor_id, event_id
  ), eff as materialized (
    select ev.* from ev
    where ev.type = 'heartbeat'
       or (ev.pos in (select f.pos from firsts f)
           and (ev.project_id, ev.visitor_id, ev.id) in (select x.project_id, x.visitor_id, x.event_id from fresh x))
  ), stored as (
    insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page, properties)
    select eff.project_id, eff.occurred_at, eff.id, eff.received_at, eff.session_id, eff.user_id, eff.type, eff.name, eff.path,
           eff.properties
    from eff where eff.type <> 'heartbeat'
  ), agg as (
    select e.project_id, e.session_id,
           (p_batches[max(e.n)]).user_id as user_id, -- the user of the session's last batch
           (p_batches[min(e.n)]).context as context, -- the first batch's device and country
           min(e.occurred_at) as first_at, max(e.occurred_at) as last_at,
           max(e.occurred_at) filter (where e.type = 'leave') as leave_at,
           count(*) filter (where e.type = 'pageview')::integer as pageviews,
           count(*) filter (where e.type = 'event')::integer as custom,
           (array_agg(e.path order by e.occurred_at, e.pos) filter (where e.type = 'pageview'))[1] as entry_page,
           (array_agg(e.path order by e.occurred_at desc, e.pos desc) filter (where e.type = 'pageview'))[1] as page,
           max(e.occurred_at) filter (where e.type = 'pageview') as page_at,
           (array_agg(e.referrer order by e.occurred_at, e.pos) filter (where e.type = 'pageview' and e.referrer is not null))[1]
             as referrer,
           (array_agg(e.utm order by e.occurred_at, e.pos) filter (where e.type = 'pageview' and e.utm is not null))[1] as utm
    from eff e
    group by e.project_id, e.session_id
  ), sess as (
    insert into crm.site_sessions as s (
      project_id, id, user_id, started_at, last_activity_at, ended_at, is_online, current_page, current_page_since,
      entry_page, page_views, device_type, browser, os, country, referrer, utm)
    select agg.project_id, agg.session_id, agg.user_id, agg.first_at, agg.last_at,
           case when agg.leave_at >= agg.last_at then agg.leave_at end, not coalesce(agg.leave_at >= agg.last_at, false),
           agg.page, agg.page_at, agg.entry_page, agg.pageviews,
           case when agg.context ->> 'device_type' in ('desktop', 'mobile', 'tablet') then agg.context ->> 'device_type' end,
           left(agg.context ->> 'browser', 64), left(agg.context ->> 'os', 64), left(agg.context ->> 'country', 2),
           agg.referrer, agg.utm
    from agg
    order by agg.project_id, agg.session_id -- one lock order for every caller
    on conflict (project_id, id) do update set
      started_at = least(s.started_at, excluded.started_at),
      last_activity_at = greatest(s.last_activity_at, excluded.last_activity_at),
      ended_at = case when excluded.last_activity_at >= s.last_activity_at then excluded.ended_at else s.ended_at end,
      is_online = case when excluded.last_activity_at >= s.last_activity_at then excluded.is_online else s.is_online end,
      is_idle = case when excluded.last_activity_at >= s.last_activity_at then false else s.is_idle end,
      is_stuck = case
        when excluded.last_activity_at >= s.last_activity_at and not excluded.is_online then false
        when excluded.current_page_since >= coalesce(s.current_page_since, '-infinity') then false
        else s.is_stuck end,
      current_page = case when excluded.current_page_since >= coalesce(s.current_page_since, '-infinity')
        then excluded.current_page else s.current_page end,
      current_page_since = greatest(s.current_page_since, excluded.current_page_since),
      entry_page = case when excluded.started_at < s.started_at and excluded.entry_page is not null
        then excluded.entry_page else coalesce(s.entry_page, excluded.entry_page) end,
      page_views = s.page_views + excluded.page_views,
      device_type = coalesce(s.device_type, excluded.device_type),
      browser = coalesce(s.browser, excluded.browser),
      os = coalesce(s.os, excluded.os),
      country = coalesce(s.country, excluded.country),
      referrer = coalesce(s.referrer, excluded.referrer),
      utm = coalesce(s.utm, excluded.utm)
    returning s.project_id, s.id, (s.xmax = 0) as is_new
  ), per_user as (
    select agg.project_id, agg.user_id, min(agg.first_at) as first_at, max(agg.last_at) as last_at,
           sum(agg.pageviews)::integer as pageviews, sum(agg.custom)::integer as custom,
           count(*) filter (where sess.is_new)::integer as new_sessions
    from agg left join sess on sess.project_id = agg.project_id and sess.id = agg.session_id
    group by agg.project_id, agg.user_id
  ), counted as (
    update crm.site_users u
    set first_seen_at = least(u.first_seen_at, pu.first_at),
        last_seen_at = greatest(u.last_seen_at, pu.last_at),
        sessions_count = u.sessions_count + pu.new_sessions,
        pageviews_count = u.pageviews_count + pu.pageviews,
        events_count = u.events_count + pu.custom
    from per_user pu
    where u.project_id = pu.project_id and u.id = pu.user_id
      and (pu.pageviews > 0 or pu.custom > 0 or u.last_seen_at < pu.last_at - interval '1 minute'
           or u.first_seen_at > pu.first_at or pu.new_sessions > 0)
  ), health as ( -- what was stored and what was a re-send, in the project's ingest health
    insert into crm.ingest_counters as c (project_id, hour, shard, accepted, duplicates)
    select x.project_id, crm.counter_hour(now()), pg_backend_pid(), x.stored, x.sent - x.stored
    from (select ev.project_id, count(*) as sent, count(*) filter (where ev.pos in (select e.pos from eff e)) as stored
          from ev where ev.type <> 'heartbeat' group by ev.project_id) x
    order by x.project_id -- one lock order for every caller
    on conflict (project_id, hour, shard) do update
      set accepted = c.accepted + excluded.accepted, duplicates = c.duplicates + excluded.duplicates
  )
  select array_agg(eff.pos) into v_effective from eff;
  return coalesce(v_effective, '{}');
end;
$$;
revoke execute on function crm.ingest_store(crm.ingest_batch[], crm.ingest_event[]) from public;

/**
 * Step 9, answer: one result per batch, in order (PROTOCOL.md "Result").
 */
create function crm.ingest_answer(p_batches crm.ingest_batch[], p_events crm.ingest_event[], p_effective integer[])
returns jsonb
language plpgsql
as $$
declare
  v_results jsonb;
begin
  select jsonb_agg(coalesce(b.result, r.result) order by b.n) into v_results
  from unnest(p_batches) b
  left join (
    select ev.n, jsonb_build_object('status', 202,
      'accepted', count(*) filter (where ev.effective),
      'duplicates', count(*) filter (where ev.reason is null and ev.type <> 'heartbeat' and not ev.effective
                                             and (p_batches[ev.n]).user_id is not null),
      'rejected', coalesce(jsonb_agg(jsonb_build_object('index', ev.idx, 'id', ev.raw_id, 'reason', ev.reason,
                                                        'message', ev.message) order by ev.idx)
                             filter (where ev.reason is not null), '[]'),
      'visitor_id', (p_batches[ev.n]).visitor_id, 'session_id', (p_batches[ev.n]).session_id) as result
    from (select e.*, e.pos = any (p_effective) as effective from unnest(p_events) e) ev
    group by ev.n
  ) r on r.n = b.n;
  return v_results;
end;
$$;
revoke execute on function crm.ingest_answer(crm.ingest_batch[], crm.ingest_event[], integer[]) from public;

/**
 * Step 10, tally the refusals (only when a batch had any; crm.ingest_store counted what
 * was stored): per project, rejected events by reason, rate-limited events, erased
 * visitors' events, refused batches by error and the newest five rejections, as
 * ingest-health counter rows for crm.count_ingest.
 */
create function crm.ingest_tally(p_batches crm.ingest_batch[], p_results jsonb) returns crm.ingest_counters[]
language plpgsql
as $$
declare
  v_counts crm.ingest_counters[];
begin
  with answered as (
    select b.n, b.project_id, b.event_count, p_results -> (b.n - 1) as result
    from unnest(p_batches) b where b.project_id is not null
  ), refusals as ( -- rejected events and refused batches
    select a.project_id, x.value ->> 'reason' as reason, x.value ->> 'message' as message, a.n, (x.value ->> 'index')::int as i
    from answered a cross join lateral jsonb_array_elements(a.result -> 'rejected') x
    union all
    select a.project_id, coalesce(a.result ->> 'error', a.result ->> 'ignored'), a.result ->> 'message', a.n, -1
    from answered a where a.result ? 'error' or a.result ? 'ignored'
  ), per_reason as (
    select f.project_id, f.reason, count(*) as n, bool_or(f.i >= 0) as of_events
    from refusals f where f.reason <> 'rate_limited' group by f.project_id, f.reason
  )
  select array_agg(row(p.project_id, null, null, 0, 0,
           coalesce((select jsonb_object_agg(r.reason, r.n) from per_reason r
                     where r.project_id = p.project_id and r.of_events and r.reason <> 'erased'), '{}'),
           p.rate_limited, 0,
           coalesce((select sum(r.n) from per_reason r where r.project_id = p.project_id and r.reason = 'erased'), 0),
           coalesce((select jsonb_object_agg(r.reason, r.n) from per_reason r
                     where r.project_id = p.project_id and not r.of_events), '{}'),
           (select jsonb_agg(jsonb_build_object('at', statement_timestamp(), 'reason', f.reason, 'message', f.message)
                             order by f.n desc, f.i desc)
            from (select * from refusals f where f.project_id = p.project_id and f.reason not in ('erased', 'dnt')
                  order by f.n desc, f.i desc limit 5) f))::crm.ingest_counters)
  into v_counts
  from (select a.project_id, coalesce(sum(a.event_count) filter (where a.result ->> 'error' = 'rate_limited'), 0) as rate_limited
        from answered a group by a.project_id) p;
  return v_counts;
end;
$$;
revoke execute on function crm.ingest_tally(crm.ingest_batch[], jsonb) from public;

-- ---------------------------------------------------------------------------
-- The entry points
-- ---------------------------------------------------------------------------

/**
 * The answer to a batch the database could not apply. A deadlock, serialization failure,
 * lock or resource shortage passes: 503, retry. So does a unique violation (two devices
 * of one person verifying the same identity at once: the retry merges) and a
 * foreign-key violation (the visitor was erased meanwhile: the retry refuses it). Data
 * Postgres cannot read or hold (an event that is not a JSON object, an unpaired
 * surrogate, U+0000, a number out of range) is a 400. detail and sqlstate are for the
 * caller's log, never for the client.
 */
create function crm.ingest_failure(p_sqlstate text, p_message text) returns jsonb
language sql immutable
set search_path = ''
as $$
  select case
    when p_sqlstate ~ '^(40|53)' or p_sqlstate in ('55P03', '23505', '23503') then jsonb_build_object(
      'status', 503, 'error', 'unavailable', 'retry_after', 2, 'message', 'the database is busy; retry later',
      'sqlstate', p_sqlstate)
    when p_sqlstate ~ '^22' then jsonb_build_object('status', 400, 'error', 'invalid_batch',
      'message', 'the batch holds a value the database cannot read or store (every event must be a JSON object)',
      'sqlstate', p_sqlstate, 'detail', p_message)
    else jsonb_build_object('status', 500, 'error', 'internal', 'message', 'unexpected error',
      'sqlstate', p_sqlstate, 'detail', p_message)
  end
$$;
revoke execute on function crm.ingest_failure(text, text) from public;

/**
 * Admission, the first half of a call: the items resolved and counted against the rate
 * limits (steps 1 and 2). Never raises for bad input: when an unexpected error hits
 * several items, each is admitted alone, so only the faulty one fails.
 */
create function crm.ingest_admit(items json) returns crm.ingest_batch[]
language plpgsql
security definer -- service_role has no grants on crm tables
set search_path = ''
set plan_cache_mode = force_generic_plan -- for every step (see the top of this file)
as $$
declare
  v_batches crm.ingest_batch[] := '{}';
  v_one crm.ingest_batch;
  v_item json;
  v_n integer;
begin
  if json_typeof(items) is distinct from 'array' then
    raise exception 'ingest expects a JSON array of {batch, context}' using errcode = '22023';
  end if;
  begin
    return crm.ingest_rate_limit(crm.ingest_resolve(items));
  exception when others then
    if json_array_length(items) = 1 then
      v_one.n := 1;
      v_one.result := crm.ingest_failure(sqlstate, sqlerrm);
      return array[v_one];
    end if;
  end;
  for v_item, v_n in select x.item, x.n from json_array_elements(items) with ordinality as x (item, n) loop
    v_one := (crm.ingest_admit(json_build_array(v_item)))[1];
    v_one.n := v_n;
    v_batches := v_batches || v_one;
  end loop;
  return v_batches;
end;
$$;
revoke execute on function crm.ingest_admit(json) from public;
grant execute on function crm.ingest_admit(json) to service_role;

/**
 * The second half of a call: admitted batches applied (steps 3 to 10). Returns a JSON
 * array with one crm.ingest result per batch, in order. Never raises for bad input:
 * when an unexpected error hits several batches, each is applied alone, so only the
 * faulty one fails.
 */
create function crm.ingest_apply(p_batches crm.ingest_batch[]) returns jsonb
language plpgsql
security definer -- service_role has no grants on crm tables
set search_path = ''
set plan_cache_mode = force_generic_plan -- for every step (see the top of this file)
as $$
declare
  v_batches crm.ingest_batch[] := p_batches;
  v_events crm.ingest_event[];
  v_effective integer[];
  v_results jsonb := '[]';
  v_one crm.ingest_batch;
begin
  if coalesce(cardinality(p_batches), 0) = 0 then
    return '[]'::jsonb;
  end if;
  begin
    v_batches := crm.ingest_visitors(v_batches);
    v_events := crm.ingest_parse(v_batches);
    -- The rare steps, only when a batch needs one of them (one check instead of three).
    if exists (select from unnest(v_batches) b
               where b.result is null and (b.visitor_id is null or b.erased or b.user_id is null))
       or exists (select from unnest(v_events) e where e.type = 'identify' and e.reason is null) then
      v_batches := crm.ingest_cookieless_ids(v_batches, v_events);
      v_batches := crm.ingest_refuse_erased(v_batches, v_events);
      v_batches := crm.ingest_identify(v_batches, v_events);
    end if;
    v_effective := crm.ingest_store(v_batches, v_events);
    v_results := crm.ingest_answer(v_batches, v_events, v_effective);
    if jsonb_path_exists(v_results, '$[*] ? (exists(@.error) || exists(@.ignored) || @.rejected.size() > 0)') then
      perform crm.count_ingest(crm.ingest_tally(v_batches, v_results));
    end if;
    return v_results;
  exception when others then
    if cardinality(p_batches) = 1 then
      return jsonb_build_array(crm.ingest_failure(sqlstate, sqlerrm));
    end if;
  end;
  foreach v_one in array p_batches loop
    v_one.n := 1;
    v_results := v_results || (crm.ingest_apply(array[v_one]) -> 0);
  end loop;
  return v_results;
end;
$$;
revoke execute on function crm.ingest_apply(crm.ingest_batch[]) from public;
grant execute on function crm.ingest_apply(crm.ingest_batch[]) to service_role;

/**
 * Ingests many batches (PROTOCOL.md) in one call and one transaction: items is a JSON
 * array of {batch, context}; returns a JSON array with one crm.ingest result per item,
 * in order, as if the batches had come one by one. Its rate-limit counters stay locked
 * until the caller commits, so concurrent calls for one project queue; crm.ingest_call
 * avoids that.
 */
create function crm.ingest_batches(items json) returns jsonb
language sql
set search_path = ''
as $$
  select crm.ingest_apply(crm.ingest_admit(items))
$$;
revoke execute on function crm.ingest_batches(json) from public;
grant execute on function crm.ingest_batches(json) to service_role;

/**
 * What the Edge Function calls: crm.ingest_batches in two transactions. Admission is
 * committed at once — without waiting for the disk, a count lost in a crash is harmless
 * — so a busy project's concurrent calls wait on its counter row only for that commit,
 * and the limits stay exact. Then the batches are applied and committed durably.
 * `call crm.ingest_call($1, null)` returns one row, {results}. Must be called outside a
 * transaction block (it commits).
 */
create procedure crm.ingest_call(items json, inout results jsonb default null)
language plpgsql -- no SET clause and no security definer: either would forbid the commit
as $$
declare
  v_batches crm.ingest_batch[];
begin
  v_batches := crm.ingest_admit(items);
  perform set_config('synchronous_commit', 'off', true);
  commit;
  results := crm.ingest_apply(v_batches);
end;
$$;
revoke execute on procedure crm.ingest_call(json, jsonb) from public;
grant execute on procedure crm.ingest_call(json, jsonb) to service_role;

/**
 * Ingests one batch (PROTOCOL.md): crm.ingest_batches with a single item. Returns
 * {status, accepted, duplicates, rejected[], visitor_id, session_id} or
 * {status, error, message[, retry_after]}; never raises.
 */
create function crm.ingest(batch json, context json) returns jsonb
language plpgsql
set search_path = '' -- no definer rights needed: it only calls crm.ingest_batches, which has them
as $$
begin
  return crm.ingest_batches(json_build_array(json_build_object('batch', batch, 'context', context))) -> 0;
end;
$$;
revoke execute on function crm.ingest(json, json) from public;
grant execute on function crm.ingest(json, json) to service_role;
