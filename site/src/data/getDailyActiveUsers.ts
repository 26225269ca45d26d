// get_daily_active_users(p_project_id, p_from, p_to, p_filter): the daily chart of the page's
// range and filters, each day with the same day of the previous range beside.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface DailyActive {
  day: string;
  activeUsers: number;
  /** The day at the same position in the previous range of equal length (day − its length). */
  prevDay: string;
  prevActiveUsers: number;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapDailyActive(row: RpcRow<'get_daily_active_users'>): DailyActive {
  // `day` and `prev_day` are SQL dates: 'YYYY-MM-DD' as is.
  return {
    day: row.day ?? '',
    activeUsers: row.active_users ?? 0,
    prevDay: row.prev_day ?? '',
    prevActiveUsers: row.prev_active_users ?? 0,
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchDailyActiveUsers(rpc: RpcClient, q: ReportQuery): Promise<DailyActive[]> {
  return ((await callRpc(rpc, 'get_daily_active_users', reportArgs(q))) ?? []).map(mapDailyActive);
}

export function useDailyActiveUsers(q: ReportQuery | null) {
  return useRpcQuery((rpc) => fetchDailyActiveUsers(rpc, q as ReportQuery), ['get_daily_active_users', q], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
