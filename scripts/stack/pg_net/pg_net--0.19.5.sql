-- Local stand-in for supabase/pg_net 0.19.5 (see pg_net.control): the same schema, tables,
-- types and function signatures, written in SQL and PL/pgSQL. Requests wait in
-- net.http_request_queue until they are committed; scripts/stack/net-worker.ts (a service
-- of the local stack, connected as the superuser like pg_net's background worker) claims
-- them by deleting them, sends each one once, and writes what came back to
-- net._http_response. Where pg_net uses C (URL encoding, waking its worker) this file
-- does the same in SQL; everything a caller can observe is meant to match pg_net 0.19.5.
\echo Use "create extension pg_net" to load this file. \quit

create schema if not exists net;

-- The methods pg_net can send.
create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');

-- Requests waiting for the worker. Unlogged, as in pg_net: a crash loses them.
create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);

-- What each request got: status, headers and body, or error_msg. Kept for pg_net.ttl
-- (default 6 hours), then deleted by the worker.
create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
create index on net._http_response (created);

-- pg_net's worker shows up in pg_stat_activity as a background worker named pg_net;
-- the stand-in's worker is a client session with application_name 'pg_net 0.19.5 worker'.
create function net.check_worker_is_up() returns void
language plpgsql
as $$
begin
  if not exists (
    select from pg_stat_activity
     where backend_type ilike '%pg_net%' or application_name ilike 'pg_net%worker'
  ) then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail = 'no pg_net worker is connected, so queued requests are not being sent',
      hint = 'on the local stack the worker is scripts/stack/net-worker.ts: `npm run up` starts it';
  end if;
end
$$;
comment on function net.check_worker_is_up() is
  'raises an exception if the pg_net worker is not up, otherwise returns nothing';

-- Waits (polling every 50 ms) until the request has a response row.
create function net._await_response(request_id bigint) returns bool
language plpgsql
as $$
begin
  loop
    exit when exists (select from net._http_response r where r.id = request_id);
    perform pg_sleep(0.05);
  end loop;
  return true;
end
$$;

-- Percent-encodes every byte of the UTF-8 text except A-Z a-z 0-9 - . _ ~, as curl_escape does.
create function net._urlencode_string(string varchar) returns text
language sql
immutable strict
as $$
  select coalesce(string_agg(
           case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
                then chr(b)
                else '%' || upper(lpad(to_hex(b), 2, '0')) end,
           '' order by i), '')
    from (select i, get_byte(convert_to(string, 'UTF8'), i) as b
            from generate_series(0, octet_length(convert_to(string, 'UTF8')) - 1) as i) as bytes
$$;

-- Appends already encoded `key=value` pairs to the URL's query (before any #fragment),
-- joined with &, and gives a URL without a path the path /, as curl's URL API does.
create function net._encode_url_with_params_array(url text, params_array text[]) returns text
language plpgsql
immutable strict
as $$
declare
  part text[] := regexp_match(url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$');
  query text;
  param text;
begin
  if part is null then
    raise exception 'URL using bad/illegal format or missing URL';
  end if;
  query := coalesce(substr(part[4], 2), '');
  foreach param in array params_array loop
    continue when param is null;
    query := case when query = '' or right(query, 1) = '&' then query || param else query || '&' || param end;
  end loop;
  return lower(part[1]) || '://' || part[2] || coalesce(nullif(part[3], ''), '/')
    || case when query = '' then '' else '?' || query end || coalesce(part[5], '');
end
$$;

-- The worker LISTENs on this channel. A notification is delivered only when the
-- transaction commits (never after a rollback), which is when pg_net wakes its worker.
create function net.wake() returns void
language sql
as $$ select pg_notify('pg_net_wake', '') $$;

-- pg_net reloads its settings and restarts its worker; the stand-in's worker reconnects.
create function net.worker_restart() returns bool
language plpgsql
as $$
begin
  perform pg_notify('pg_net_wake', 'restart');
  return true;
end
$$;

create function net.wait_until_running() returns void
language plpgsql
as $$
begin
  loop
    exit when exists (
      select from pg_stat_activity
       where backend_type ilike '%pg_net%' or application_name ilike 'pg_net%worker'
    );
    perform pg_sleep(0.05);
  end loop;
end
$$;
comment on function net.wait_until_running() is 'waits until the worker is running';

-- `params` become the query string (?key=value&…, percent-encoded), as in every http_* function.
create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values (
    'GET',
    net._encode_url_with_params_array(url, (
      select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
        from jsonb_each_text(params) as p)),
    headers,
    timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

-- The body is sent as the jsonb's text. A Content-Type header is added when missing
-- (unless headers is null), and anything but exactly application/json is refused.
create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  content_type text := (
    select h.value from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h
     where lower(h.key) = 'content-type' limit 1);
begin
  if content_type is null then
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'POST',
    net._encode_url_with_params_array(url, (
      select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
        from jsonb_each_text(params) as p)),
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language plpgsql
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'DELETE',
    net._encode_url_with_params_array(url, (
      select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
        from jsonb_each_text(params) as p)),
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');

create type net.http_response as (
  status_code integer,
  headers jsonb,
  body text
);

create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);

-- SUCCESS with the response, or ERROR with error_msg; a request still in flight and an
-- unknown id both give ERROR 'request matching request_id not found'. async = false
-- waits for the response first.
create function net._http_collect_response(request_id bigint, async bool default true)
returns net.http_response_result
language plpgsql
as $$
declare
  r net._http_response;
begin
  if not async then
    perform net._await_response(request_id);
  end if;
  select * into r from net._http_response as x where x.id = request_id;
  if r is null or r.error_msg is not null then
    return ('ERROR', coalesce(r.error_msg, 'request matching request_id not found'), null)::net.http_response_result;
  end if;
  return ('SUCCESS', 'ok', (r.status_code, r.headers, r.content)::net.http_response)::net.http_response_result;
end
$$;

-- Deprecated in pg_net. Its 0.19.5 body runs a SELECT without INTO after the notice, so
-- a call fails with "query has no destination for result data"; so does this one, so
-- that nothing works here that fails on hosted. Use net._http_collect_response.
create function net.http_collect_response(request_id bigint, async bool default true)
returns net.http_response_result
language plpgsql
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  select net._http_collect_response(request_id, async);
end
$$;

-- pg_net's own grants: every role may use the schema, its tables and sequence; the
-- functions keep PostgreSQL's default EXECUTE for PUBLIC. Hosted Supabase adds USAGE on
-- `net` for postgres, anon, authenticated, service_role and supabase_functions_admin,
-- which PUBLIC already covers.
grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
