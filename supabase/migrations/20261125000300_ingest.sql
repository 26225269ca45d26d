-- Ingest: crm.ingest_batches(items) applies many batches (supabase/functions/ingest/
-- PROTOCOL.md) set-based in one statement — the Edge Function sends its coalesced
-- requests that way — and crm.ingest(batch, context) is the one-batch form. The only
-- loops are over rare cases (cookieless ids, identify, refusals). Neither raises for a
-- rejected batch or event. Erased visitors are refused by a lookup in crm.erased_ids,
-- created by the privacy migration (PL/pgSQL resolves the table when it runs).

create type crm.ingest_event as (
  idx integer,
  id uuid,
  raw_id text,
  type text,
  occurred_at timestamptz,
  path text,
  name text,
  properties jsonb,
  referrer text,
  utm jsonb,
  email text,
  external_id text,
  display_name text,
  segment text,
  metadata jsonb,
  signed boolean,
  reason text
);
comment on type crm.ingest_event is 'One parsed and validated event of an ingest batch; reason is null when the event is valid.';

/**
 * Parses the events array of a batch: shifts times by p_skew, validates every event
 * (reason invalid | unknown_type | oversize | too_old | in_future | signature_required
 * | bad_signature, null when valid) and checks identify signatures. Plain SQL with no
 * SET clause (every name is qualified) so the planner inlines it into crm.ingest.
 */
create function crm.parse_ingest_events(
  p_events jsonb, p_skew interval, p_received_at timestamptz, p_identity_secret text, p_require_signed boolean
) returns setof crm.ingest_event
language sql stable
as $$
  select
    (o.n - 1)::integer,
    case when v.id_ok then r.id::uuid end,
    left(r.id, 64),
    r.type,
    v.occurred_at,
    r.path,
    r.name,
    case r.type
      when 'event' then r.props
      when 'pageview' then nullif(jsonb_strip_nulls(jsonb_build_object(
        'title', r.title, 'referrer', r.referrer, 'utm', r.utm, 'screen', r.screen)), '{}')
      when 'identify' then jsonb_build_object('verified', coalesce(v.signed, false))
    end,
    r.referrer,
    case when jsonb_typeof(r.utm) = 'object' then r.utm end,
    lower(trim(r.email)),
    r.external_id,
    r.name,
    r.segment,
    case when jsonb_typeof(r.metadata) = 'object' then r.metadata end,
    coalesce(v.signed, false),
    case
      when not v.id_ok or v.occurred_at is null or r.type is null then 'invalid'
      when r.type not in ('pageview', 'heartbeat', 'event', 'identify', 'leave') then 'unknown_type'
      when (r.type = 'pageview' and (r.path is null or coalesce(jsonb_typeof(r.utm), 'object') <> 'object'))
        or (r.type = 'event' and (coalesce(r.name, '') = '' or coalesce(jsonb_typeof(r.props), 'object') <> 'object'))
        or (r.type = 'identify' and (coalesce(r.email, r.external_id, r.name) is null
            or coalesce(r.segment, 'visitor') not in ('visitor', 'user', 'premium', 'trial', 'churned')
            or coalesce(jsonb_typeof(r.metadata), 'object') <> 'object')) then 'invalid'
      when length(r.path) > 2048
        or (r.type = 'pageview' and (length(r.title) > 512 or length(r.referrer) > 2048 or length(r.screen) > 32
            or octet_length(r.utm::text) > 1536))
        or (r.type = 'event' and (length(r.name) > 128 or octet_length(r.props::text) > 4096))
        or (r.type = 'identify' and (length(r.email) > 320 or length(r.name) > 256
            or length(r.external_id) > 256 or octet_length(r.metadata::text) > 4096)) then 'oversize'
      when v.occurred_at < p_received_at - interval '48 hours' then 'too_old'
      when v.occurred_at > p_received_at + interval '5 minutes' then 'in_future'
      when r.type = 'identify' and r.signature is null and p_require_signed then 'signature_required'
      when r.type = 'identify' and r.signature is not null and not v.signed then 'bad_signature'
    end
  from jsonb_array_elements(p_events) with ordinality as o (e, n)
  cross join lateral jsonb_to_record(case when jsonb_typeof(o.e) = 'object' then o.e else '{}' end) as r (
    id text, type text, ts text, path text, name text, props jsonb, title text, referrer text, utm jsonb,
    screen text, email text, external_id text, segment text, metadata jsonb, signature text)
  cross join lateral (
    select
      coalesce(r.id, '') ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' as id_ok,
      case when r.ts ~ '^\d{1,14}(\.\d*)?$' then to_timestamp(r.ts::double precision / 1000) + p_skew end as occurred_at,
      case when r.type = 'identify' and r.signature is not null then
        lower(r.signature) = encode(extensions.hmac(
          coalesce(r.external_id, lower(trim(r.email)), ''), p_identity_secret, 'sha256'), 'hex')
      end as signed
    offset 0 -- evaluate these once per event, not once per reference
  ) v
