-- Identity: who a site user is. An identify (from the tracker, signed or not, or from a
-- trusted backend) labels a visitor or merges it into a verified user; nothing is lost
-- in a merge. The rules are in crm.apply_identity; PROTOCOL.md "Signed identify" says
-- them for site owners.

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
  p_name text, p_segment crm.segment, p_metadata jsonb, p_verified boolean, p_email_verified boolean
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
revoke execute on function crm.apply_identity(uuid, uuid, uuid, text, text, text, crm.segment, jsonb, boolean, boolean) from public;

/**
 * Lets a trusted backend (service_role, or a project admin) identify a site user and
 * set its segment: finds or creates the verified user with that external id / email,
 * merges the visitor with p_anonymous_id into it when given. The limits are
 * crm.event_limits() (metadata: bytes of the JSON text as sent). Returns the user as jsonb.
 */
create function public.identify_site_user(
  p_project_id uuid,
  p_email text default null,
  p_external_id text default null,
  p_name text default null,
  p_segment text default null,
  p_metadata json default null,
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
  if length(p_email) > (crm.event_limits() ->> 'email')::integer
     or length(p_external_id) > (crm.event_limits() ->> 'external_id')::integer
     or length(p_name) > (crm.event_limits() ->> 'name')::integer
     or octet_length(p_metadata::text) > (crm.event_limits() ->> 'metadata_bytes')::integer then
    raise exception 'a value is too long: limits are %', crm.event_limits() using errcode = '22023';
  end if;
  if json_typeof(p_metadata) <> 'object' then
    raise exception 'p_metadata must be a JSON object' using errcode = '22023';
  end if;
  if p_anonymous_id is not null then
    select a.user_id into v_user from crm.anonymous_ids a
    where a.project_id = p_project_id and a.anonymous_id = p_anonymous_id;
  end if;
  v_user := crm.apply_identity(p_project_id, v_user, p_anonymous_id, p_email, nullif(p_external_id, ''),
    p_name, crm.require_segment(p_segment), p_metadata::jsonb, true, true); -- a trusted backend vouches for both
  select * into v_row from crm.site_users u where u.project_id = p_project_id and u.id = v_user;
  return jsonb_build_object('user_id', v_row.id, 'email', v_row.email, 'external_id', v_row.external_id,
    'name', v_row.name, 'segment', v_row.segment, 'verified', v_row.verified, 'metadata', v_row.metadata);
end;
$$;
grant execute on function public.identify_site_user(uuid, text, text, text, text, json, uuid) to authenticated, service_role;
