// calculate_funnel_conversion(p_project_id, p_days): funnel steps with counts and drop-off,
// all computed by SQL.
import { asRows, callRpc, type RpcClient } from './rpc';
import { num, text } from './fields';
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

export function mapFunnelStep(row: Record<string, unknown>): FunnelStep {
  return {
    order: num(row, 'step_order') ?? 0,
    name: text(row, 'name') ?? '',
    users: num(row, 'users') ?? 0,
    pctOfFirst: num(row, 'pct_of_first'),
    dropOffUsers: num(row, 'drop_off'),
    dropOffPct: num(row, 'drop_off_pct'),
  };
}

export async function fetchFunnel(rpc: RpcClient, projectId: string, days = 30): Promise<FunnelStep[]> {
  return asRows(await callRpc(rpc, 'calculate_funnel_conversion', { p_project_id: projectId, p_days: days })).map(mapFunnelStep);
}

export function useFunnel(projectId: string | null, days = 30) {
  return useRpcQuery((rpc) => fetchFunnel(rpc, projectId as string, days), ['calculate_funnel_conversion', projectId, days], {
    enabled: !!projectId,
    refreshMs: 5 * 60_000,
    refreshOnReconnect: true,
  });
}
