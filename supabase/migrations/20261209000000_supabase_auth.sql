-- Supabase Auth identity: a site that signs its users in with Supabase Auth identifies
-- them with the access token its visitors already hold (the tracker's
-- data-supabase-auth). The ingest function verifies the token (the JWT secret, or the
-- published signing keys) and hands SQL only the verified subject and email; SQL merges
-- on that subject as on a signed identify. Each project says whose users it trusts:
-- this Supabase project's own (the default) or another's, by its JWKS URL. For its own
-- users, a trigger on auth.users keeps email changes in step and erases a deleted user
-- (switchable). A person's first touch now names the landing page too.

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------

create or replace function crm.default_project_settings() returns jsonb
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
    'churn_after_days', 14,
    -- null: trust the users of this Supabase project (the database the CRM runs in)
    'auth_jwks_url', null,
    'auth_erase_deleted_users', true)
$$;

/** Settings keys a caller may set, with their check. Unknown keys are refused. */
create or replace function crm.validate_project_settings(p_settings jsonb) returns void
language plpgsql stable -- auth_jwks_url reads whether private addresses are allowed here
set search_path = ''
as $$
declare
  v_key text;
  v_value jsonb;
begin
  if jsonb_typeof(p_settings) is distinct from 'object' then
    raise exception 'settings must be a JSON object' using errcode = '22023';
  end if;
  -- Integers must be written as plain digits: 5.0 is a whole number but ->> gives
  -- '5.0', which every ::integer read of the setting (ingest, jobs) would refuse.
  for v_key, v_value in select * from jsonb_each(p_settings) loop
    if v_key in ('session_timeout_minutes', 'online_window_minutes', 'stuck_after_minutes') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 1 and 1440 then
        raise exception 'setting % must be an integer from 1 to 1440', v_key using errcode = '22023';
      end if;
    elsif v_key in ('retention_days', 'churn_after_days') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 7 and 3650 then
        raise exception 'setting % must be an integer from 7 to 3650', v_key using errcode = '22023';
      end if;
    elsif v_key in ('rate_limit_project_per_minute', 'rate_limit_ip_per_minute') then
      if jsonb_typeof(v_value) <> 'number' or v_value::text !~ '^[0-9]+$' or v_value::text::numeric not between 1 and 10000000 then
        raise exception 'setting % must be an integer from 1 to 10000000', v_key using errcode = '22023';
      end if;
    elsif v_key = 'privacy_mode' then
      if v_value not in ('"standard"'::jsonb, '"cookieless"'::jsonb) then
        raise exception 'privacy_mode must be standard or cookieless' using errcode = '22023';
      end if;
    elsif v_key in ('respect_dnt', 'require_signed_identify', 'auth_erase_deleted_users') then
      if jsonb_typeof(v_value) <> 'boolean' then
        raise exception 'setting % must be true or false', v_key using errcode = '22023';
      end if;
    elsif v_key = 'auth_jwks_url' then
      -- The issuer is what precedes /.well-known/jwks.json (Supabase: https://<ref>.supabase.co/auth/v1).
      if jsonb_typeof(v_value) <> 'string' or (v_value #>> '{}') !~ '^https?://[^?#]+/\.well-known/jwks\.json$' then
        raise exception 'auth_jwks_url must be the URL of a Supabase project''s signing keys, like https://<ref>.supabase.co/auth/v1/.well-known/jwks.json'
          using errcode = '22023';
      end if;
      -- the ingest function fetches it: the same rules as a webhook's address
      perform crm.clean_webhook_url(v_value #>> '{}', 'auth_jwks_url');
    else
      raise exception 'unknown setting %', v_key using errcode = '22023';
    end if;
  end loop;
end;
$$;
revoke execute on function crm.validate_project_settings(jsonb) from public;

/**
 * Whose Supabase Auth tokens a project's settings trust: 'own' (this Supabase project,
 * auth_jwks_url unset) or the JWKS URL of another. The ingest function's verdicts name
 * their origin the same way, so a verdict counts while the two are equal.
 */
create function crm.project_auth_trust(p_settings jsonb) returns text
language sql immutable
set search_path = ''
as $$ select coalesce((crm.default_project_settings() || p_settings) ->> 'auth_jwks_url', 'own') $$;
revoke execute on function crm.project_auth_trust(jsonb) from public;

/**
 * What the ingest function needs to verify a project's Supabase Auth tokens, by its
 * public key: {jwks_url} (null: this Supabase project's own users) and the networks a
 * JWKS URL may not resolve into (empty where the local stack allows private ones).
 * Null for an unknown key.
 */
create function crm.ingest_auth_trust(p_public_key text) returns jsonb
language sql stable security definer -- service_role has no grants on crm.projects
set search_path = ''
as $$
  select jsonb_build_object(
    'jwks_url', nullif(crm.project_auth_trust(p.settings), 'own'),
    'refused_networks', case when crm.private_webhooks_allowed() then '[]'::jsonb
                             else to_jsonb(crm.refused_networks()::text[]) end)
  from crm.projects p where p.public_key = p_public_key
$$;
revoke execute on function crm.ingest_auth_trust(text) from public;
grant execute on function crm.ingest_auth_trust(text) to service_role;

-- ---------------------------------------------------------------------------
-- Ingest: an identify with a verified token
-- ---------------------------------------------------------------------------

/**
 * Step 4, parse: the events of every batch still open, each checked against the event
 * rules — the only place they are written (limits: crm.event_limits()). Times are
 * shifted by the batch's skew; identify signatures are checked. An identify that carried
 * a Supabase Auth token reaches SQL without it: the ingest function verified it and put
 * the outcome in the context (auth.<event id> = {sub, email, trust} or {error}), and it
 * identifies as the verified subject only while the project still trusts the users the
 * token came from. reason is one of invalid | unknown_type | oversize | too_old |
 * in_future | signature_required | bad_signature | bad_token, with a message; null for a
 * valid event. String fields given as other JSON scalars are read as their text. A
 * verdict of this project's own users counts only while the auth user exists.
 */
create or replace function crm.ingest_parse(p_batches crm.ingest_batch[]) returns crm.ingest_event[]
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
        when 'identify' then jsonb_build_object('verified', coalesce(v.signed, false))
          || case when a.auth is not null then '{"via": "supabase_auth"}'::jsonb else '{}' end end end,
      r.referrer, case when c.problem is null and r.type = 'pageview' then r.utm::jsonb end,
      case when a.auth is not null then lower(trim(a.auth ->> 'email')) else lower(trim(r.email)) end,
      case when a.auth is not null then a.auth ->> 'sub' else r.external_id end,
      case when r.type = 'identify' then r.name end,
      case when c.problem is null and r.type = 'identify' then r.segment::crm.segment end,
      case when c.problem is null and r.type = 'identify' then r.metadata::jsonb end,
      coalesce(v.signed, false), split_part(c.problem, ': ', 1), substr(c.problem, strpos(c.problem, ': ') + 2)
    )::crm.ingest_event)
  into v_events
  from unnest(p_batches) b
  -- one pass over the events' text; an event that is not an object fails the batch (400)
  cross join lateral rows from (json_to_recordset(b.events) as (
    id text, type text, ts json, path text, name text, props json, title text, referrer text, utm json,
    screen text, email text, external_id text, segment text, metadata json, signature text, token text))
    with ordinality as r (
    id, type, ts, path, name, props, title, referrer, utm, screen, email, external_id, segment, metadata, signature, token, i)
  -- The verdict on an identify's token, and whether the project still trusts where it
  -- came from. Pulled up (no offset 0): other events pay only the type test, and the
  -- project is read only for a token's identify.
  cross join lateral (
    select t.auth,
           case when t.auth is not null then t.auth ->> 'trust' is not distinct from (
             select crm.project_auth_trust(p.settings) from crm.projects p where p.id = b.project_id) end as trusted
    from (select case when r.type = 'identify' then b.context -> 'auth' -> r.id end as auth) t
  ) a
  cross join lateral (
    select coalesce(r.id, '') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' as id_ok,
           case when json_typeof(r.ts) = 'number' and r.ts::text ~ '^\d{1,14}(\.\d+)?$'
             then to_timestamp(r.ts::text::double precision / 1000) + b.skew end as occurred_at,
           case when r.type = 'identify' and a.auth is not null then a.auth ? 'sub' and a.trusted
                when r.type = 'identify' and r.signature is not null then
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
      when r.type = 'identify' and a.auth is not null then case
        when a.auth ? 'error' then 'bad_token: ' || (a.auth ->> 'error')
        when coalesce(r.email, r.external_id, r.name, r.signature, r.segment, r.metadata::text) is not null
          then 'invalid: an identify with a token carries nothing else: the token says who it is'
        when not a.trusted then 'bad_token: the project no longer trusts the users this token came from'
        when coalesce(a.auth ->> 'sub', '') = '' then 'bad_token: the token names no user (sub)'
        -- A deleted user's token stays valid until it expires: it must not bring them back.
        when a.auth ->> 'trust' = 'own' and not exists (
            select from auth.users u
            where u.id = case when a.auth ->> 'sub' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                              then (a.auth ->> 'sub')::uuid end
              and u.deleted_at is null) -- Auth's soft delete keeps the row
          then 'bad_token: the auth user no longer exists'
        when length(a.auth ->> 'sub') > (lim.l ->> 'external_id')::integer
          then 'bad_token: its subject is over ' || (lim.l ->> 'external_id') || ' characters'
        when length(a.auth ->> 'email') > (lim.l ->> 'email')::integer
          then 'bad_token: its email is over ' || (lim.l ->> 'email') || ' characters' end
      when r.type = 'identify' and r.token is not null
        then 'invalid: a token is verified by the ingest function; send the batch through it'
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
 * The email Supabase Auth holds for a person (a token's, or a changed one) becomes
 * their vouched-for email, unless another person of the project already holds it
 * vouched for: then they have none vouched for, so the address finds no one. An empty
 * email changes nothing.
 */
create function crm.vouch_auth_email(p_project_id uuid, p_user_id uuid, p_email text) returns void
language sql
set search_path = ''
as $$
  update crm.site_users u
  set email = case when x.free then x.email else u.email end, email_verified = x.free, updated_at = now()
  from (select e.email, not exists (select from crm.site_users o
                                     where o.project_id = p_project_id and o.email_verified
                                       and lower(o.email) = e.email and o.id <> p_user_id) as free
        from (select nullif(lower(trim(p_email)), '') as email) e
        where e.email is not null) x
  where u.project_id = p_project_id and u.id = p_user_id
    and (u.email_verified is distinct from x.free or x.free and u.email is distinct from x.email)
$$;
revoke execute on function crm.vouch_auth_email(uuid, uuid, text) from public;

/**
 * Step 7, identify: new visitors with at least one valid event become site users; then
 * identify events not seen before apply (crm.apply_identity), per batch in order and
 * within a batch in time order, so an identify applies before the following batches of
 * the same visitor. New users and merges change whose a visitor is: every batch's user
 * is looked up again when anything changed.
 */
create or replace function crm.ingest_identify(p_batches crm.ingest_batch[], p_events crm.ingest_event[])
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
      -- A signature covers the external id when there is one, else the email. A Supabase
      -- Auth token's subject is its external id, so its email finds no one (Auth may hold
      -- an address nobody confirmed); it is then the person's vouched-for email if free.
      v_b.user_id := crm.apply_identity(v_b.project_id, v_b.user_id, v_b.visitor_id, v_ev.email, v_ev.external_id,
        v_ev.person_name, v_ev.segment, v_ev.metadata, v_ev.signed, v_ev.external_id is null);
      if v_ev.properties ->> 'via' is not distinct from 'supabase_auth' then
        perform crm.vouch_auth_email(v_b.project_id, v_b.user_id, v_ev.email);
      end if;
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
-- ---------------------------------------------------------------------------
-- Erasure, callable without a caller's role (the auth.users trigger)
-- ---------------------------------------------------------------------------

/**
 * Erases a site user: their events, sessions, anonymous ids and profile are deleted,
 * and their anonymous ids and user id are recorded in crm.erased_ids so ingest
 * refuses them from now on (reason `erased`). Daily rollups keep their anonymous
 * counts. Returns {user_id, events, sessions, anonymous_ids}, or null for an unknown
 * user. No role check: its callers check (delete_site_user) or are the database's own
 * (the auth.users trigger).
 */
create function crm.erase_site_user(p_project_id uuid, p_user_id uuid) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_first_seen timestamptz;
  v_events bigint;
  v_sessions bigint;
begin
  -- In-flight ingest of this person commits first; later ingest waits for this erasure
  -- and then sees it. Taken before any row lock, in key order, as ingest takes them.
  perform pg_advisory_xact_lock(k.key)
  from (select distinct crm.visitor_lock(p_project_id, a.anonymous_id) as key from crm.anonymous_ids a
        where a.project_id = p_project_id and a.user_id = p_user_id order by 1) k;
  select u.first_seen_at into v_first_seen from crm.site_users u
  where u.project_id = p_project_id and u.id = p_user_id
  for update;
  if not found then
    return null;
  end if;
  v_ids := array(select a.anonymous_id from crm.anonymous_ids a where a.project_id = p_project_id and a.user_id = p_user_id)
           || p_user_id;
  insert into crm.erased_ids (project_id, anonymous_id)
  select p_project_id, i from unnest(v_ids) i
  on conflict do nothing;
  -- the live view drops their open sessions (session_ended broadcast by the realtime trigger)
  update crm.site_sessions s set is_online = false, ended_at = coalesce(s.ended_at, now())
  where s.project_id = p_project_id and s.user_id = p_user_id and s.is_online;
  delete from crm.user_events e where e.project_id = p_project_id and e.user_id = p_user_id;
  get diagnostics v_events = row_count;
  delete from crm.site_sessions s where s.project_id = p_project_id and s.user_id = p_user_id;
  get diagnostics v_sessions = row_count;
  delete from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;
  -- keep the total-users rollup exact until its next refresh
  update crm.metrics_rollup r set users_before_cutoff = r.users_before_cutoff - 1
  where r.project_id = p_project_id and v_first_seen < r.users_cutoff;
  return jsonb_build_object('user_id', p_user_id, 'events', v_events, 'sessions', v_sessions,
    'anonymous_ids', cardinality(v_ids) - 1);
end;
$$;
revoke execute on function crm.erase_site_user(uuid, uuid) from public;

/**
 * Erases a site user (crm.erase_site_user). Returns {user_id, events, sessions,
 * anonymous_ids}. Admin. Unknown user: PT404.
 */
create or replace function public.delete_site_user(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  v_result := crm.erase_site_user(p_project_id, p_user_id);
  if v_result is null then
    raise exception 'site user not found' using errcode = 'PT404';
  end if;
  return v_result;
end;
$$;

-- ---------------------------------------------------------------------------
-- auth.users: this Supabase project's own users
-- ---------------------------------------------------------------------------

-- Finds the people of an auth user across projects (the unique index is per project).
create index site_users_verified_external_idx on crm.site_users (external_id) where verified;

/**
 * The people an auth user of this database is, in the projects that trust this
 * database's users (auth_jwks_url unset): the verified site users whose external id
 * is the auth user's id.
 */
create function crm.auth_user_people(p_auth_user_id uuid)
returns table (project_id uuid, user_id uuid, erase_on_delete boolean)
language sql stable
set search_path = ''
as $$
  select u.project_id, u.id, ((crm.default_project_settings() || p.settings) ->> 'auth_erase_deleted_users')::boolean
  from crm.site_users u
  join crm.projects p on p.id = u.project_id
  where u.verified and u.external_id = p_auth_user_id::text and crm.project_auth_trust(p.settings) = 'own'
$$;
revoke execute on function crm.auth_user_people(uuid) from public;

/**
 * Trigger on auth.users (after update of email): the person's vouched-for email follows
 * (crm.vouch_auth_email). Auth's own write never fails because of the CRM: a failure is
 * logged as a warning.
 */
create function crm.auth_users_email_changed() returns trigger
language plpgsql security definer -- runs in Auth's session (supabase_auth_admin), which has no rights on crm
set search_path = ''
as $$
begin
  perform crm.vouch_auth_email(x.project_id, x.user_id, new.email) from crm.auth_user_people(new.id) x;
  return null;
exception when others then
  raise warning 'vibe crm: the email change of auth user % was not copied to the CRM: % (%)', new.id, sqlerrm, sqlstate;
  return null;
end;
$$;
revoke execute on function crm.auth_users_email_changed() from public;

create trigger vibe_crm_email_changed
  after update of email on auth.users
  -- a soft delete overwrites the email: that is no address of theirs
  for each row when (old.email is distinct from new.email and new.deleted_at is null)
  execute function crm.auth_users_email_changed();

create table crm.auth_erasures (
  project_id uuid not null references crm.projects (id) on delete cascade,
  user_id uuid not null,
  auth_user_id uuid not null,
  requested_at timestamptz not null default now(),
  attempts integer not null default 0,
  last_error text,
  primary key (project_id, user_id)
);
alter table crm.auth_erasures enable row level security; -- no policy: only the job and the trigger (definer) touch it
comment on table crm.auth_erasures is
  'Erasure requests from deleted auth users (the vibe_crm_user_deleted trigger on auth.users), done by the crm-auth-erasures job within a minute: an erasure is too big to run inside Auth''s own delete. A failed one stays with its last error and is retried.';

/**
 * Trigger on auth.users (after delete, or a soft delete): a deleted auth user is an erasure request in
 * every project that trusts this database's users and keeps auth_erase_deleted_users
 * on (the default). It only queues the request (crm.auth_erasures), so Auth's delete
 * stays quick; ingest already refuses the deleted user's tokens. A failure is logged as
 * a warning and never fails Auth's delete.
 */
create function crm.auth_users_deleted() returns trigger
language plpgsql security definer -- runs in Auth's session, which has no rights on crm
set search_path = ''
as $$
begin
  insert into crm.auth_erasures (project_id, user_id, auth_user_id)
  select x.project_id, x.user_id, old.id from crm.auth_user_people(old.id) x where x.erase_on_delete
  on conflict do nothing;
  return null;
exception when others then
  raise warning 'vibe crm: auth user % was deleted but their erasure was not queued: % (%)', old.id, sqlerrm, sqlstate;
  return null;
end;
$$;
revoke execute on function crm.auth_users_deleted() from public;

create trigger vibe_crm_user_deleted
  after delete on auth.users
  for each row execute function crm.auth_users_deleted();

-- Auth's soft delete (admin deleteUser with shouldSoftDelete) keeps the row and sets deleted_at.
create trigger vibe_crm_user_soft_deleted
  after update of deleted_at on auth.users
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function crm.auth_users_deleted();

/**
 * Job crm-auth-erasures (every minute): erases the queued people of deleted auth users
 * (crm.erase_site_user), each in its own subtransaction, if their project still erases
 * on delete and trusts this database's users (else the request is dropped); a failure
 * stays queued with its error and is tried again next minute, after newer requests.
 * Returns how many were erased.
 */
create function crm.job_auth_erasures() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_req crm.auth_erasures;
  v_done integer := 0;
begin
  for v_req in select * from crm.auth_erasures order by attempts, requested_at limit 1000 for update skip locked loop
    begin
      if exists (select from crm.auth_user_people(v_req.auth_user_id) x
                 where x.project_id = v_req.project_id and x.user_id = v_req.user_id and x.erase_on_delete) then
        perform crm.erase_site_user(v_req.project_id, v_req.user_id);
        v_done := v_done + 1;
      end if;
      delete from crm.auth_erasures e where e.project_id = v_req.project_id and e.user_id = v_req.user_id;
    exception when others then
      update crm.auth_erasures e set attempts = e.attempts + 1, last_error = sqlerrm
      where e.project_id = v_req.project_id and e.user_id = v_req.user_id;
      raise warning 'vibe crm: person % of project % (deleted auth user %) not erased yet: % (%)',
        v_req.user_id, v_req.project_id, v_req.auth_user_id, sqlerrm, sqlstate;
    end;
  end loop;
  return v_done;
end;
$$;
revoke execute on function crm.job_auth_erasures() from public;

select crm.schedule_job('crm-auth-erasures', '* * * * *', 'select crm.job_auth_erasures()');

-- ---------------------------------------------------------------------------
-- First touch: with the landing page
-- ---------------------------------------------------------------------------

/** The origin of a user_days row as site_users.first_touch / last_touch store it. */
create or replace function crm.user_day_touch(d crm.user_days) returns jsonb
language sql immutable
set search_path = ''
as $$
  select jsonb_build_object('day', d.day, 'channel', d.channel, 'referrer', d.referrer_host, 'source', d.source,
                            'utm_source', d.utm_source, 'utm_medium', d.utm_medium, 'utm_campaign', d.utm_campaign,
                            'country', d.country, 'landing_page', d.entry_page)
$$;

-- The touches stored so far gain their landing page from the day they name.
update crm.site_users u
set first_touch = u.first_touch || jsonb_build_object('landing_page', d.entry_page)
from crm.user_days d
where u.first_touch is not null and d.project_id = u.project_id and d.user_id = u.id
  and d.sample = crm.sample_bucket(u.id) and d.day = (u.first_touch ->> 'day')::date;
update crm.site_users u
set last_touch = u.last_touch || jsonb_build_object('landing_page', d.entry_page)
from crm.user_days d
where u.last_touch is not null and d.project_id = u.project_id and d.user_id = u.id
  and d.sample = crm.sample_bucket(u.id) and d.day = (u.last_touch ->> 'day')::date;

comment on column crm.site_users.first_touch is
  'The user''s first known visit: {day, channel, referrer, source, utm_source, utm_medium, utm_campaign, country, landing_page} of the first session of their first active day (within retention). Kept when later visits, merges or sign-ins happen: it only moves to an earlier day.';
