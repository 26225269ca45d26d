// get_daily_active_users(p_project_id, p_days): the 30-day area chart.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';

export interface DailyActive {
  day: string;
  activeUsers: number;
}

export function mapDailyActive(row: RpcRow<'get_daily_active_users'>): DailyActive {
  // `day` is a SQL date: 'YYYY-MM-DD' as is.
  return { day: row.day ?? '', activeUsers: row.active_users ?? 0 };
}

export async function fetchDailyActiveUsers(rpc: RpcClient, projectId: string, days = 30): Promise<DailyActive[]> {
  return ((await callRpc(rpc, 'get_daily_active_users', { p_project_id: projectId, p_days: days })) ?? []).map(mapDailyActive);
}

export function useDailyActiveUsers(projectId: string | null, days = 30) {
  return useRpcQuery((rpc) => fetchDailyActiveUsers(rpc, projectId as string, days), ['get_daily_active_users', projectId, days], {
    enabled: !!projectId,
    refreshMs: 5 * 60_000,
    refreshOnReconnect: true,
  });
}
