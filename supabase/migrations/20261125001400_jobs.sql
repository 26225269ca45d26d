-- pg_cron jobs: every job of the project, its function and its schedule. Each job's
-- body is `select crm.job_…()`, so pgTAP calls the function directly. Minute schedules
-- only (pg_cron 1.4 locally).
--
-- | job                        | when        | what |
-- | crm-close-sessions         | every min   | offline, ended, idle sessions |
-- | crm-detect-stuck           | every min   | stuck sessions |
-- | crm-analytics-refresh      | every 5 min | today's daily stats, funnel and metrics rollups |
-- | crm-daily-stats-finalize   | 00:10 UTC   | yesterday's daily stats (and missed days) |
-- | crm-segment-upkeep         | 00:20 UTC   | identified users without activity become churned |
-- | crm-partition-upkeep       | 03:10 UTC   | event partitions three months ahead |
-- | crm-retention-purge        | 03:20 UTC   | events and ended sessions past retention |
-- | crm-housekeeping           | 03:30 UTC   | broadcasts, cron history, rate limits, health counters, expired invitations |
-- | crm-analytics-retention    | 03:40 UTC   | site users and daily stats past retention |

/**
 * Every minute: sessions without activity for the online window go offline; those
 * idle past the session timeout end (ended_at = last activity); online sessions
 * without activity for 60 s are marked idle. Returns {offline, ended, idle}.
 */
create function crm.job_close_sessions() returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_offline integer;
  v_ended integer;
  v_idle integer;
begin
  with p as (
    select p.id,
           make_interval(mins => crm.project_setting_int(p.id, 'online_window_minutes')) as online_window,
           make_interval(mins => crm.project_setting_int(p.id, 'session_timeout_minutes')) as timeout
    from crm.projects p
  )
  update crm.site_sessions s
  set is_online = false, is_stuck = false, is_idle = false,
      ended_at = case when s.last_activity_at < now() - p.timeout then s.last_activity_at else s.ended_at end
  from p
  where s.project_id = p.id and s.is_online and s.last_activity_at < now() - p.online_window;
  get diagnostics v_offline = row_count;

  with p as (
    select p.id,
           make_interval(mins => crm.project_setting_int(p.id, 'session_timeout_minutes')) as timeout
    from crm.projects p
  )
  update crm.site_sessions s
  set ended_at = s.last_activity_at
  from p
  where s.project_id = p.id and s.ended_at is null and not s.is_online and s.last_activity_at < now() - p.timeout;
  get diagnostics v_ended = row_count;

  update crm.site_sessions s
  set is_idle = true
  where s.is_online and not s.is_idle and s.last_activity_at < now() - interval '60 seconds';
  get diagnostics v_idle = row_count;

  return jsonb_build_object('offline', v_offline, 'ended', v_ended, 'idle', v_idle);
end;
$$;
revoke execute on function crm.job_close_sessions() from public;

/**
 * Every minute: marks active sessions (activity in the last 60 s) that have been on
 * the same page longer than settings.stuck_after_minutes as stuck (broadcast once;
 * a page change clears it). Returns how many became stuck.
 */
create function crm.job_detect_stuck() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  with p as (
    select p.id,
           make_interval(mins => crm.project_setting_int(p.id, 'stuck_after_minutes')) as stuck_after
    from crm.projects p
  )
  update crm.site_sessions s
  set is_stuck = true
  from p
  where s.project_id = p.id and s.is_online and not s.is_stuck
    and s.last_activity_at >= now() - interval '60 seconds'
    and coalesce(s.current_page_since, s.started_at) < now() - p.stuck_after;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
revoke execute on function crm.job_detect_stuck() from public;

/** Nightly: monthly partitions of crm.user_events three months ahead. Returns how many were created. */
create function crm.job_partition_upkeep() returns integer
language sql
set search_path = ''
as $$
  select crm.ensure_event_partitions(3)
$$;
revoke execute on function crm.job_partition_upkeep() from public;

/**
 * Nightly: deletes events and ended sessions older than each project's
 * settings.retention_days, drops monthly partitions older than every project's
 * retention, and forgets dedupe ids older than 3 days. Returns the counts.
 */
create function crm.job_retention_purge() returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_events bigint;
  v_sessions bigint;
  v_dedupe bigint;
  v_dropped integer := 0;
  v_oldest_kept timestamptz;
  v_part record;
