-- Analytics jobs (pg_cron, minute schedules: local pg_cron is 1.4). Each job's body
-- is `select crm.job_…()`, so pgTAP calls the function directly.
-- * crm-analytics-refresh   every 5 min: today's daily stats, funnel and metrics rollups
-- * crm-daily-stats-finalize nightly:    yesterday (and missing days of the last week)
-- * crm-segment-upkeep       nightly:    identified users without activity for
--                                        churn_after_days days become 'churned'
-- * crm-analytics-retention  nightly, after core's crm-retention-purge (events,
--                            sessions, partitions): site users not seen within the
--                            project's retention_days, and older daily stats

/** Every 5 minutes: per project, today's crm.daily_user_stats row, the funnel and metrics rollups. Returns the number of projects. */
create function crm.job_refresh_analytics() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_project uuid;
  v_count integer := 0;
begin
  for v_project in select p.id from crm.projects p order by p.id loop
    perform crm.store_daily_stats(v_project, crm.utc_today());
    perform crm.refresh_funnel_rollup(v_project);
    perform crm.refresh_metrics_rollup(v_project);
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
revoke execute on function crm.job_refresh_analytics() from public;

/**
 * Nightly: finalises yesterday's crm.daily_user_stats of every project, and fills days
 * of the last 7 that have no row yet (a missed night). Returns the number of rows written.
 */
create function crm.job_finalize_daily_stats() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_row record;
  v_count integer := 0;
begin
  for v_row in
    select p.id, g.day::date as day
    from crm.projects p
    cross join generate_series(crm.utc_today() - 7, crm.utc_today() - 1, interval '1 day') g(day)
    where (g.day::date = crm.utc_today() - 1
           or not exists (select from crm.daily_user_stats d where d.project_id = p.id and d.day = g.day::date))
    order by p.id, g.day
  loop
    perform crm.store_daily_stats(v_row.id, v_row.day);
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;
revoke execute on function crm.job_finalize_daily_stats() from public;

/**
 * Nightly segment upkeep: identified users (segment user, trial or premium) whose last
 * activity is more than the project's churn_after_days (default 14) ago become
 * 'churned'; their previous segment is kept in metadata.churned_from. An identify with a
 * segment brings them back. Returns the number of users changed.
 */
create function crm.job_segment_upkeep() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  update crm.site_users u
  set segment = 'churned',
      metadata = u.metadata || jsonb_build_object('churned_from', u.segment),
      updated_at = now()
  from crm.projects p
  where u.project_id = p.id
    and u.segment in ('user', 'trial', 'premium')
    and u.last_seen_at < now() - make_interval(days => crm.project_setting_int(p.id, 'churn_after_days'));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
revoke execute on function crm.job_segment_upkeep() from public;

/**
 * Nightly, after core's crm.job_retention_purge (events, ended sessions, partitions):
 * per project, deletes site users not seen within settings.retention_days (default
 * 395) — with their anonymous ids and any sessions left — and daily stats of days
 * before it. Returns {users, daily_stats}.
 */
create function crm.job_analytics_retention() returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_users bigint;
  v_days bigint;
begin
  with p as (
    select p.id, now() - make_interval(days => crm.project_setting_int(p.id, 'retention_days')) as cutoff
    from crm.projects p
  )
  delete from crm.site_users u using p
  where u.project_id = p.id and u.last_seen_at < p.cutoff
    and not exists (select from crm.site_sessions s where s.project_id = u.project_id and s.user_id = u.id and s.is_online);
  get diagnostics v_users = row_count;

  with p as (
    select p.id, now() - make_interval(days => crm.project_setting_int(p.id, 'retention_days')) as cutoff
    from crm.projects p
  )
  delete from crm.daily_user_stats d using p
  where d.project_id = p.id and d.day < (p.cutoff at time zone 'UTC')::date;
  get diagnostics v_days = row_count;

  return jsonb_build_object('users', v_users, 'daily_stats', v_days);
end;
$$;
revoke execute on function crm.job_analytics_retention() from public;

-- The schedule (crm.schedule_job: only where pg_cron lives).
select crm.schedule_job('crm-analytics-refresh', '*/5 * * * *', 'select crm.job_refresh_analytics()');
select crm.schedule_job('crm-daily-stats-finalize', '10 0 * * *', 'select crm.job_finalize_daily_stats()');
select crm.schedule_job('crm-segment-upkeep', '20 0 * * *', 'select crm.job_segment_upkeep()');
select crm.schedule_job('crm-analytics-retention', '40 3 * * *', 'select crm.job_analytics_retention()');
