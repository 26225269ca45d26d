-- Each person's origin in the CRM: first and last touch (channel, referrer, source, UTM,
-- country; kept on crm.site_users by crm.refresh_user_days) on get_site_user_detail, as
-- filterable columns of list_site_users, and in the users CSV export.

/** The keys list_site_users' p_origin may hold. */
create function crm.origin_filter_keys() returns text[]
language sql immutable
set search_path = ''
as $$
  select array['first_channel', 'first_source', 'first_campaign', 'first_country',
               'last_channel', 'last_source', 'last_campaign', 'last_country']
$$;

/** Whether a user's first and last touch match every key of p_origin (exact, as stored). */
create function crm.origin_matches(p_first jsonb, p_last jsonb, p_origin jsonb) returns boolean
language sql immutable
set search_path = ''
as $$
  -- A missing value (unknown country, no campaign) matches no filter value.
  select coalesce(bool_and(coalesce(
           case when f.key like 'first\_%' then p_first ->> substr(f.key, 7) else p_last ->> substr(f.key, 6) end
           = f.value, false)), true)
  from jsonb_each_text(p_origin) f
$$;

-- get_site_user_detail: what it returned, with {user: {origin: {first_touch, last_touch}}}.
alter function public.get_site_user_detail(uuid, uuid) rename to site_user_detail;
alter function public.site_user_detail(uuid, uuid) set schema crm;
revoke execute on function crm.site_user_detail(uuid, uuid) from authenticated, service_role;
comment on function crm.site_user_detail(uuid, uuid) is
  'get_site_user_detail without the origin (it checks the caller''s role itself too).';

/**
 * One site user: profile ({user}, with origin.first_touch / origin.last_touch — null
 * until the 5-minute job has seen a visit) and their last 20 sessions with their pages.
 * Raises PT404 (HTTP 404) for an unknown user.
 */
create function public.get_site_user_detail(p_project_id uuid, p_user_id uuid)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_detail jsonb;
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  v_detail := crm.site_user_detail(p_project_id, p_user_id);
  return jsonb_set(v_detail, '{user,origin}', (
    select jsonb_build_object('first_touch', u.first_touch, 'last_touch', u.last_touch)
    from crm.site_users u where u.project_id = p_project_id and u.id = p_user_id));
end;
$$;
grant execute on function public.get_site_user_detail(uuid, uuid) to authenticated, service_role;

-- list_site_users: origin columns, the p_origin filter and the report contract (a new
-- signature: dropped and made again).
drop function public.list_site_users(uuid, text, text, integer, integer);

/**
 * The CRM user list: every site user (online or not), newest first (first_seen_at
 * desc), optionally of one segment, matching p_search (case-insensitive substring of
 * email, name or external id), p_origin (exact first/last touch values) and/or the report
 * contract (p_from, p_to, p_filter: users with a crm.user_days row in the range that
 * passes the filter), paged by p_limit (1–1000) / p_offset. Each row carries total_count,
 * the number of rows matching the filters, and the user's first and last touch channel,
 * source, campaign and country.
 */
create function public.list_site_users(p_project_id uuid, p_segment text default null, p_search text default null,
                                       p_limit integer default 50, p_offset integer default 0,
                                       p_origin jsonb default '{}', p_from date default null, p_to date default null,
                                       p_filter jsonb default '{}')
