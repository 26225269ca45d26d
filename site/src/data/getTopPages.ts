// get_top_pages(p_project_id, p_from, p_to, p_filter, p_limit): per page (path normalised in
// SQL) views, visitors, entries, exits and the average time on it, with the previous range.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export interface TopPage {
  page: string;
  views: number;
  visitors: number;
  entries: number;
  exits: number;
  /** Seconds, one decimal; null when the page had no views in the range. */
  avgSeconds: number | null;
  prevViews: number;
  prevVisitors: number;
  /** visitors against the previous range in %, as SQL computes it; null when that had none. */
  visitorsChangePct: number | null;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

export function mapTopPage(row: RpcRow<'get_top_pages'>): TopPage {
  return {
    page: row.page ?? '',
    views: row.views ?? 0,
    visitors: row.visitors ?? 0,
    entries: row.entries ?? 0,
    exits: row.exits ?? 0,
    avgSeconds: row.avg_seconds ?? null,
    prevViews: row.prev_views ?? 0,
    prevVisitors: row.prev_visitors ?? 0,
    visitorsChangePct: row.visitors_change_pct ?? null,
    sampleRate: row.sample_rate ?? 1,
  };
}

export async function fetchTopPages(rpc: RpcClient, q: ReportQuery): Promise<TopPage[]> {
  return ((await callRpc(rpc, 'get_top_pages', reportArgs(q))) ?? []).map(mapTopPage);
}

export function useTopPages(q: ReportQuery | null) {
  return useRpcQuery((rpc) => fetchTopPages(rpc, q as ReportQuery), ['get_top_pages', q], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
