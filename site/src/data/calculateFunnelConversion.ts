// calculate_funnel_conversion(p_project_id, p_days): funnel steps with counts and drop-off,
// all computed by SQL.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';

export interface FunnelStep {
  order: number;
  name: string;
  users: number;
  pctOfFirst: number | null;
  /** Users lost since the previous step (a count, as the SQL returns it). */
  dropOffUsers: number | null;
  /** Drop-off in % (drop_off_pct: 100 − pct_of_previous, 0 for step 1). */
  dropOffPct: number | null;
}

export function mapFunnelStep(row: RpcRow<'calculate_funnel_conversion'>): FunnelStep {
  return {
    order: row.step_order ?? 0,
    name: row.name ?? '',
    users: row.users ?? 0,
    pctOfFirst: row.pct_of_first,
    dropOffUsers: row.drop_off,
    dropOffPct: row.drop_off_pct,
  };
}

export async function fetchFunnel(rpc: RpcClient, projectId: string, days = 30): Promise<FunnelStep[]> {
  return ((await callRpc(rpc, 'calculate_funnel_conversion', { p_project_id: projectId, p_days: days })) ?? []).map(mapFunnelStep);
}

export function useFunnel(projectId: string | null, days = 30) {
  return useRpcQuery((rpc) => fetchFunnel(rpc, projectId as string, days), ['calculate_funnel_conversion', projectId, days], {
    enabled: !!projectId,
    refreshMs: 5 * 60_000,
    refreshOnReconnect: true,
  });
}
