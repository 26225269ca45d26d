-- Alerts: rules that tell a project's team when something happens (an event, a stuck
-- visitor, a segment change, traffic crossing a line, a new identified user). This
-- migration owns the rules and their validation; 20261208000100_alert_delivery.sql the
-- outbox and its delivery through pg_net; 20261208000200_alert_evaluation.sql the
-- triggers and the minute job that fire them.

create type crm.alert_kind as enum ('event', 'stuck', 'segment_change', 'online_threshold', 'new_user');
comment on type crm.alert_kind is
  'What an alert rule watches: event (a custom event, optionally with a condition on one prop), stuck (a visitor on one page longer than N minutes), segment_change (from -> to), online_threshold (online now above or below N for M minutes), new_user (a newly identified user).';

create type crm.alert_channel as enum ('dashboard', 'webhook', 'slack', 'email');
comment on type crm.alert_channel is
  'Where a firing goes: dashboard (a Realtime broadcast: toast and browser notification), webhook (signed JSON), slack (an incoming webhook), email (an HTTP email API).';

create type crm.alert_op as enum ('eq', 'ne', 'lt', 'gt', 'contains');
comment on type crm.alert_op is
  'How an event rule compares one prop with its value: eq, ne (as text, or as numbers when both are numbers), lt, gt (numbers), contains (text, case-insensitive).';

/** The rules' limits, in one place: the RPCs check them and say them in their errors. */
create function crm.alert_limits() returns jsonb
language sql immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'rules_per_project', 50,
    'name_max', 200,
    'channels_max', 10,
    'emails_max', 10,
    'url_max', 2048,
    'value_max', 200,
    'cooldown_minutes_max', 10080,
    'minutes_max', 1440,
    'count_max', 1000000,
    -- Across all subjects: a rule that every visitor could fire (an event anyone can send)
    -- reaches the team at most this often; the rest are counted as suppressed.
    'firings_per_rule_per_hour', 60)
$$;
revoke execute on function crm.alert_limits() from public;

