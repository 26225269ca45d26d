-- Ingest honours erasure: a visitor erased on request (crm.erased_ids, kept by
-- public.delete_site_user in the privacy migration) is refused by crm.ingest, every
-- event with reason `erased`, so a replayed offline queue cannot bring them back.

/** Is this anonymous visitor refused by ingest? True when it was erased on request. */
create or replace function crm.ingest_is_erased(p_project_id uuid, p_anonymous_id uuid) returns boolean
language sql stable
as $$
  select exists (select from crm.erased_ids x where x.project_id = p_project_id and x.anonymous_id = p_anonymous_id)
$$;
revoke execute on function crm.ingest_is_erased(uuid, uuid) from public;
