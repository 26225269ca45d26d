// get_traffic_sources(p_project_id, p_from, p_to, p_filter, p_dimension, p_limit): visitors,
// sessions, signups and paying users per channel / source / campaign, with the previous range's.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export type SourceDimension = 'channel' | 'source' | 'referrer' | 'utm_source' | 'utm_medium' | 'utm_campaign';

export interface TrafficSource {
  /** null = none (no referrer / no UTM tag), as SQL says. */
  value: string | null;
  visitors: number;
  sessions: number;
  signups: number;
  paying: number;
  prevVisitors: number;
  /** visitors against the previous range in %, as SQL computes it; null when that had none. */
  visitorsChangePct: number | null;
  prevSignups: number;
  prevPaying: number;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapTrafficSource(row: RpcRow<'get_traffic_sources'>): TrafficSource {
  return {
    value: row.value,
    visitors: row.visitors ?? 0,
    sessions: row.sessions ?? 0,
    signups: row.signups ?? 0,
    paying: row.paying ?? 0,
    prevVisitors: row.prev_visitors ?? 0,
    visitorsChangePct: row.visitors_change_pct ?? null,
    prevSignups: row.prev_signups ?? 0,
    prevPaying: row.prev_paying ?? 0,
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchTrafficSources(rpc: RpcClient, q: ReportQuery, dimension: SourceDimension): Promise<TrafficSource[]> {
  return ((await callRpc(rpc, 'get_traffic_sources', { ...reportArgs(q), p_dimension: dimension })) ?? []).map(mapTrafficSource);
}

export function useTrafficSources(q: ReportQuery | null, dimension: SourceDimension) {
  return useRpcQuery((rpc) => fetchTrafficSources(rpc, q as ReportQuery, dimension), ['get_traffic_sources', q, dimension], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
