// get_site_user_detail(p_project_id, p_user_id): {user, sessions} — the profile and the last
// sessions with their pages.
import { asRow, callRpc, type RpcClient } from './rpc';
import { list, num, obj, text } from './fields';
import { useRpcQuery } from './query';

export interface UserProfile {
  id: string;
  name: string | null;
  email: string | null;
  externalId: string | null;
  segment: string | null;
  verified: boolean;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  sessionsCount: number | null;
  pageviewsCount: number | null;
  metadata: Record<string, unknown>;
}

export interface PageVisit {
  path: string;
  enteredAt: string | null;
  secondsOnPage: number | null;
}

export interface UserSession {
  id: string;
  startedAt: string | null;
  durationSeconds: number | null;
  deviceType: string | null;
  browser: string | null;
  pages: PageVisit[];
}

export interface SiteUserDetail {
  profile: UserProfile;
  sessions: UserSession[];
}

export function mapUserDetail(data: Record<string, unknown>): SiteUserDetail {
  const p = obj(data, 'user');
  return {
    profile: {
      id: text(p, 'id') ?? '',
      name: text(p, 'name'),
      email: text(p, 'email'),
      externalId: text(p, 'external_id'),
      segment: text(p, 'segment'),
      verified: p.verified === true,
      firstSeenAt: text(p, 'first_seen_at'),
      lastSeenAt: text(p, 'last_seen_at'),
      sessionsCount: num(p, 'sessions_count'),
      pageviewsCount: num(p, 'pageviews_count'),
      metadata: obj(p, 'metadata'),
    },
    sessions: list(data, 'sessions').map((s) => ({
      id: text(s, 'id') ?? '',
      startedAt: text(s, 'started_at'),
      durationSeconds: num(s, 'duration_seconds'),
      deviceType: text(s, 'device_type'),
      browser: text(s, 'browser'),
      pages: list(s, 'pages').map((pg) => ({
        path: text(pg, 'path') ?? '',
        enteredAt: text(pg, 'entered_at'),
        secondsOnPage: num(pg, 'seconds'),
      })),
    })),
  };
}

export async function fetchSiteUserDetail(rpc: RpcClient, projectId: string, userId: string): Promise<SiteUserDetail> {
  const row = asRow(await callRpc(rpc, 'get_site_user_detail', { p_project_id: projectId, p_user_id: userId }));
  if (!row) throw new Error('not found');
  return mapUserDetail(row);
}

export function useSiteUserDetail(projectId: string | null, userId: string | null) {
  return useRpcQuery((rpc) => fetchSiteUserDetail(rpc, projectId as string, userId as string), ['get_site_user_detail', projectId, userId], {
    enabled: !!projectId && !!userId,
  });
}