returns table (id uuid, external_id text, email text, name text, segment text, verified boolean,
               first_seen_at timestamptz, last_seen_at timestamptz, sessions_count integer,
               pageviews_count integer, events_count integer, is_online boolean, total_count bigint,
               first_channel text, first_source text, first_campaign text, first_country text,
               last_channel text, last_source text, last_campaign text, last_country text)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_pattern text := case when nullif(trim(replace(p_search, E'\n', '')), '') is not null
    then '%' || replace(replace(replace(trim(replace(p_search, E'\n', '')), '\', '\\'), '%', '\%'), '_', '\_') || '%' end;
  v_origin jsonb := case when p_origin = '{}' then null else p_origin end;
  v_total bigint;
  v_since timestamptz;
  v_active uuid[]; -- with a range: the users active in it who pass the filter
begin
  perform crm.require_project_role(p_project_id, 'viewer');
  perform crm.require_segment(p_segment);
  perform crm.check_filter_object(p_origin, 'p_origin', 'origin filter', crm.origin_filter_keys());
  if p_from is not null or p_to is not null or p_filter <> '{}' then
    perform crm.check_report_args(p_from, p_to, p_filter);
    -- Gathered once: each query below then probes site_users by id (a semi-join scanned
    -- all of a project's users, 0.7 s at a million).
    v_active := array(select distinct d.user_id from crm.filtered_user_days(p_project_id, p_from, p_to, p_filter) d);
  end if;
  v_since := crm.online_since(p_project_id);
  if p_limit is null or p_limit not between 1 and 1000 or p_offset is null or p_offset < 0 then
    raise exception 'p_limit must be 1 to 1000 and p_offset >= 0' using errcode = '22023';
  end if;

  -- Planned for this very call (EXECUTE): a null filter folds away, a rare pattern reads
  -- its few matches through site_users_search_idx, a common one walks the newest users
  -- and stops at the page.
  if v_pattern is null and p_segment is null and v_origin is null and v_active is null then
    v_total := crm.total_users(p_project_id);
  elsif v_pattern is null and p_segment is null and v_origin is null then
    v_total := cardinality(v_active);
  else
    execute 'select count(*) from crm.site_users u
             where u.project_id = $1 and ($2::text is null or u.segment = $2::crm.segment)
               and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)
               and ($4::jsonb is null or crm.origin_matches(u.first_touch, u.last_touch, $4))
               and ($5::uuid[] is null or u.id = any ($5))'
      into v_total using p_project_id, p_segment, v_pattern, v_origin, v_active;
  end if;
  return query execute
    'select u.id, u.external_id, u.email, u.name, u.segment::text, u.verified, u.first_seen_at, u.last_seen_at,
            u.sessions_count, u.pageviews_count, u.events_count,
            exists (select from crm.site_sessions s
                    where s.project_id = u.project_id and s.user_id = u.id and s.is_online and s.last_activity_at >= $4),
            $5::bigint,
            u.first_touch ->> ''channel'', u.first_touch ->> ''source'', u.first_touch ->> ''utm_campaign'',
            u.first_touch ->> ''country'', u.last_touch ->> ''channel'', u.last_touch ->> ''source'',
            u.last_touch ->> ''utm_campaign'', u.last_touch ->> ''country''
     from crm.site_users u
     where u.project_id = $1 and ($2::text is null or u.segment = $2::crm.segment)
       and ($3::text is null or crm.site_user_search_text(u.email, u.name, u.external_id) ilike $3)
       and ($8::jsonb is null or crm.origin_matches(u.first_touch, u.last_touch, $8))
       and ($9::uuid[] is null or u.id = any ($9))
     order by u.first_seen_at desc, u.id desc
     limit $6 offset $7'
    using p_project_id, p_segment, v_pattern, v_since, v_total, p_limit, p_offset, v_origin, v_active;
end;
$$;
grant execute on function public.list_site_users(uuid, text, text, integer, integer, jsonb, date, date, jsonb) to authenticated, service_role;

/**
 * CSV (RFC 4180, CRLF, header row) of site users, optionally of one segment, by
 * default only those online now, with their first and last touch. Admin. Cells starting
 * with = + - @ tab or CR are prefixed with ' (formula injection), numbers excepted.
 * Online sessions are read once (partial is_online index), not per user.
 */
create or replace function public.export_site_users_csv(p_project_id uuid, p_segment text default null,
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
                               'last_seen_at', 'sessions', 'page_views', 'events', 'online', 'current_page',
                               'first_channel', 'first_source', 'first_campaign', 'first_country',
                               'last_channel', 'last_source', 'last_campaign', 'last_country']) as line
      union all
      select 1, u.first_seen_at, u.id, crm.csv_row(array[
        u.id::text, u.external_id, u.email, u.name, u.segment::text, u.verified::text,
        to_char(u.first_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        to_char(u.last_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        u.sessions_count::text, u.pageviews_count::text, u.events_count::text,
        (o.user_id is not null)::text, o.current_page,
        u.first_touch ->> 'channel', u.first_touch ->> 'source', u.first_touch ->> 'utm_campaign', u.first_touch ->> 'country',
        u.last_touch ->> 'channel', u.last_touch ->> 'source', u.last_touch ->> 'utm_campaign', u.last_touch ->> 'country'])
      from crm.site_users u
      left join online o on o.user_id = u.id
      where u.project_id = p_project_id
        and (p_segment is null or u.segment = p_segment::crm.segment)
        and (not coalesce(p_online_only, true) or o.user_id is not null)
    ) t);
end;
$$;
