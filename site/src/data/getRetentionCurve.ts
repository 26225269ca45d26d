// get_retention_curve(…report contract): of the people first seen in the range, the share
// active again on day 1, 7, 14 and 30 (and any day after), with how many could be.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface CurvePoint {
  dayN: number;
  eligible: number;
  retained: number;
  retainedPct: number;
  sampleRate: number;
}

export function mapCurvePoint(row: RpcRow<'get_retention_curve'>): CurvePoint {
  return {
    dayN: row.day_n ?? 0,
    eligible: row.eligible ?? 0,
    retained: row.retained ?? 0,
    retainedPct: Number(row.retained_pct ?? 0),
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchRetentionCurve(rpc: RpcClient, q: ReportQuery): Promise<CurvePoint[]> {
  return ((await callRpc(rpc, 'get_retention_curve', reportArgs(q))) ?? []).map(mapCurvePoint);
}

export function useRetentionCurve(q: ReportQuery) {
  return useRpcQuery((rpc) => fetchRetentionCurve(rpc, q), ['get_retention_curve', q], { refreshMs: REPORT_REFRESH_MS, refreshOnReconnect: true });
}
