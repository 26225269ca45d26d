// get_geo_breakdown(p_project_id, p_from, p_to, p_filter, p_limit): visitors per country (ISO alpha-2).
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface GeoRow {
  /** ISO 3166-1 alpha-2, null = unknown. */
  country: string | null;
  visitors: number;
  sessions: number;
  conversions: number;
  prevVisitors: number;
  /** visitors against the previous range in %, as SQL computes it; null when that had none. */
  visitorsChangePct: number | null;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapGeoRow(row: RpcRow<'get_geo_breakdown'>): GeoRow {
  return {
    country: row.country,
    visitors: row.visitors ?? 0,
    sessions: row.sessions ?? 0,
    conversions: row.conversions ?? 0,
    prevVisitors: row.prev_visitors ?? 0,
    visitorsChangePct: row.visitors_change_pct ?? null,
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchGeoBreakdown(rpc: RpcClient, q: ReportQuery): Promise<GeoRow[]> {
  return ((await callRpc(rpc, 'get_geo_breakdown', reportArgs(q))) ?? []).map(mapGeoRow);
}

export function useGeoBreakdown(q: ReportQuery | null) {
  return useRpcQuery((rpc) => fetchGeoBreakdown(rpc, q as ReportQuery), ['get_geo_breakdown', q], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
