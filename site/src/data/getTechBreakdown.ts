// get_tech_breakdown(p_project_id, p_from, p_to, p_filter, p_dimension, p_limit): visitors per
// device type, browser or OS.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export type TechDimension = 'device' | 'browser' | 'os';

export interface TechRow {
  value: string | null;
  visitors: number;
  sessions: number;
  prevVisitors: number;
  /** visitors against the previous range in %, as SQL computes it; null when that had none. */
  visitorsChangePct: number | null;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapTechRow(row: RpcRow<'get_tech_breakdown'>): TechRow {
  return { value: row.value, visitors: row.visitors ?? 0, sessions: row.sessions ?? 0, prevVisitors: row.prev_visitors ?? 0, visitorsChangePct: row.visitors_change_pct ?? null,
    sampleRate: row.sample_rate ?? 1 };
}

export async function fetchTechBreakdown(rpc: RpcClient, q: ReportQuery, dimension: TechDimension): Promise<TechRow[]> {
  return ((await callRpc(rpc, 'get_tech_breakdown', { ...reportArgs(q), p_dimension: dimension })) ?? []).map(mapTechRow);
}

export function useTechBreakdown(q: ReportQuery | null, dimension: TechDimension) {
  return useRpcQuery((rpc) => fetchTechBreakdown(rpc, q as ReportQuery, dimension), ['get_tech_breakdown', q, dimension], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