$$;
revoke execute on function crm.parse_ingest_events(jsonb, interval, timestamptz, text, boolean) from public;

/**
 * Moves everything of site user p_from into p_into (sessions, events, anonymous ids,
 * counters; missing name and metadata keys) and deletes p_from. Nothing is lost.
 */
create function crm.merge_site_users(p_project_id uuid, p_from uuid, p_into uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_from = p_into then
    return;
  end if;
  update crm.site_sessions s set user_id = p_into where s.project_id = p_project_id and s.user_id = p_from;
  update crm.user_events e set user_id = p_into where e.project_id = p_project_id and e.user_id = p_from;
  update crm.anonymous_ids a set user_id = p_into where a.project_id = p_project_id and a.user_id = p_from;
  update crm.site_users t
  set first_seen_at = least(t.first_seen_at, f.first_seen_at),
      last_seen_at = greatest(t.last_seen_at, f.last_seen_at),
      sessions_count = t.sessions_count + f.sessions_count,
      pageviews_count = t.pageviews_count + f.pageviews_count,
      events_count = t.events_count + f.events_count,
      name = coalesce(t.name, f.name),
      metadata = f.metadata || t.metadata,
      updated_at = now()
  from crm.site_users f
  where f.project_id = p_project_id and f.id = p_from and t.project_id = p_project_id and t.id = p_into;
  delete from crm.site_users u where u.project_id = p_project_id and u.id = p_from;
end;
$$;
revoke execute on function crm.merge_site_users(uuid, uuid, uuid) from public;

/**
 * Applies an identify to the site user p_user_id (the visitor's user, may be null).
 * Unverified: only labels that user, and never touches a verified one. Verified
 * (valid signature or trusted backend): the user with that external id — or that
 * email, when p_email_verified — becomes the visitor's user; an unverified visitor is
 * merged into it; a verified visitor of another identity (shared device) keeps its
 * data and the anonymous id moves. A signature covers the external id when there is
 * one, so the email next to it is a label: it never finds a user and never replaces a
 * vouched-for email (else anyone signed in could name another customer's email and be
 * merged into that profile). An external id an unverified visitor claimed is dropped
 * when it becomes verified: only vouched-for identifiers find users. Returns the
 * resulting user id.
 */
create function crm.apply_identity(
  p_project_id uuid, p_user_id uuid, p_anonymous_id uuid, p_email text, p_external_id text,
  p_name text, p_segment text, p_metadata jsonb, p_verified boolean, p_email_verified boolean
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_email text := nullif(lower(trim(p_email)), '');
  v_current crm.site_users;
  v_target uuid;
  v_take_email boolean;
begin
  select * into v_current from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;

  if not p_verified then
    if v_current.id is null or v_current.verified then
      return p_user_id;
    end if;
    update crm.site_users u
    set email = coalesce(v_email, u.email), external_id = coalesce(p_external_id, u.external_id),
        name = coalesce(p_name, u.name), segment = coalesce(p_segment, u.segment),
        metadata = u.metadata || coalesce(p_metadata, '{}'), updated_at = now()
    where u.project_id = p_project_id and u.id = v_current.id;
    return v_current.id;
  end if;

  if p_external_id is not null then
    select u.id into v_target from crm.site_users u
    where u.project_id = p_project_id and u.verified and u.external_id = p_external_id;
  end if;
  if v_target is null and v_email is not null and p_email_verified then
    select u.id into v_target from crm.site_users u
    where u.project_id = p_project_id and u.email_verified and lower(u.email) = v_email;
  end if;

  if v_target is null then
    if v_current.id is not null and not v_current.verified then
      v_target := v_current.id;
    else
      v_target := gen_random_uuid();
      insert into crm.site_users (project_id, id, first_seen_at, last_seen_at)
      values (p_project_id, v_target, coalesce(v_current.first_seen_at, now()), coalesce(v_current.last_seen_at, now()));
    end if;
  elsif v_current.id is not null and v_current.id <> v_target and not v_current.verified then
    perform crm.merge_site_users(p_project_id, v_current.id, v_target);
  end if;

  if p_anonymous_id is not null then
    insert into crm.anonymous_ids (project_id, anonymous_id, user_id)
    values (p_project_id, p_anonymous_id, v_target)
    on conflict (project_id, anonymous_id) do update set user_id = excluded.user_id;
  end if;

  -- A vouched-for email / external id is unique per project: taken unless another user
  -- already holds it vouched for.
  v_take_email := p_email_verified and v_email is not null and not exists (
    select from crm.site_users o
    where o.project_id = p_project_id and o.email_verified and lower(o.email) = v_email and o.id <> v_target);
  update crm.site_users u
  set verified = true,
      email = case when v_take_email then v_email when u.email_verified then u.email else coalesce(v_email, u.email) end,
      email_verified = v_take_email or u.email_verified,
      external_id = case
        when p_external_id is not null and not exists (select from crm.site_users o where o.project_id = p_project_id
               and o.verified and o.external_id = p_external_id and o.id <> v_target) then p_external_id
        when u.verified then u.external_id
        end, -- else: claimed while unverified, never vouched for
      name = coalesce(p_name, u.name), segment = coalesce(p_segment, u.segment),
      metadata = u.metadata || coalesce(p_metadata, '{}'), updated_at = now()
  where u.project_id = p_project_id and u.id = v_target;
  return v_target;
end;
$$;
revoke execute on function crm.apply_identity(uuid, uuid, uuid, text, text, text, text, jsonb, boolean, boolean) from public;

/** One batch of a crm.ingest_batches call while it is being applied. */
create type crm.ingest_batch as (
  n integer,                    -- position in the call, 1-based (also its index in the array)
  project_id uuid,
  identity_secret text,
  require_signed boolean,
  session_timeout interval,
  limit_project bigint,
  limit_ip bigint,
  received_at timestamptz,
  skew interval,
  events jsonb,
  context jsonb,
  visitor_id uuid,              -- null until resolved (derived in cookieless mode)
  session_id uuid,
  user_id uuid,
  erased boolean,               -- the visitor was erased on request: every event is refused
  has_identify boolean,
  result jsonb                  -- set once the batch is answered without storing (errors, dnt, erased)
);
comment on type crm.ingest_batch is 'One batch of a crm.ingest_batches call while it is applied; result is set when it is answered without storing anything.';

/**
 * Ingests many batches (PROTOCOL.md) in one set-based pass: items is a JSON array of
 * {batch, context}; returns a JSON array with one crm.ingest result per item, in order.
 * Resolves projects, checks origins, DNT and rate limits (in item order, as if the
 * batches came one by one), corrects clock skew, validates events one by one, dedupes
 * re-sent events (also within the call), resolves visitors and sessions (derived in
 * cookieless mode), applies identify, stores events and upserts sessions and user
 * counters — one statement for all batches, so coalesced requests cost little more
 * than one. Never raises for bad input: when an unexpected error hits a call of several
 * items, each item is retried alone, so only the faulty one answers 500.
 */
create function crm.ingest_batches(items jsonb) returns jsonb
language plpgsql
security definer -- service_role has no grants on crm tables
set search_path = ''
as $$
declare
  v_window timestamptz := date_trunc('minute', now());
  v_shard integer := pg_backend_pid();
  v_batches crm.ingest_batch[];
  v_b crm.ingest_batch;
  v_i integer;
  v_user uuid;
  v_first timestamptz;
  v_ident crm.ingest_event;
  v_identified boolean := false;
  v_result jsonb;
  c_uuid constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
  if jsonb_typeof(items) is distinct from 'array' then
    raise exception 'crm.ingest_batches expects a JSON array of {batch, context}' using errcode = '22023';
  end if;
  if jsonb_array_length(items) = 0 then
    return '[]';
  end if;
  begin
    -- Every batch's header: project, origin, DNT, skew, the tracker's ids (standard mode)
    -- and, for those, the visitor's user and whether it was erased.
    select array_agg(t.b order by (t.b).n)
    into v_batches
    from (select row(
        x.n, p.id, p.identity_secret, (s.settings ->> 'require_signed_identify')::boolean,
        make_interval(mins => (s.settings ->> 'session_timeout_minutes')::integer),
        (s.settings ->> 'rate_limit_project_per_minute')::bigint, (s.settings ->> 'rate_limit_ip_per_minute')::bigint,
        h.received_at,
        case when jsonb_typeof(h.batch -> 'sent_at') = 'number' and (h.batch ->> 'sent_at')::numeric between 0 and 1e14
          then h.received_at - to_timestamp((h.batch ->> 'sent_at')::double precision / 1000) else interval '0' end,
        h.batch -> 'events', h.context, ids.visitor_id, ids.session_id,
        -- a subquery, not a join: one primary-key probe per batch whatever the estimates
        (select a.user_id from crm.anonymous_ids a where a.project_id = p.id and a.anonymous_id = ids.visitor_id),
        exists (select from crm.erased_ids x where x.project_id = p.id and x.anonymous_id = ids.visitor_id),
        h.shape_ok and h.batch -> 'events' @> '[{"type": "identify"}]',
        case
          when not h.shape_ok then jsonb_build_object('status', 400, 'error', 'invalid_batch',
            'message', 'the batch does not follow PROTOCOL.md')
          when jsonb_array_length(h.batch -> 'events') > 100 then jsonb_build_object('status', 413, 'error', 'too_large',
            'message', 'more than 100 events in one batch')
          when p.id is null then jsonb_build_object('status', 400, 'error', 'unknown_project',
            'message', 'no project has this public key')
          when cardinality(p.allowed_origins) > 0
               and not coalesce(h.context ->> 'origin' = any (p.allowed_origins) or '*' = any (p.allowed_origins), false)
            then jsonb_build_object('status', 403, 'error', 'origin_not_allowed',
              'message', 'this origin is not allowed for the project')
          when (s.settings ->> 'respect_dnt')::boolean and h.context -> 'dnt' = 'true'::jsonb
            then jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0, 'rejected', '[]'::jsonb, 'ignored', 'dnt')
        end
      )::crm.ingest_batch as b
    from jsonb_array_elements(items) with ordinality as x (item, n)
    cross join lateral (
      select x.item -> 'batch' as batch, x.item -> 'context' as context,
             jsonb_typeof(x.item -> 'batch') = 'object' and jsonb_typeof(x.item -> 'batch' -> 'events') = 'array'
               and jsonb_array_length(case when jsonb_typeof(x.item -> 'batch' -> 'events') = 'array'
                                           then x.item -> 'batch' -> 'events' end) > 0
               and jsonb_typeof(x.item -> 'context') = 'object' as shape_ok,
             case when x.item -> 'context' ->> 'received_at' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}'
               then (x.item -> 'context' ->> 'received_at')::timestamptz else now() end as received_at
      offset 0
    ) h
    left join crm.projects p on p.public_key = h.batch ->> 'project' and h.shape_ok
    -- (offset 0: computed once per batch, not once per reference)
    cross join lateral (select crm.default_project_settings() || p.settings as settings offset 0) s
    cross join lateral ( -- the tracker's ids in standard mode; else derived below
      select case when ok then (h.batch ->> 'visitor_id')::uuid end as visitor_id,
             case when ok then (h.batch ->> 'session_id')::uuid end as session_id
      from (select s.settings ->> 'privacy_mode' = 'standard' and coalesce(h.batch ->> 'visitor_id', '') ~ c_uuid
                   and coalesce(h.batch ->> 'session_id', '') ~ c_uuid as ok offset 0) m
      offset 0
    ) ids
    ) t;

    -- Rate limits: one-minute windows, events counted per project and per hashed IP, the
    -- batches of this call in order (a refused batch counts too). Every counter has one
    -- row per backend (live backends have distinct pids), so concurrent calls never
    -- queue on a row lock held until commit (many visitors behind one IP, or one busy
    -- project). A counter before this call is the sum of its rows of the window as the
    -- statement's snapshot sees them (the upsert in `hit` is not visible to `before`).
    for v_i in
      with b as (
        select b.n, b.project_id, jsonb_array_length(b.events) as hits, b.limit_project, b.limit_ip,
               'ip:' || left(b.context ->> 'ip_hash', 128) as ip
        from unnest(v_batches) b where b.result is null
      ), counted as (
        select b.project_id, k.bucket, sum(b.hits)::integer as hits
        from b cross join lateral (values ('project'), (b.ip)) as k (bucket)
        where k.bucket is not null
        group by b.project_id, k.bucket
      ), hit as (
        insert into crm.rate_limits as r (project_id, bucket, shard, window_start, hits)
        select c.project_id, c.bucket, v_shard, v_window, c.hits from counted c
        on conflict (project_id, bucket, shard) do update
          set hits = case when r.window_start = excluded.window_start then r.hits + excluded.hits else excluded.hits end,
              window_start = excluded.window_start
      ), before as ( -- every shard of each counter as this statement's snapshot sees it (without this call)
        select c.project_id, c.bucket,
               (select coalesce(sum(r.hits), 0) from crm.rate_limits r
                where r.project_id = c.project_id and r.bucket = c.bucket and r.window_start = v_window) as hits
        from counted c
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
      v_batches[v_i].result := jsonb_build_object('status', 429, 'error', 'rate_limited',
        'retry_after', greatest(1, ceil(extract(epoch from v_window + interval '1 minute' - clock_timestamp())))::integer,
        'message', 'too many events; retry later');
    end loop;

    -- Cookieless mode (or a batch without ids): ids derived from the hashed IP, the user
    -- agent and the UTC day; the session is the visitor's one still active, else derived.
    for v_i in select b.n from unnest(v_batches) b
               where b.result is null and b.visitor_id is null order by b.n loop
      v_b := v_batches[v_i];
      if v_b.context ->> 'ip_hash' is null then
        v_batches[v_i].result := jsonb_build_object('status', 400, 'error', 'invalid_batch',
          'message', 'cookieless batches need the hashed client IP in the context');
        continue;
      end if;
      v_b.visitor_id := md5(concat_ws(':', v_b.project_id, v_b.context ->> 'ip_hash', v_b.context ->> 'user_agent',
        (v_b.received_at at time zone 'UTC')::date))::uuid;
      select a.user_id into v_user from crm.anonymous_ids a
      where a.project_id = v_b.project_id and a.anonymous_id = v_b.visitor_id;
      select min(e.occurred_at) into v_first
      from crm.parse_ingest_events(v_b.events, v_b.skew, v_b.received_at, v_b.identity_secret, v_b.require_signed) e
      where e.reason is null;
      -- The session an earlier batch of this call used (not stored yet), else the stored one.
      select b.session_id into v_b.session_id from unnest(v_batches) b
      where b.n < v_i and b.project_id = v_b.project_id and b.visitor_id = v_b.visitor_id and b.result is null
      limit 1;
      if v_b.session_id is null then
        select s.id into v_b.session_id
        from crm.site_sessions s
        where s.project_id = v_b.project_id and s.user_id = v_user and s.last_activity_at >= v_first - v_b.session_timeout
        order by s.last_activity_at desc
        limit 1;
      end if;
      v_batches[v_i].visitor_id := v_b.visitor_id;
      v_batches[v_i].session_id := coalesce(v_b.session_id, md5(concat_ws(':', v_b.visitor_id,
        floor(extract(epoch from v_first) / extract(epoch from v_b.session_timeout))))::uuid);
      v_batches[v_i].user_id := v_user;
      v_batches[v_i].erased := exists (select from crm.erased_ids x
                                       where x.project_id = v_b.project_id and x.anonymous_id = v_b.visitor_id);
    end loop;

    -- A visitor erased on request may not come back (a replayed offline queue): every
    -- event of its batch is rejected.
    for v_i in select b.n from unnest(v_batches) b
               where b.result is null and b.erased loop
      v_b := v_batches[v_i];
      v_batches[v_i].result := jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0,
        'rejected', (select coalesce(jsonb_agg(jsonb_build_object('index', o.n - 1, 'id', left(o.e ->> 'id', 64),
                       'reason', 'erased') order by o.n), '[]')
                     from jsonb_array_elements(v_b.events) with ordinality as o (e, n)),
        'visitor_id', v_b.visitor_id, 'session_id', v_b.session_id);
    end loop;

    -- New visitors with at least one valid event become site users.
    if exists (select from unnest(v_batches) b where b.result is null and b.user_id is null) then
      with firsts as (
        select b.project_id, b.visitor_id, min(e.occurred_at) as first_at
        from unnest(v_batches) b
        cross join lateral crm.parse_ingest_events(b.events, b.skew, b.received_at, b.identity_secret, b.require_signed) e
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
      v_identified := true; -- look the users up again below
    end if;

    -- Identify events not seen before, per batch in time order (rare: a loop is fine).
    for v_i in select b.n from unnest(v_batches) b
               where b.result is null and b.has_identify order by b.n loop
      v_b := v_batches[v_i];
      if v_identified then
        select a.user_id into v_b.user_id from crm.anonymous_ids a
        where a.project_id = v_b.project_id and a.anonymous_id = v_b.visitor_id;
      end if;
      for v_ident in
        select e.* from crm.parse_ingest_events(v_b.events, v_b.skew, v_b.received_at, v_b.identity_secret, v_b.require_signed) e
        where e.type = 'identify' and e.reason is null
          and not exists (select from crm.event_dedupe d
                          where d.project_id = v_b.project_id and d.visitor_id = v_b.visitor_id and d.event_id = e.id)
        order by e.occurred_at, e.idx
      loop
        -- A signature covers the external id when there is one, else the email.
        v_b.user_id := crm.apply_identity(v_b.project_id, v_b.user_id, v_b.visitor_id, v_ident.email,
          v_ident.external_id, v_ident.display_name, v_ident.segment, v_ident.metadata, v_ident.signed,
          v_ident.external_id is null);
        v_identified := true;
      end loop;
      v_batches[v_i].user_id := v_b.user_id;
    end loop;

    -- New users and merges change whose a visitor is: look them up again.
    if v_identified then
      for v_i, v_user in
        select b.n, a.user_id from unnest(v_batches) b
        join crm.anonymous_ids a on a.project_id = b.project_id and a.anonymous_id = b.visitor_id
        where b.result is null and b.user_id is distinct from a.user_id
      loop
        v_batches[v_i].user_id := v_user;
      end loop;
    end if;

    -- Everything else in one statement for all batches: dedupe (an event sent twice in
    -- this call counts once), store events, upsert each session once from its new events
    -- and heartbeats (so a replay changes nothing), count on each user once.
    -- (The membership tests below sit in expressions on purpose: the planner hashes such
    -- a subplan, whereas as a join its row estimates for CTEs could pick a nested loop.)
    with ev as materialized (
      select b.n, b.project_id, b.visitor_id, b.session_id, b.user_id, b.received_at, e.*
      from unnest(v_batches) b
      cross join lateral crm.parse_ingest_events(b.events, b.skew, b.received_at, b.identity_secret, b.require_signed) e
      where b.result is null
    ), firsts as ( -- the first copy of each event id (an event sent twice in this call counts once)
      select min(ev.n * 1000 + ev.idx) as pos
      from ev
      where ev.reason is null and ev.type <> 'heartbeat' and ev.user_id is not null
      group by ev.project_id, ev.visitor_id, ev.id
    ), fresh as (
      insert into crm.event_dedupe (project_id, visitor_id, event_id, received_at)
      select ev.project_id, ev.visitor_id, ev.id, ev.received_at from ev
      where ev.n * 1000 + ev.idx in (select f.pos from firsts f)
      on conflict do nothing
      returning project_id, visitor_id, event_id
    ), marked as materialized (
      select ev.*, ev.reason is null and ev.user_id is not null
               and (ev.type = 'heartbeat' or (ev.n * 1000 + ev.idx in (select f.pos from firsts f)
                    and (ev.project_id, ev.visitor_id, ev.id) in (select x.project_id, x.visitor_id, x.event_id from fresh x)))
             as effective
      from ev
    ), eff as (
      select m.* from marked m where m.effective
    ), stored as (
      insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page, properties)
      select eff.project_id, eff.occurred_at, eff.id, eff.received_at, eff.session_id, eff.user_id, eff.type,
             case when eff.type = 'event' then eff.name end, eff.path, eff.properties
      from eff where eff.type <> 'heartbeat'
    ), agg as (
      select eff.project_id, eff.session_id,
             (v_batches[max(eff.n)]).user_id as user_id, -- the user of the session's last batch
             (v_batches[min(eff.n)]).context as context, -- the first batch's device and country
             min(eff.occurred_at) as first_at, max(eff.occurred_at) as last_at,
             max(eff.occurred_at) filter (where eff.type = 'leave') as leave_at,
             count(*) filter (where eff.type = 'pageview')::integer as pageviews,
             count(*) filter (where eff.type = 'event')::integer as custom,
             (array_agg(eff.path order by eff.occurred_at, eff.n, eff.idx) filter (where eff.type = 'pageview'))[1] as entry_page,
             (array_agg(eff.path order by eff.occurred_at desc, eff.n desc, eff.idx desc)
               filter (where eff.type = 'pageview'))[1] as page,
             max(eff.occurred_at) filter (where eff.type = 'pageview') as page_at,
             (array_agg(eff.referrer order by eff.occurred_at, eff.n, eff.idx)
               filter (where eff.type = 'pageview' and eff.referrer is not null))[1] as referrer,
             (array_agg(eff.utm order by eff.occurred_at, eff.n, eff.idx)
               filter (where eff.type = 'pageview' and eff.utm is not null))[1] as utm
      from eff
      group by eff.project_id, eff.session_id
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
        -- keys as arrays too, so the plan probes the primary key instead of scanning
        and u.project_id = any (array(select p.project_id from per_user p))
        and u.id = any (array(select p.user_id from per_user p))
        and (pu.pageviews > 0 or pu.custom > 0 or u.last_seen_at < pu.last_at - interval '1 minute'
             or u.first_seen_at > pu.first_at or pu.new_sessions > 0)
    ), results as (
      select m.n, jsonb_build_object('status', 202,
        'accepted', count(*) filter (where m.effective),
        'duplicates', count(*) filter (where m.reason is null and m.type <> 'heartbeat' and m.user_id is not null
                                        and not m.effective),
        'rejected', coalesce(jsonb_agg(jsonb_build_object('index', m.idx, 'id', m.raw_id, 'reason', m.reason)
                       order by m.idx) filter (where m.reason is not null), '[]'),
        'visitor_id', min(m.visitor_id::text), 'session_id', min(m.session_id::text)) as result
      from marked m
      group by m.n
    )
    select jsonb_agg(coalesce(b.result, r.result) order by b.n)
    into v_result
    from unnest(v_batches) b left join results r on r.n = b.n;
    return v_result;
  exception when others then
    if jsonb_array_length(items) = 1 then
      -- A deadlock, serialization failure, lock or resource shortage passes: 503, retry.
      -- So does a unique violation: two devices of one person verifying the same
      -- identity at once; the retry finds the other one's user and merges.
      if sqlstate ~ '^(40|53)' or sqlstate in ('55P03', '23505') then
        return jsonb_build_array(jsonb_build_object('status', 503, 'error', 'unavailable', 'retry_after', 2,
          'message', 'the database is busy; retry later', 'sqlstate', sqlstate));
      end if;
      return jsonb_build_array(jsonb_build_object('status', 500, 'error', 'internal', 'message', sqlerrm, 'sqlstate', sqlstate));
    end if;
  end;
  -- Several items and an unexpected error: each alone, so only the faulty one fails.
  return (select jsonb_agg(crm.ingest_batches(jsonb_build_array(x.item)) -> 0 order by x.n)
          from jsonb_array_elements(items) with ordinality as x (item, n));
