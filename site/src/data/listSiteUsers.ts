// list_site_users(p_project_id, p_segment, p_search, p_limit, p_offset): the CRM list; each
// row carries total_count for paging (PostgREST counts only returned rows for RPCs).
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { SEGMENTS } from './enums';
import { useRpcQuery } from './query';

export interface SiteUserRow {
  id: string;
  name: string | null;
  email: string | null;
  segment: string | null;
  isOnline: boolean;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  sessionsCount: number | null;
  pageviewsCount: number | null;
}

export interface SiteUserPage {
  rows: SiteUserRow[];
  total: number;
}

export const PAGE_SIZE = 50;

/** The CRM's own segments (site_users.segment): the filter of list_site_users and export_site_users_csv. */
export const CRM_SEGMENTS = ['all', ...SEGMENTS] as const;
export type CrmSegmentFilter = (typeof CRM_SEGMENTS)[number];
export const crmSegmentParam = (f: CrmSegmentFilter): string | null => (f === 'all' ? null : f);

export function mapSiteUsers(rows: RpcRow<'list_site_users'>[]): SiteUserPage {
  return {
    rows: rows.map((r) => ({
      id: r.id ?? '',
      name: r.name,
      email: r.email,
      segment: r.segment,
      isOnline: r.is_online === true,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
      sessionsCount: r.sessions_count,
      pageviewsCount: r.pageviews_count,
    })),
    total: rows[0]?.total_count ?? 0,
  };
}

export interface SiteUsersQuery {
  segment: string | null;
  search: string;
  page: number;
}

export async function fetchSiteUsers(rpc: RpcClient, projectId: string, q: SiteUsersQuery): Promise<SiteUserPage> {
  const data = await callRpc(rpc, 'list_site_users', {
    p_project_id: projectId,
    p_segment: q.segment ?? undefined,
    p_search: q.search.trim() || undefined,
    p_limit: PAGE_SIZE,
    p_offset: q.page * PAGE_SIZE,
  });
  return mapSiteUsers(data ?? []);
}

export function useSiteUsers(projectId: string | null, q: SiteUsersQuery) {
  return useRpcQuery((rpc) => fetchSiteUsers(rpc, projectId as string, q), ['list_site_users', projectId, q], { enabled: !!projectId });
}