/** The numeric value of a JSON scalar (a number, or a string that is one), else null. */
create function crm.json_number(p_value jsonb) returns numeric
language sql immutable
-- No SET clause, so that the planner inlines it.
as $$
  select case
    when jsonb_typeof(p_value) = 'number' then (p_value #>> '{}')::numeric
    when jsonb_typeof(p_value) = 'string' and (p_value #>> '{}') ~ '^[ \t\r\n]*-?[0-9]+(\.[0-9]+)?[ \t\r\n]*$'
      then (p_value #>> '{}')::numeric
  end
$$;
revoke execute on function crm.json_number(jsonb) from public;

create table crm.alerts (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references crm.projects (id) on delete cascade,
  name text not null,
  kind crm.alert_kind not null,
  -- The condition as crm.clean_alert_condition returns it: every key of the kind present.
  condition jsonb not null,
  -- The channels as crm.clean_alert_channels returns them.
  channels jsonb not null,
  -- An event rule's test as columns: ingest evaluates it for every inserted custom event
  -- that names the rule's event, and a jsonb lookup per part cost 3 µs each time.
  event_name text generated always as (condition ->> 'event') stored,
  prop text generated always as (condition ->> 'prop') stored,
  op text generated always as (condition ->> 'op') stored,
  value text generated always as (condition ->> 'value') stored,
  value_num numeric generated always as (crm.json_number(condition -> 'value')) stored,
  cooldown_minutes integer not null default 10,
  enabled boolean not null default true,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Evaluation looks rules up by kind across projects (is there any?) and per project.
create index alerts_kind_idx on crm.alerts (kind, project_id) where enabled;
create index alerts_project_idx on crm.alerts (project_id);
alter table crm.alerts enable row level security;
comment on table crm.alerts is
  'Alert rules of a project. condition and channels are stored as crm.clean_alert_condition / crm.clean_alert_channels return them; a firing is one per rule and subject per cooldown_minutes.';

/** Per project, the secret webhooks are signed with (Standard Webhooks: whsec_ + base64). */
create table crm.project_webhook_secrets (
  project_id uuid primary key references crm.projects (id) on delete cascade,
  secret text not null,
  rotated_at timestamptz not null default now()
);
alter table crm.project_webhook_secrets enable row level security;
comment on table crm.project_webhook_secrets is
  'The HMAC key webhook deliveries are signed with (webhook-signature, Standard Webhooks). Made on first use; shown to admins.';

/** A fresh webhook secret: 24 random bytes, base64, with the whsec_ prefix receivers expect. */
create function crm.new_webhook_secret() returns text
language sql volatile
set search_path = ''
as $$ select 'whsec_' || encode(extensions.gen_random_bytes(24), 'base64') $$;
revoke execute on function crm.new_webhook_secret() from public;

/**
 * Networks a webhook may not reach on hosted: loopback, private, link-local, shared,
 * multicast and reserved ranges (a rule would otherwise probe the project's own
 * network). The local stack lifts this with the database setting
 * vibe.allow_private_webhooks = on; the notify function checks resolved addresses
 * against the same list.
 */
create function crm.refused_networks() returns cidr[]
language sql immutable
set search_path = ''
as $$
  select array['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
               '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4',
               '::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8']::cidr[]
$$;
revoke execute on function crm.refused_networks() from public;

/** Whether this database lets webhooks reach refused networks (the local stack's setting). */
create function crm.private_webhooks_allowed() returns boolean
language sql stable
set search_path = ''
as $$ select coalesce(current_setting('vibe.allow_private_webhooks', true), '') in ('on', 'true', '1') $$;
revoke execute on function crm.private_webhooks_allowed() from public;

/**
 * Returns p_url trimmed if a webhook may be sent to it, else raises 22023 saying why:
 * http(s) only (https on hosted), no credentials, and no loopback, private or
 * link-local host (an address in crm.refused_networks(), localhost, *.local,
 * *.internal), unless the local stack allows them.
 */
create function crm.clean_webhook_url(p_url text, p_what text) returns text
language plpgsql stable
set search_path = ''
as $$
declare
  v_url text := trim(coalesce(p_url, ''));
  v_m text[];
  v_host text;
  v_addr inet;
begin
  if v_url = '' then
    raise exception '% needs a url', p_what using errcode = '22023';
  end if;
  if length(v_url) > (crm.alert_limits() ->> 'url_max')::integer then
    raise exception '% url is longer than % characters', p_what, crm.alert_limits() ->> 'url_max' using errcode = '22023';
  end if;
  v_m := regexp_match(v_url, '^(https?)://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?([/?#]\S*)?$', 'i');
  if v_m is null then
    -- '@' before the host would hide the real host behind credentials; other names
    -- (international ones) are given in their ASCII (punycode) form.
    raise exception '% url % is not an http(s) URL with a host (no user:password@; an international name in its xn-- form)', p_what, v_url using errcode = '22023';
  end if;
  if lower(v_m[1]) = 'http' and not crm.private_webhooks_allowed() then
    raise exception '% url must use https', p_what using errcode = '22023';
  end if;
  v_host := lower(trim(both '[]' from v_m[2]));
  if crm.private_webhooks_allowed() then
    return v_url;
  end if;
  if v_host = 'localhost' or v_host like '%.localhost' or v_host like '%.local' or v_host like '%.internal' then
    raise exception '% url % points at a local host: refused', p_what, v_url using errcode = '22023';
  end if;
  if v_host ~ '^[0-9.]+$' or v_host like '%:%' then
    begin
      v_addr := v_host::inet;
    exception when invalid_text_representation then
      raise exception '% url % has an invalid address', p_what, v_url using errcode = '22023';
    end;
    if exists (select from unnest(crm.refused_networks()) n where n >>= v_addr) then
      raise exception '% url % points at a private, loopback or link-local address: refused', p_what, v_url
        using errcode = '22023';
    end if;
  end if;
  return v_url;
end;
$$;
revoke execute on function crm.clean_webhook_url(text, text) from public;

/** p_value as a whole number in [p_min, p_max], else 22023 naming p_key. */
create function crm.alert_int(p_value jsonb, p_key text, p_min integer, p_max integer) returns integer
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_value is null or jsonb_typeof(p_value) <> 'number' or p_value::numeric <> trunc(p_value::numeric)
     or p_value::numeric not between p_min and p_max then
    raise exception '% must be a whole number from % to %', p_key, p_min, p_max using errcode = '22023';
  end if;
  return p_value::integer;
end;
$$;
revoke execute on function crm.alert_int(jsonb, text, integer, integer) from public;

/** p_value as a segment label or null (JSON null / absent = any), else 22023. */
create function crm.alert_segment(p_value jsonb, p_key text) returns text
language plpgsql stable
set search_path = ''
as $$
begin
  if p_value is null or p_value = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_value) <> 'string' or not (p_value #>> '{}') = any (crm.enum_labels('crm.segment')) then
    raise exception '% must be null (any) or one of %', p_key, array_to_string(crm.enum_labels('crm.segment'), ', ')
      using errcode = '22023';
  end if;
  return p_value #>> '{}';
end;
$$;
revoke execute on function crm.alert_segment(jsonb, text) from public;

/**
 * Checks a rule's condition for its kind and returns it with every key of the kind
 * (absent optional keys as null), or raises 22023 naming the key. Unknown keys are
 * refused, so a typo never silently widens a rule.
 *   event:            {event, prop, op, value}     prop/op/value all or none
 *   stuck:            {minutes, identified_only, segment, path}   path: * is a wildcard
 *   segment_change:   {from, to}                  null = any; from <> to
 *   online_threshold: {direction, count, minutes} direction above | below
 *   new_user:         {segment}
 */
create function crm.clean_alert_condition(p_kind crm.alert_kind, p_condition jsonb) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  c jsonb := coalesce(p_condition, '{}');
  v_allowed text[];
  v_bad text;
  v_limits jsonb := crm.alert_limits();
  v_text text;
  v_from text;
  v_to text;
begin
  if jsonb_typeof(c) <> 'object' then
    raise exception 'condition must be a JSON object' using errcode = '22023';
  end if;
  v_allowed := case p_kind
    when 'event' then array['event', 'prop', 'op', 'value']
    when 'stuck' then array['minutes', 'identified_only', 'segment', 'path']
    when 'segment_change' then array['from', 'to']
    when 'online_threshold' then array['direction', 'count', 'minutes']
    when 'new_user' then array['segment'] end;
  select k into v_bad from jsonb_object_keys(c) k where not k = any (v_allowed) limit 1;
  if v_bad is not null then
    raise exception 'a % rule has no condition key %: use %', p_kind, v_bad, array_to_string(v_allowed, ', ')
      using errcode = '22023';
  end if;

  case p_kind
  when 'event' then
    v_text := nullif(trim(c ->> 'event'), '');
    if v_text is null or length(v_text) > (crm.event_limits() ->> 'event_name')::integer then
      raise exception 'event must be an event name of 1 to % characters', crm.event_limits() ->> 'event_name'
        using errcode = '22023';
    end if;
    if (nullif(c ->> 'prop', '') is null) <> (nullif(c ->> 'op', '') is null)
       or (nullif(c ->> 'prop', '') is null) <> (c -> 'value' is null or c -> 'value' = 'null'::jsonb) then
      raise exception 'prop, op and value go together: give all three or none' using errcode = '22023';
    end if;
    if nullif(c ->> 'prop', '') is null then
      return jsonb_build_object('event', v_text, 'prop', null, 'op', null, 'value', null);
    end if;
    if not (c ->> 'op') = any (crm.enum_labels('crm.alert_op')) then
      raise exception 'op must be one of %', array_to_string(crm.enum_labels('crm.alert_op'), ', ') using errcode = '22023';
    end if;
    if jsonb_typeof(c -> 'value') not in ('string', 'number', 'boolean')
       or length(c ->> 'value') > (v_limits ->> 'value_max')::integer then
      raise exception 'value must be a string, number or boolean of at most % characters', v_limits ->> 'value_max'
        using errcode = '22023';
    end if;
    if c ->> 'op' in ('lt', 'gt') and (c ->> 'value') !~ '^[ \t\r\n]*-?[0-9]+(\.[0-9]+)?[ \t\r\n]*$' then
      raise exception 'op % compares numbers: value must be a number', c ->> 'op' using errcode = '22023';
    end if;
    if length(c ->> 'prop') > 100 then
      raise exception 'prop must be at most 100 characters' using errcode = '22023';
    end if;
    return jsonb_build_object('event', v_text, 'prop', c ->> 'prop', 'op', c ->> 'op', 'value', c ->> 'value');
  when 'stuck' then
    if c -> 'identified_only' is not null and jsonb_typeof(c -> 'identified_only') not in ('boolean', 'null') then
      raise exception 'identified_only must be true or false' using errcode = '22023';
    end if;
    v_text := nullif(trim(c ->> 'path'), '');
    if v_text is not null and (left(v_text, 1) not in ('/', '*') or length(v_text) > 500) then
      raise exception 'path must start with / or * and be at most 500 characters (* is a wildcard)' using errcode = '22023';
    end if;
    return jsonb_build_object(
      'minutes', crm.alert_int(c -> 'minutes', 'minutes', 1, (v_limits ->> 'minutes_max')::integer),
      'identified_only', coalesce((c ->> 'identified_only')::boolean, false),
      'segment', crm.alert_segment(c -> 'segment', 'segment'),
      'path', v_text);
  when 'segment_change' then
    v_from := crm.alert_segment(c -> 'from', 'from');
    v_to := crm.alert_segment(c -> 'to', 'to');
    if v_from is not distinct from v_to and v_from is not null then
      raise exception 'from and to must differ' using errcode = '22023';
    end if;
    return jsonb_build_object('from', v_from, 'to', v_to);
  when 'online_threshold' then
    if coalesce(c ->> 'direction', '') not in ('above', 'below') then
      raise exception 'direction must be above or below' using errcode = '22023';
    end if;
    return jsonb_build_object(
      'direction', c ->> 'direction',
      'count', crm.alert_int(c -> 'count', 'count', 0, (v_limits ->> 'count_max')::integer),
      'minutes', crm.alert_int(c -> 'minutes', 'minutes', 0, (v_limits ->> 'minutes_max')::integer));
  when 'new_user' then
    return jsonb_build_object('segment', crm.alert_segment(c -> 'segment', 'segment'));
  end case;
end;
$$;
revoke execute on function crm.clean_alert_condition(crm.alert_kind, jsonb) from public;

/**
 * Checks a rule's channels and returns them cleaned, or raises 22023: a JSON array of
 * 1 to channels_max objects {type: dashboard} | {type: webhook | slack, url} |
 * {type: email, to: [addresses]}. Webhook and Slack URLs pass crm.clean_webhook_url.
 */
create function crm.clean_alert_channels(p_channels jsonb) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_limits jsonb := crm.alert_limits();
  v_out jsonb := '[]';
  ch jsonb;
  v_type text;
  v_to jsonb;
  v_addr text;
  v_clean text[];
begin
  if p_channels is null or jsonb_typeof(p_channels) <> 'array' or jsonb_array_length(p_channels) = 0 then
    raise exception 'channels must be a non-empty JSON array' using errcode = '22023';
  end if;
  if jsonb_array_length(p_channels) > (v_limits ->> 'channels_max')::integer then
    raise exception 'at most % channels per rule', v_limits ->> 'channels_max' using errcode = '22023';
  end if;
  for ch in select value from jsonb_array_elements(p_channels) loop
    v_type := case when jsonb_typeof(ch) = 'object' then ch ->> 'type' end;
    if v_type is null or not v_type = any (crm.enum_labels('crm.alert_channel')) then
      raise exception 'each channel needs a type: %', array_to_string(crm.enum_labels('crm.alert_channel'), ', ')
        using errcode = '22023';
    end if;
    case v_type
    when 'dashboard' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('type', 'dashboard'));
    when 'webhook', 'slack' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('type', v_type,
        'url', crm.clean_webhook_url(ch ->> 'url', v_type)));
    when 'email' then
      v_to := ch -> 'to';
      if v_to is null or jsonb_typeof(v_to) <> 'array' or jsonb_array_length(v_to) = 0
         or jsonb_array_length(v_to) > (v_limits ->> 'emails_max')::integer then
        raise exception 'an email channel needs "to": 1 to % addresses', v_limits ->> 'emails_max' using errcode = '22023';
      end if;
      v_clean := '{}';
      for v_addr in select lower(trim(value)) from jsonb_array_elements_text(v_to) loop
        -- One @, no spaces, a dot in the domain: what an email API accepts; the rest is its call.
        if v_addr !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' or length(v_addr) > 254 then
          raise exception 'email address % is not valid', v_addr using errcode = '22023';
        end if;
        v_clean := v_clean || v_addr;
      end loop;
      v_out := v_out || jsonb_build_array(jsonb_build_object('type', 'email',
        'to', to_jsonb(array(select distinct unnest(v_clean) order by 1))));
    end case;
  end loop;
  return v_out;
end;
$$;
revoke execute on function crm.clean_alert_channels(jsonb) from public;

/** Raises 22023 unless p_name is 1 to name_max characters; returns it trimmed. */
create function crm.clean_alert_name(p_name text) returns text
language plpgsql immutable
set search_path = ''
as $$
begin
  if length(trim(coalesce(p_name, ''))) not between 1 and (crm.alert_limits() ->> 'name_max')::integer then
    raise exception 'name must be 1 to % characters', crm.alert_limits() ->> 'name_max' using errcode = '22023';
  end if;
  return trim(p_name);
end;
$$;
revoke execute on function crm.clean_alert_name(text) from public;

/** Raises 22023 unless p_minutes is 0 to cooldown_minutes_max. */
create function crm.check_alert_cooldown(p_minutes integer) returns integer
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_minutes is null or p_minutes not between 0 and (crm.alert_limits() ->> 'cooldown_minutes_max')::integer then
    raise exception 'cooldown_minutes must be 0 to %', crm.alert_limits() ->> 'cooldown_minutes_max' using errcode = '22023';
  end if;
  return p_minutes;
end;
$$;
revoke execute on function crm.check_alert_cooldown(integer) from public;

/**
 * The rule's project after checking the caller has p_min_role in it; PT404 for an
 * unknown rule (the same answer whether or not it exists elsewhere, for a caller with
 * no role there, is not needed: rule ids are random).
 */
create function crm.require_alert_role(p_alert_id uuid, p_min_role crm.project_role) returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_project uuid;
begin
  select a.project_id into v_project from crm.alerts a where a.id = p_alert_id;
  if v_project is null then
    raise exception 'unknown alert rule' using errcode = 'PT404';
  end if;
  perform crm.require_project_role(v_project, p_min_role);
  return v_project;
end;
$$;
revoke execute on function crm.require_alert_role(uuid, crm.project_role) from public;

/**
 * Creates an alert rule (kinds, conditions and channels: crm.clean_alert_condition,
 * crm.clean_alert_channels; API.md "Alerts"). Returns its id. Admin.
 */
create function public.create_crm_alert(p_project_id uuid, p_name text, p_kind text, p_condition jsonb, p_channels jsonb,
                                        p_cooldown_minutes integer default 10, p_enabled boolean default true)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_kind crm.alert_kind;
  v_id uuid;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_project_exists(p_project_id);
  if p_kind is null or not p_kind = any (crm.enum_labels('crm.alert_kind')) then
    raise exception 'kind must be one of %', array_to_string(crm.enum_labels('crm.alert_kind'), ', ') using errcode = '22023';
  end if;
  v_kind := p_kind::crm.alert_kind;
  -- Serialises creates per project, so the cap holds under concurrency.
  perform from crm.projects p where p.id = p_project_id for no key update;
  if (select count(*) from crm.alerts a where a.project_id = p_project_id)
     >= (crm.alert_limits() ->> 'rules_per_project')::integer then
    raise exception 'a project has at most % alert rules', crm.alert_limits() ->> 'rules_per_project' using errcode = '22023';
  end if;
  insert into crm.alerts (project_id, name, kind, condition, channels, cooldown_minutes, enabled, created_by)
  values (p_project_id, crm.clean_alert_name(p_name), v_kind, crm.clean_alert_condition(v_kind, p_condition),
          crm.clean_alert_channels(p_channels), crm.check_alert_cooldown(p_cooldown_minutes), coalesce(p_enabled, true),
          auth.uid())
  returning id into v_id;
  return v_id;
end;
$$;
grant execute on function public.create_crm_alert(uuid, text, text, jsonb, jsonb, integer, boolean) to authenticated, service_role;

/**
 * Changes a rule: each argument given replaces that part (null leaves it), the
 * condition checked against the rule's kind (which never changes). Pausing is
 * p_enabled = false. A changed condition or re-enabled rule starts its time-based
 * state afresh. Admin.
 */
create function public.update_crm_alert(p_alert_id uuid, p_name text default null, p_condition jsonb default null,
                                        p_channels jsonb default null, p_cooldown_minutes integer default null,
                                        p_enabled boolean default null)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_kind crm.alert_kind;
begin
  perform crm.require_alert_role(p_alert_id, 'admin');
  select a.kind into v_kind from crm.alerts a where a.id = p_alert_id;
  update crm.alerts a set
    name = case when p_name is null then a.name else crm.clean_alert_name(p_name) end,
    condition = case when p_condition is null then a.condition else crm.clean_alert_condition(v_kind, p_condition) end,
    channels = case when p_channels is null then a.channels else crm.clean_alert_channels(p_channels) end,
    cooldown_minutes = case when p_cooldown_minutes is null then a.cooldown_minutes
                            else crm.check_alert_cooldown(p_cooldown_minutes) end,
    enabled = coalesce(p_enabled, a.enabled),
    updated_at = now()
  where a.id = p_alert_id;
end;
$$;
grant execute on function public.update_crm_alert(uuid, text, jsonb, jsonb, integer, boolean) to authenticated, service_role;

/** Deletes a rule with its delivery log (queued deliveries are dropped, not sent). Admin. */
create function public.delete_crm_alert(p_alert_id uuid)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform crm.require_alert_role(p_alert_id, 'admin');
  delete from crm.alerts a where a.id = p_alert_id;
end;
$$;
grant execute on function public.delete_crm_alert(uuid) to authenticated, service_role;

/** The project's webhook signing secret (made on first call). Admin. */
create function public.get_crm_webhook_secret(p_project_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_secret text;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_project_exists(p_project_id);
  insert into crm.project_webhook_secrets (project_id, secret) values (p_project_id, crm.new_webhook_secret())
  on conflict (project_id) do nothing;
  select s.secret into v_secret from crm.project_webhook_secrets s where s.project_id = p_project_id;
  return v_secret;
end;
$$;
grant execute on function public.get_crm_webhook_secret(uuid) to authenticated, service_role;

/** Replaces the project's webhook signing secret and returns the new one. Admin. */
create function public.rotate_crm_webhook_secret(p_project_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_secret text := crm.new_webhook_secret();
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_project_exists(p_project_id);
  insert into crm.project_webhook_secrets as s (project_id, secret) values (p_project_id, v_secret)
  on conflict (project_id) do update set secret = excluded.secret, rotated_at = now();
  return v_secret;
end;
$$;
grant execute on function public.rotate_crm_webhook_secret(uuid) to authenticated, service_role;
