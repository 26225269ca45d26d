-- Ingest: crm.ingest(batch, context) implements supabase/functions/ingest/PROTOCOL.md.
-- One call per batch, set-based (the only loop is over identify events, which are rare);
-- never raises for a rejected batch or event, so several batches can share a transaction.
-- Erased visitors are refused through crm.ingest_is_erased, defined in the privacy
-- migration next to crm.erased_ids (a plain SQL function needs its table to exist).

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
 * (valid signature or trusted backend): the user with that external id / email
 * becomes the visitor's user — an unverified visitor is merged into it; a verified
 * visitor of another identity (shared device) keeps its data and the anonymous id
 * moves. Returns the resulting user id.
 */
create function crm.apply_identity(
  p_project_id uuid, p_user_id uuid, p_anonymous_id uuid, p_email text, p_external_id text,
  p_name text, p_segment text, p_metadata jsonb, p_verified boolean
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_email text := nullif(lower(trim(p_email)), '');
  v_current crm.site_users;
  v_target uuid;
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
  if v_target is null and v_email is not null then
    select u.id into v_target from crm.site_users u
    where u.project_id = p_project_id and u.verified and lower(u.email) = v_email;
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

  update crm.site_users u
  set verified = true,
      email = case when v_email is not null and not exists (
                select from crm.site_users o where o.project_id = p_project_id and o.verified
                  and lower(o.email) = v_email and o.id <> v_target) then v_email else u.email end,
      external_id = case when p_external_id is not null and not exists (
                select from crm.site_users o where o.project_id = p_project_id and o.verified
                  and o.external_id = p_external_id and o.id <> v_target) then p_external_id else u.external_id end,
      name = coalesce(p_name, u.name), segment = coalesce(p_segment, u.segment),
      metadata = u.metadata || coalesce(p_metadata, '{}'), updated_at = now()
  where u.project_id = p_project_id and u.id = v_target;
  return v_target;
end;
$$;
revoke execute on function crm.apply_identity(uuid, uuid, uuid, text, text, text, text, jsonb, boolean) from public;

/**
 * Ingests one batch (PROTOCOL.md): resolves the project by public key, checks the
 * origin, DNT and rate limits, corrects clock skew, validates events one by one,
 * dedupes re-sent events, resolves visitor and session (derived in cookieless mode),
 * applies identify, stores events, upserts the session and the user's counters.
 * Returns {status, accepted, duplicates, rejected[], visitor_id, session_id} or
 * {status, error, message[, retry_after]}; never raises. The common path is four
 * statements: project, rate limits, visitor, and one statement for everything else.
 */
create function crm.ingest(batch jsonb, context jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_received timestamptz := now();
  v_project crm.projects;
  v_settings jsonb;
  v_n integer;
  v_window timestamptz := date_trunc('minute', now());
  v_shard integer := pg_backend_pid();
  v_ip_bucket text;
  v_project_hits bigint;
  v_ip_hits bigint;
  v_skew interval := interval '0';
  v_require_signed boolean;
  v_timeout interval;
  v_first timestamptz;
  v_valid integer;
  v_visitor uuid;
  v_session uuid;
  v_user uuid;
  v_ident crm.ingest_event;
  v_result jsonb;
  c_uuid constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
  begin
    if jsonb_typeof(batch) is distinct from 'object' or jsonb_typeof(batch -> 'events') is distinct from 'array'
       or jsonb_array_length(batch -> 'events') = 0 or jsonb_typeof(context) is distinct from 'object' then
      return jsonb_build_object('status', 400, 'error', 'invalid_batch', 'message', 'the batch does not follow PROTOCOL.md');
    end if;
    v_n := jsonb_array_length(batch -> 'events');
    if v_n > 100 then
      return jsonb_build_object('status', 413, 'error', 'too_large', 'message', 'more than 100 events in one batch');
    end if;
    if context ->> 'received_at' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}' then
      v_received := (context ->> 'received_at')::timestamptz;
    end if;

    select * into v_project from crm.projects p where p.public_key = batch ->> 'project';
    if v_project.id is null then
      return jsonb_build_object('status', 400, 'error', 'unknown_project', 'message', 'no project has this public key');
    end if;
    if cardinality(v_project.allowed_origins) > 0
       and not coalesce(context ->> 'origin' = any (v_project.allowed_origins) or '*' = any (v_project.allowed_origins), false) then
      return jsonb_build_object('status', 403, 'error', 'origin_not_allowed',
        'message', 'this origin is not allowed for the project');
    end if;
    v_settings := crm.default_project_settings() || v_project.settings;
    if (v_settings ->> 'respect_dnt')::boolean and context -> 'dnt' = 'true'::jsonb then
      return jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0, 'rejected', '[]'::jsonb, 'ignored', 'dnt');
    end if;

    -- Rate limits: one-minute windows. The project counter has one row per backend
    -- (live backends have distinct pids), so concurrent batches never queue on a row
    -- lock held until commit; the other backends' rows are read, not locked.
    v_ip_bucket := 'ip:' || left(context ->> 'ip_hash', 128);
    with hit as (
      insert into crm.rate_limits as r (project_id, bucket, shard, window_start, hits)
      select v_project.id, b.bucket, b.shard, v_window, v_n
      from (values ('project', v_shard), (v_ip_bucket, 0)) as b (bucket, shard)
      where b.bucket is not null
      on conflict (project_id, bucket, shard) do update
        set hits = case when r.window_start = excluded.window_start then r.hits + excluded.hits else excluded.hits end,
            window_start = excluded.window_start
      returning r.bucket, r.hits)
    select (select h.hits from hit h where h.bucket = 'project')
             + coalesce((select sum(r.hits) from crm.rate_limits r
                         where r.project_id = v_project.id and r.bucket = 'project' and r.shard <> v_shard
                           and r.window_start = v_window), 0),
           (select h.hits from hit h where h.bucket <> 'project')
      into v_project_hits, v_ip_hits;
    if v_project_hits > (v_settings ->> 'rate_limit_project_per_minute')::bigint
       or v_ip_hits > (v_settings ->> 'rate_limit_ip_per_minute')::bigint then
      return jsonb_build_object('status', 429, 'error', 'rate_limited',
        'retry_after', greatest(1, ceil(extract(epoch from v_window + interval '1 minute' - clock_timestamp())))::integer,
        'message', 'too many events; retry later');
    end if;

    if jsonb_typeof(batch -> 'sent_at') = 'number' and (batch ->> 'sent_at')::numeric between 0 and 1e14 then
      v_skew := v_received - to_timestamp((batch ->> 'sent_at')::double precision / 1000);
    end if;
    v_require_signed := (v_settings ->> 'require_signed_identify')::boolean;
    v_timeout := make_interval(mins => (v_settings ->> 'session_timeout_minutes')::integer);

    -- Visitor and session: the tracker's ids, or derived (cookieless mode, or ids missing).
    if v_settings ->> 'privacy_mode' = 'standard'
       and coalesce(batch ->> 'visitor_id', '') ~ c_uuid and coalesce(batch ->> 'session_id', '') ~ c_uuid then
      v_visitor := (batch ->> 'visitor_id')::uuid;
      v_session := (batch ->> 'session_id')::uuid;
      select a.user_id into v_user from crm.anonymous_ids a where a.project_id = v_project.id and a.anonymous_id = v_visitor;
    else
      if context ->> 'ip_hash' is null then
        return jsonb_build_object('status', 400, 'error', 'invalid_batch',
          'message', 'cookieless batches need the hashed client IP in the context');
      end if;
      v_visitor := md5(concat_ws(':', v_project.id, context ->> 'ip_hash', context ->> 'user_agent',
        (v_received at time zone 'UTC')::date))::uuid;
      select a.user_id into v_user from crm.anonymous_ids a where a.project_id = v_project.id and a.anonymous_id = v_visitor;
      select min(e.occurred_at) into v_first
      from crm.parse_ingest_events(batch -> 'events', v_skew, v_received, v_project.identity_secret, v_require_signed) e
      where e.reason is null;
      select s.id into v_session
      from crm.site_sessions s
      where s.project_id = v_project.id and s.user_id = v_user and s.last_activity_at >= v_first - v_timeout
      order by s.last_activity_at desc
      limit 1;
      v_session := coalesce(v_session, md5(concat_ws(':', v_visitor,
        floor(extract(epoch from v_first) / extract(epoch from v_timeout))))::uuid);
    end if;

    -- A visitor erased on request may not come back (a replayed offline queue).
    if crm.ingest_is_erased(v_project.id, v_visitor) then
      return jsonb_build_object('status', 202, 'accepted', 0, 'duplicates', 0,
        'rejected', (select coalesce(jsonb_agg(jsonb_build_object('index', o.n - 1, 'id', left(o.e ->> 'id', 64),
                       'reason', 'erased') order by o.n), '[]')
                     from jsonb_array_elements(batch -> 'events') with ordinality as o (e, n)),
        'visitor_id', v_visitor, 'session_id', v_session);
    end if;

    if v_user is null then
      select count(*), min(e.occurred_at) into v_valid, v_first
      from crm.parse_ingest_events(batch -> 'events', v_skew, v_received, v_project.identity_secret, v_require_signed) e
      where e.reason is null;
      if v_valid > 0 then
        insert into crm.site_users (project_id, id, first_seen_at, last_seen_at)
        values (v_project.id, v_visitor, v_first, v_first)
        on conflict do nothing;
        insert into crm.anonymous_ids (project_id, anonymous_id, user_id)
        values (v_project.id, v_visitor, v_visitor)
        on conflict do nothing;
        select a.user_id into v_user from crm.anonymous_ids a where a.project_id = v_project.id and a.anonymous_id = v_visitor;
      end if;
    end if;

    -- Identify events not seen before, in time order (rare: a loop is fine here).
    if jsonb_path_exists(batch -> 'events', '$[*] ? (@.type == "identify")') then
      for v_ident in
        select e.* from crm.parse_ingest_events(batch -> 'events', v_skew, v_received, v_project.identity_secret, v_require_signed) e
        where e.type = 'identify' and e.reason is null
          and not exists (select from crm.event_dedupe d
                          where d.project_id = v_project.id and d.visitor_id = v_visitor and d.event_id = e.id)
        order by e.occurred_at, e.idx
      loop
        v_user := crm.apply_identity(v_project.id, v_user, v_visitor, v_ident.email, v_ident.external_id,
          v_ident.display_name, v_ident.segment, v_ident.metadata, v_ident.signed);
      end loop;
    end if;

    -- Everything else in one statement: dedupe, store events, upsert the session from
    -- new events and heartbeats only (so a replay changes nothing), count on the user.
    with ev as materialized (
      select * from crm.parse_ingest_events(batch -> 'events', v_skew, v_received, v_project.identity_secret, v_require_signed)
    ), fresh as (
      insert into crm.event_dedupe (project_id, visitor_id, event_id, received_at)
      select v_project.id, v_visitor, ev.id, v_received from ev
      where ev.reason is null and ev.type <> 'heartbeat' and v_user is not null
      on conflict do nothing
      returning event_id
    ), eff as materialized (
      select ev.* from ev
      where ev.reason is null and v_user is not null
        and (ev.type = 'heartbeat' or ev.id in (select fresh.event_id from fresh))
    ), stored as (
      insert into crm.user_events (project_id, occurred_at, id, received_at, session_id, user_id, type, name, page, properties)
      select v_project.id, eff.occurred_at, eff.id, v_received, v_session, v_user, eff.type,
             case when eff.type = 'event' then eff.name end, eff.path, eff.properties
      from eff where eff.type <> 'heartbeat'
    ), agg as (
      select min(eff.occurred_at) as first_at, max(eff.occurred_at) as last_at,
             max(eff.occurred_at) filter (where eff.type = 'leave') as leave_at,
             count(*) filter (where eff.type = 'pageview')::integer as pageviews,
             count(*) filter (where eff.type = 'event')::integer as custom,
             (array_agg(eff.path order by eff.occurred_at, eff.idx) filter (where eff.type = 'pageview'))[1] as entry_page,
             (array_agg(eff.path order by eff.occurred_at desc, eff.idx desc) filter (where eff.type = 'pageview'))[1] as page,
             max(eff.occurred_at) filter (where eff.type = 'pageview') as page_at,
             (array_agg(eff.referrer order by eff.occurred_at, eff.idx)
               filter (where eff.type = 'pageview' and eff.referrer is not null))[1] as referrer,
             (array_agg(eff.utm order by eff.occurred_at, eff.idx)
               filter (where eff.type = 'pageview' and eff.utm is not null))[1] as utm
      from eff
    ), sess as (
      insert into crm.site_sessions as s (
        project_id, id, user_id, started_at, last_activity_at, ended_at, is_online, current_page, current_page_since,
        entry_page, page_views, device_type, browser, os, country, referrer, utm)
      select v_project.id, v_session, v_user, agg.first_at, agg.last_at,
             case when agg.leave_at >= agg.last_at then agg.leave_at end, not coalesce(agg.leave_at >= agg.last_at, false),
             agg.page, agg.page_at, agg.entry_page, agg.pageviews,
             case when context ->> 'device_type' in ('desktop', 'mobile', 'tablet') then context ->> 'device_type' end,
             left(context ->> 'browser', 64), left(context ->> 'os', 64), left(context ->> 'country', 2),
             agg.referrer, agg.utm
      from agg where agg.last_at is not null
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
      returning (s.xmax = 0) as is_new
    ), counted as (
      update crm.site_users u
      set first_seen_at = least(u.first_seen_at, agg.first_at),
          last_seen_at = greatest(u.last_seen_at, agg.last_at),
          sessions_count = u.sessions_count + coalesce((select sess.is_new::integer from sess), 0),
          pageviews_count = u.pageviews_count + agg.pageviews,
          events_count = u.events_count + agg.custom
      from agg
      where u.project_id = v_project.id and u.id = v_user and agg.last_at is not null
        and (agg.pageviews > 0 or agg.custom > 0 or u.last_seen_at < agg.last_at - interval '1 minute'
             or u.first_seen_at > agg.first_at or (select sess.is_new from sess))
    )
    select jsonb_build_object('status', 202,
      'accepted', (select count(*) from eff),
      'duplicates', (select count(*) from ev where ev.reason is null and ev.type <> 'heartbeat') - (select count(*) from fresh),
      'rejected', (select coalesce(jsonb_agg(jsonb_build_object('index', ev.idx, 'id', ev.raw_id, 'reason', ev.reason)
                     order by ev.idx), '[]') from ev where ev.reason is not null),
      'visitor_id', v_visitor, 'session_id', v_session)
      into v_result;
    return v_result;
  exception when others then
    return jsonb_build_object('status', 500, 'error', 'internal', 'message', sqlerrm, 'sqlstate', sqlstate);
  end;
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
  if not exists (select from crm.projects p where p.id = p_project_id) then
    raise exception 'unknown project' using errcode = '22023';
  end if;
  if coalesce(nullif(trim(p_email), ''), nullif(p_external_id, '')) is null then
    raise exception 'identify_site_user needs p_email or p_external_id' using errcode = '22023';
  end if;
  if p_segment is not null and p_segment not in ('visitor', 'user', 'premium', 'trial', 'churned') then
    raise exception 'unknown segment %', p_segment using errcode = '22023';
  end if;
  if length(p_email) > 320 or length(p_external_id) > 256 or length(p_name) > 256
     or octet_length(p_metadata::text) > 4096 or (p_metadata is not null and jsonb_typeof(p_metadata) <> 'object') then
    raise exception 'a value is too long or malformed' using errcode = '22023';
  end if;
  if p_anonymous_id is not null then
    select a.user_id into v_user from crm.anonymous_ids a
    where a.project_id = p_project_id and a.anonymous_id = p_anonymous_id;
  end if;
  v_user := crm.apply_identity(p_project_id, v_user, p_anonymous_id, p_email, nullif(p_external_id, ''),
    p_name, p_segment, p_metadata, true);
  select * into v_row from crm.site_users u where u.project_id = p_project_id and u.id = v_user;
  return jsonb_build_object('user_id', v_row.id, 'email', v_row.email, 'external_id', v_row.external_id,
    'name', v_row.name, 'segment', v_row.segment, 'verified', v_row.verified, 'metadata', v_row.metadata);
end;
$$;
grant execute on function public.identify_site_user(uuid, text, text, text, text, jsonb, uuid) to authenticated, service_role;
