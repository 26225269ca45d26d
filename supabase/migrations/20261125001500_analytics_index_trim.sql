-- Every event index costs crm.ingest an index insert. No query reads events by
-- session: get_site_user_detail finds a user's page views through
-- user_events (project_id, user_id, occurred_at) from the start of their 20th-last
-- session, so the session index of the analytics migration goes.
drop index crm.user_events_session_idx;
