-- Site users and exports: the CRM user list (search, segment filter, paging), one
-- user's detail with their last 20 sessions and pages, and the CSV exports.

-- The user list's search: a trigram index, so a substring search stays fast at a
-- million users instead of reading every row of the project (over a second there).

/**
 * The text list_site_users searches: email, name and external id, one per line (a
 * search never spans two of them: its line breaks are dropped). Plain SQL, immutable
 * and without a SET clause, so it inlines and site_users_search_idx matches the query.
 */
create function crm.site_user_search_text(p_email text, p_name text, p_external_id text) returns text
language sql immutable parallel safe
as $$
  select coalesce(p_email, '') || E'\n' || coalesce(p_name, '') || E'\n' || coalesce(p_external_id, '')
$$;
revoke execute on function crm.site_user_search_text(text, text, text) from public;

create index site_users_search_idx on crm.site_users
  using gin (crm.site_user_search_text(email, name, external_id) extensions.gin_trgm_ops);

/**
 * The CRM user list: every site user (online or not), newest first (first_seen_at
 * desc), optionally of one segment and/or matching p_search (case-insensitive
 * substring of email, name or external id), paged by p_limit (1–1000) / p_offset.
 * Each row carries total_count, the number of rows matching the filters.
 */
create function public.list_site_users(p_project_id uuid, p_segment text default null, p_search text default null,
                                       p_limit integer default 50, p_offset integer default 0)
