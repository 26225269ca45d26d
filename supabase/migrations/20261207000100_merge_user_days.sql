-- A merge keeps the user-days right: the merged user's events and first-seen time move
-- before the sessions do, so the days the sessions' move rebuilds count their funnel
-- steps and custom events, and mark the right first day; a first-seen time that moves
-- re-marks the user's other days.

/**
 * Moves everything of site user p_from into p_into (sessions, events, anonymous ids,
 * counters; missing name and metadata keys) and deletes p_from. Nothing is lost. The
 * sessions move last: their move rebuilds both users' days (crm.site_sessions_user_days),
 * which reads the events and first-seen time already moved.
 */
create or replace function crm.merge_site_users(p_project_id uuid, p_from uuid, p_into uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_from = p_into then
    return;
  end if;
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
  update crm.site_sessions s set user_id = p_into where s.project_id = p_project_id and s.user_id = p_from;
  delete from crm.site_users u where u.project_id = p_project_id and u.id = p_from;
end;
$$;
revoke execute on function crm.merge_site_users(uuid, uuid, uuid) from public;

/** Trigger: a user's first-seen day moved, so which of their days is the first one did too. */
create function crm.site_users_first_day() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update crm.user_days d set new_user = d.day = (new.first_seen_at at time zone 'UTC')::date
  where d.project_id = new.project_id and d.user_id = new.id and d.sample = crm.sample_bucket(new.id)
    and d.new_user is distinct from (d.day = (new.first_seen_at at time zone 'UTC')::date);
  return null;
end;
$$;

create trigger site_users_first_day
  after update of first_seen_at on crm.site_users
  -- ingest sets first_seen_at on every batch, mostly to the same value: that test is first
  for each row when (old.first_seen_at is distinct from new.first_seen_at
                     and (old.first_seen_at at time zone 'UTC')::date is distinct from (new.first_seen_at at time zone 'UTC')::date)
  execute function crm.site_users_first_day();