end;
$$;
revoke execute on function crm.ingest_batches(jsonb) from public;
grant execute on function crm.ingest_batches(jsonb) to service_role;

/**
 * Ingests one batch (PROTOCOL.md): crm.ingest_batches with a single item. Returns
 * {status, accepted, duplicates, rejected[], visitor_id, session_id} or
 * {status, error, message[, retry_after]}; never raises.
 */
create function crm.ingest(batch jsonb, context jsonb) returns jsonb
language plpgsql
set search_path = '' -- no definer rights needed: it only calls crm.ingest_batches, which has them
as $$
begin
  return crm.ingest_batches(jsonb_build_array(jsonb_build_object('batch', batch, 'context', context))) -> 0;
end;
$$;
revoke execute on function crm.ingest(jsonb, jsonb) from public;
grant execute on function crm.ingest(jsonb, jsonb) to service_role;

/**
 * Lets a trusted backend (service_role, or a project admin) identify a site user and
 * set its segment: finds or creates the verified user with that external id / email,
 * merges the visitor with p_anonymous_id into it when given. Returns the user as jsonb.
 */
create function public.identify_site_user(
  p_project_id uuid,
  p_email text default null,
  p_external_id text default null,
  p_name text default null,
  p_segment text default null,
  p_metadata jsonb default null,
  p_anonymous_id uuid default null
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user uuid;
  v_row crm.site_users;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_project_exists(p_project_id);
  if coalesce(nullif(trim(p_email), ''), nullif(p_external_id, '')) is null then
    raise exception 'identify_site_user needs p_email or p_external_id' using errcode = '22023';
  end if;
  perform crm.require_segment(p_segment);
  if length(p_email) > 320 or length(p_external_id) > 256 or length(p_name) > 256
     or octet_length(p_metadata::text) > 4096 or (p_metadata is not null and jsonb_typeof(p_metadata) <> 'object') then
    raise exception 'a value is too long or malformed' using errcode = '22023';
  end if;
  if p_anonymous_id is not null then
    select a.user_id into v_user from crm.anonymous_ids a
    where a.project_id = p_project_id and a.anonymous_id = p_anonymous_id;
  end if;
  v_user := crm.apply_identity(p_project_id, v_user, p_anonymous_id, p_email, nullif(p_external_id, ''),
    p_name, p_segment, p_metadata, true, true); -- a trusted backend vouches for both
  select * into v_row from crm.site_users u where u.project_id = p_project_id and u.id = v_user;
  return jsonb_build_object('user_id', v_row.id, 'email', v_row.email, 'external_id', v_row.external_id,
    'name', v_row.name, 'segment', v_row.segment, 'verified', v_row.verified, 'metadata', v_row.metadata);
end;
$$;
grant execute on function public.identify_site_user(uuid, text, text, text, text, jsonb, uuid) to authenticated, service_role;