begin
  with p as (
    select p.id, now() - make_interval(days => crm.project_setting_int(p.id, 'retention_days')) as cutoff
    from crm.projects p
  )
  delete from crm.user_events e using p where e.project_id = p.id and e.occurred_at < p.cutoff;
  get diagnostics v_events = row_count;

  with p as (
    select p.id, now() - make_interval(days => crm.project_setting_int(p.id, 'retention_days')) as cutoff
    from crm.projects p
  )
  delete from crm.site_sessions s using p where s.project_id = p.id and s.ended_at < p.cutoff;
  get diagnostics v_sessions = row_count;

  delete from crm.event_dedupe d where d.received_at < now() - interval '3 days';
  get diagnostics v_dedupe = row_count;

  select min(now() - make_interval(days => crm.project_setting_int(p.id, 'retention_days')))
    into v_oldest_kept from crm.projects p;
  for v_part in
    select c.relname, to_date(substr(c.relname, 13), 'YYYY_MM') as month
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'crm.user_events'::regclass and c.relname ~ '^user_events_\d{4}_\d{2}$'
  loop
    if v_oldest_kept is not null and v_part.month + interval '1 month' < v_oldest_kept then
      execute format('drop table crm.%I', v_part.relname);
      v_dropped := v_dropped + 1;
    end if;
  end loop;

  return jsonb_build_object('events', v_events, 'sessions', v_sessions, 'dedupe_ids', v_dedupe,
    'partitions_dropped', v_dropped);
end;
$$;
revoke execute on function crm.job_retention_purge() from public;

/**
 * Nightly: deletes broadcast rows older than a day from realtime.messages (hosted
 * Realtime also drops its own daily partitions), pg_cron run details older than
 * 7 days, rate-limit windows older than an hour and ingest-health counters older than
 * 8 days (get_ingest_health reads at most a week). Returns the counts.
 */
create function crm.job_housekeeping() returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_messages bigint := 0;
  v_runs bigint := 0;
  v_limits bigint;
  v_counters bigint;
  v_invitations bigint;
begin
  begin
    delete from realtime.messages m where m.inserted_at < now() - interval '1 day';
    get diagnostics v_messages = row_count;
  exception when insufficient_privilege then
    raise notice 'crm.job_housekeeping: no privilege to clean realtime.messages';
  end;
  if to_regclass('cron.job_run_details') is not null then
    execute 'delete from cron.job_run_details where end_time < now() - interval ''7 days''';
    get diagnostics v_runs = row_count;
  end if;
  delete from crm.rate_limits r where r.window_start < now() - interval '1 hour';
  get diagnostics v_limits = row_count;
  delete from crm.ingest_counters c where c.hour < now() - interval '8 days';
  get diagnostics v_counters = row_count;
  -- an expired invitation can be neither accepted nor listed; an owner invites again
  delete from crm.invitations i where i.expires_at < now();
  get diagnostics v_invitations = row_count;
  return jsonb_build_object('realtime_messages', v_messages, 'cron_run_details', v_runs, 'rate_limits', v_limits,
    'ingest_counters', v_counters, 'invitations', v_invitations);
end;
$$;
revoke execute on function crm.job_housekeeping() from public;

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
 * Nightly, after crm.job_retention_purge (events, ended sessions, partitions):
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

/**
 * Schedules (or reschedules) the named pg_cron job — where pg_cron lives: one database
 * per cluster (cron.database_name). In any other database (e.g. a benchmark's) the job
 * functions exist but nothing is scheduled, with a notice saying so.
 */
create function crm.schedule_job(p_name text, p_schedule text, p_command text) returns void
language plpgsql
set search_path = ''
as $$
begin
  if current_database() <> coalesce(current_setting('cron.database_name', true), 'postgres') then
    raise notice 'pg_cron runs in database %, not here: job % not scheduled',
      coalesce(current_setting('cron.database_name', true), 'postgres'), p_name;
    return;
  end if;
  create extension if not exists pg_cron with schema pg_catalog; -- as Supabase documents it
  perform cron.schedule(p_name, p_schedule, p_command);
end;
$$;
revoke execute on function crm.schedule_job(text, text, text) from public;

select crm.schedule_job('crm-close-sessions', '* * * * *', 'select crm.job_close_sessions()');
select crm.schedule_job('crm-detect-stuck', '* * * * *', 'select crm.job_detect_stuck()');
select crm.schedule_job('crm-partition-upkeep', '10 3 * * *', 'select crm.job_partition_upkeep()');
select crm.schedule_job('crm-retention-purge', '20 3 * * *', 'select crm.job_retention_purge()');
select crm.schedule_job('crm-housekeeping', '30 3 * * *', 'select crm.job_housekeeping()');
select crm.schedule_job('crm-analytics-refresh', '*/5 * * * *', 'select crm.job_refresh_analytics()');
select crm.schedule_job('crm-daily-stats-finalize', '10 0 * * *', 'select crm.job_finalize_daily_stats()');
select crm.schedule_job('crm-segment-upkeep', '20 0 * * *', 'select crm.job_segment_upkeep()');
select crm.schedule_job('crm-analytics-retention', '40 3 * * *', 'select crm.job_analytics_retention()');
