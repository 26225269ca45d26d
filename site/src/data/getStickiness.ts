// get_stickiness(…report contract): per day the users active that day, in the 7 and the 30
// days ending it, and DAU/MAU in % (SQL's division).
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface StickinessDay {
  day: string;
  dau: number;
  wau: number;
  mau: number;
  dauMauPct: number;
  sampleRate: number;
}

export function mapStickinessDay(row: RpcRow<'get_stickiness'>): StickinessDay {
  return {
    day: row.day ?? '',
    dau: row.dau ?? 0,
    wau: row.wau ?? 0,
    mau: row.mau ?? 0,
    dauMauPct: Number(row.dau_mau_pct ?? 0),
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchStickiness(rpc: RpcClient, q: ReportQuery): Promise<StickinessDay[]> {
  return ((await callRpc(rpc, 'get_stickiness', reportArgs(q))) ?? []).map(mapStickinessDay);
}

export function useStickiness(q: ReportQuery) {
  return useRpcQuery((rpc) => fetchStickiness(rpc, q), ['get_stickiness', q], { refreshMs: REPORT_REFRESH_MS, refreshOnReconnect: true });
}