returns table (id uuid, external_id text, email text, name text, segment text, verified boolean,
               first_seen_at timestamptz, last_seen_at timestamptz, sessions_count integer,
               pageviews_count integer, events_count integer, is_online boolean, total_count bigint)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_pattern text := case when nullif(trim(replace(p_search, E'\n', '')), '') is not null
    then '%' || replace(replace(replace(trim(replace(p_search, E'\n', '')), '\', '\\'), '%', '\%'), '_', '\_') || '%' end;
  v_total bigint;
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.require_segment(p_segment);
  v_since := crm.online_since(p_project_id);
  if p_limit is null or p_limit not between 1 and 1000 or p_offset is null or p_offset < 0 then
    raise exception 'p_limit must be 1 to 1000 and p_offset >= 0' using errcode = '22023';
  end if;

  -- Planned for this very call (EXECUTE): a null filter folds away, a rare pattern reads
  -- its few matches through site_users_search_idx, a common one walks the newest users
  -- and stops at the page.
  if v_pattern is null and p_segment is null then
    v_total := crm.total_users(p_project_id);
  else
    execute 'select count(*) from crm.site_users u
             where u.project_id = $1 and ($2::text is null or u.segment = $2::crm.segment)
               and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)'
      into v_total using p_project_id, p_segment, v_pattern;
  end if;
  return query execute
    'select u.id, u.external_id, u.email, u.name, u.segment::text, u.verified, u.first_seen_at, u.last_seen_at,
            u.sessions_count, u.pageviews_count, u.events_count,
            exists (select from crm.site_sessions s
                    where s.project_id = u.project_id and s.user_id = u.id and s.is_online and s.last_activity_at >= $4),
            $5::bigint
     from crm.site_users u
     where u.project_id = $1 and ($2::text is null or u.segment = $2::crm.segment)
       and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)
     order by u.first_seen_at desc, u.id desc
     limit $6 offset $7'
    using p_project_id, p_segment, v_pattern, v_since, v_total, p_limit, p_offset;
end;
$$;
grant execute on function public.list_site_users(uuid, text, text, integer, integer) to authenticated, service_role;

/**
 * One site user: profile ({user}) and their last 20 sessions, newest first, each with
 * duration, device, browser, os, country, entry page and its pages in order
 * (path, entered_at, seconds on page = until the next page view, or until the
 * session's end / last activity for the last page). Raises PT404 (HTTP 404) for an unknown user.
 */
create function public.get_site_user_detail(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user jsonb;
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  v_since := crm.online_since(p_project_id);
  select jsonb_build_object(
    'id', u.id, 'external_id', u.external_id, 'email', u.email, 'name', u.name, 'segment', u.segment::text,
    'verified', u.verified, 'metadata', u.metadata, 'first_seen_at', u.first_seen_at,
    'last_seen_at', u.last_seen_at, 'sessions_count', u.sessions_count,
    'pageviews_count', u.pageviews_count, 'events_count', u.events_count,
    'is_online', exists (select from crm.site_sessions s
                         where s.project_id = u.project_id and s.user_id = u.id and s.is_online and s.last_activity_at >= v_since))
  into v_user
  from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id;
  if v_user is null then
    raise exception 'site user not found' using errcode = 'PT404';
  end if;
  return jsonb_build_object('user', v_user, 'sessions', coalesce((
    with s as (
      select s.* from crm.site_sessions s
      where s.project_id = p_project_id and s.user_id = p_user_id
      order by s.started_at desc limit 20
    ), pv as (
      select e.session_id, e.page, e.occurred_at,
             lead(e.occurred_at) over (partition by e.session_id order by e.occurred_at, e.id) as next_at
      from crm.user_events e
      where e.project_id = p_project_id and e.user_id = p_user_id and e.type = 'pageview'
        and e.occurred_at >= (select min(s.started_at) - interval '1 minute' from s)
        and e.session_id in (select s.id from s)
    )
    select jsonb_agg(jsonb_build_object(
      'id', s.id, 'started_at', s.started_at, 'last_activity_at', s.last_activity_at, 'ended_at', s.ended_at,
      'duration_seconds', round(extract(epoch from greatest(coalesce(s.ended_at, s.last_activity_at) - s.started_at, interval '0'))),
      'is_online', s.is_online and s.last_activity_at >= v_since, 'device_type', s.device_type, 'browser', s.browser, 'os', s.os,
      'country', s.country, 'referrer', s.referrer, 'entry_page', s.entry_page, 'page_views', s.page_views,
      'pages', coalesce((
        select jsonb_agg(jsonb_build_object(
          'path', pv.page, 'entered_at', pv.occurred_at,
          'seconds', round(extract(epoch from greatest(
             coalesce(pv.next_at, greatest(coalesce(s.ended_at, s.last_activity_at), pv.occurred_at)) - pv.occurred_at, interval '0'))))
          order by pv.occurred_at)
        from pv where pv.session_id = s.id), '[]'::jsonb))
      order by s.started_at desc)
    from s), '[]'::jsonb));
end;
$$;
grant execute on function public.get_site_user_detail(uuid, uuid) to authenticated, service_role;

/** RFC 4180 cell: neutralises formula starts (= + - @ tab CR) with a leading quote unless the value is a plain number, then quotes when needed. */
create function crm.csv_cell(p_value text) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when p_value is null then ''
    else (
      with v as (
        select case when p_value ~ '^[=+\-@\t\r]' and p_value !~ '^[+-]?[0-9]+(\.[0-9]+)?$'
                    then '''' || p_value else p_value end as s)
      select case when v.s ~ '[",\r\n]' then '"' || replace(v.s, '"', '""') || '"' else v.s end
      from v)
  end
$$;
revoke execute on function crm.csv_cell(text) from public;

/** One CSV record (no line break) from an array of cell values. */
create function crm.csv_row(p_cells text[]) returns text
language sql immutable
set search_path = ''
as $$
  select string_agg(crm.csv_cell(c), ',' order by i)
  from unnest(p_cells) with ordinality as t(c, i)
$$;
revoke execute on function crm.csv_row(text[]) from public;

/**
 * CSV (RFC 4180, CRLF, header row) of site users, optionally of one segment, by
 * default only those online now. Admin. Cells starting with = + - @ tab or CR are
 * prefixed with ' (formula injection), numbers excepted. Online sessions are read
 * once (partial is_online index), not per user.
 */
create function public.export_site_users_csv(p_project_id uuid, p_segment text default null,
                                             p_online_only boolean default true)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_since timestamptz;
begin
  perform crm.require_project_role(p_project_id, 'admin');
  perform crm.require_segment(p_segment);
  v_since := crm.online_since(p_project_id);
  return (
    with online as (
      select s.user_id, (array_agg(s.current_page order by s.last_activity_at desc))[1] as current_page
      from crm.site_sessions s
      where s.project_id = p_project_id and s.is_online and s.last_activity_at >= v_since
      group by s.user_id
    )
    select string_agg(line, E'\r\n' order by ord, first_seen_at desc, id desc) || E'\r\n'
    from (
      select 0 as ord, null::timestamptz as first_seen_at, null::uuid as id,
             crm.csv_row(array['id', 'external_id', 'email', 'name', 'segment', 'verified', 'first_seen_at',
                               'last_seen_at', 'sessions', 'page_views', 'events', 'online', 'current_page']) as line
      union all
      select 1, u.first_seen_at, u.id, crm.csv_row(array[
        u.id::text, u.external_id, u.email, u.name, u.segment::text, u.verified::text,
        to_char(u.first_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(u.last_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        u.sessions_count::text, u.pageviews_count::text, u.events_count::text,
        (o.user_id is not null)::text, o.current_page])
      from crm.site_users u
      left join online o on o.user_id = u.id
      where u.project_id = p_project_id
        and (p_segment is null or u.segment = p_segment::crm.segment)
        and (not coalesce(p_online_only, true) or o.user_id is not null)
    ) t);
end;
$$;
grant execute on function public.export_site_users_csv(uuid, text, boolean) to authenticated, service_role;

/** CSV (RFC 4180, CRLF, header row) of get_crm_metrics: metric,value,last_week,change,change_pct. Admin. */
create function public.export_crm_metrics_csv(p_project_id uuid)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform crm.require_project_role(p_project_id, 'admin');
  return crm.csv_row(array['metric', 'value', 'last_week', 'change', 'change_pct']) || E'\r\n'
    || coalesce((select string_agg(crm.csv_row(array[m.metric, m.value::text, m.last_week::text, m.change::text,
                                                     m.change_pct::text]), E'\r\n' order by ord) || E'\r\n'
                 from public.get_crm_metrics(p_project_id) with ordinality as m(metric, value, last_week, change, change_pct, ord)), '');
end;
$$;
grant execute on function public.export_crm_metrics_csv(uuid) to authenticated, service_role;
