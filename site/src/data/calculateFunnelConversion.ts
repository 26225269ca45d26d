// calculate_funnel_conversion(p_project_id, p_from, p_to, p_filter): funnel steps of the page's
// range and filters with counts, drop-off and the previous range's users, all computed by SQL.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface FunnelStep {
  order: number;
  name: string;
  users: number;
  pctOfFirst: number | null;
  /** Users lost since the previous step (a count, as the SQL returns it). */
  dropOffUsers: number | null;
  /** Drop-off in % (drop_off_pct: 100 − pct_of_previous, 0 for step 1). */
  dropOffPct: number | null;
  /** The step's users in the previous range of equal length. */
  prevUsers: number;
  /** users against prevUsers in %, as SQL computes it; null when the previous range had none. */
  usersChangePct: number | null;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapFunnelStep(row: RpcRow<'calculate_funnel_conversion'>): FunnelStep {
  return {
    order: row.step_order ?? 0,
    name: row.name ?? '',
    users: row.users ?? 0,
    pctOfFirst: row.pct_of_first,
    dropOffUsers: row.drop_off,
    dropOffPct: row.drop_off_pct,
    prevUsers: row.prev_users ?? 0,
    usersChangePct: row.users_change_pct ?? null,
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchFunnel(rpc: RpcClient, q: ReportQuery): Promise<FunnelStep[]> {
  return ((await callRpc(rpc, 'calculate_funnel_conversion', reportArgs(q))) ?? []).map(mapFunnelStep);
}

export function useFunnel(q: ReportQuery | null) {
  return useRpcQuery((rpc) => fetchFunnel(rpc, q as ReportQuery), ['calculate_funnel_conversion', q], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
