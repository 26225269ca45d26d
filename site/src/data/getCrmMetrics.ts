// get_crm_metrics: the metric cards. Called with the project only: the four weekly cards with
// their week-over-week change; with a range and filter (the report contract): the range's
// visitors, signups… against the previous range of equal length.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';
import { useCrmChannel, useReloadOnEvents } from './realtime';
import { EVENTS } from './realtimeEvents';

export const METRIC_KEYS = ['total_users', 'online_now', 'new_this_week', 'churn_rate'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface Metric {
  value: number | null;
  lastWeek: number | null;
  /**
   * Week-over-week change as the RPC computed it (null when it cannot be computed): in %
   * of last week's figure, or for a rate (churn) in percentage points ('pp').
   */
  change: number | null;
  changeUnit: '%' | 'pp';
}

export type CrmMetrics = Record<MetricKey, Metric>;

export const METRICS_REFRESH_MS = 30_000;
/** Online Now follows sessions starting and ending, at most one reload per this many ms. */
export const METRICS_LIVE_DEBOUNCE_MS = 2_000;
const LIVE_EVENTS = [EVENTS.sessionStarted, EVENTS.sessionEnded];

/**
 * get_crm_metrics returns one row per metric {metric, value, last_week, change, change_pct};
 * the cards show change_pct, except for churn_rate, itself a percentage, whose change is
 * shown in percentage points (3 % → 4.5 % is +1.5 pp, not +50 %). A metric without a row
 * reads as nulls.
 */
export function mapMetrics(rows: RpcRow<'get_crm_metrics'>[]): CrmMetrics {
  const byMetric = new Map(rows.map((r) => [r.metric, r]));
  const metric = (k: MetricKey): Metric => {
    const r = byMetric.get(k);
    const [value, lastWeek] = [r?.value ?? null, r?.last_week ?? null];
    return k === 'churn_rate'
      ? { value, lastWeek, change: r?.change ?? null, changeUnit: 'pp' }
      : { value, lastWeek, change: r?.change_pct ?? null, changeUnit: '%' };
  };
  return {
    total_users: metric('total_users'),
    online_now: metric('online_now'),
    new_this_week: metric('new_this_week'),
    churn_rate: metric('churn_rate'),
  };
}

export async function fetchCrmMetrics(rpc: RpcClient, projectId: string): Promise<CrmMetrics> {
  return mapMetrics((await callRpc(rpc, 'get_crm_metrics', { p_project_id: projectId })) ?? []);
}

export function useCrmMetrics(projectId: string | null) {
  const query = useRpcQuery((rpc) => fetchCrmMetrics(rpc, projectId as string), ['get_crm_metrics', projectId], {
    enabled: !!projectId,
    refreshMs: METRICS_REFRESH_MS,
    refreshOnReconnect: true,
  });
  useCrmChannel(projectId);
  useReloadOnEvents(LIVE_EVENTS, query.reload, METRICS_LIVE_DEBOUNCE_MS);
  return query;
}

export const RANGE_METRIC_KEYS = ['visitors', 'new_visitors', 'sessions', 'signups', 'paying'] as const;
export type RangeMetricKey = (typeof RANGE_METRIC_KEYS)[number];

export interface RangeMetric {
  value: number | null;
  /** The same figure in the previous range of equal length. */
  previous: number | null;
  /** value against previous in %, as SQL computes it; null when previous is 0. */
  changePct: number | null;
}

export interface RangeMetrics {
  metrics: Record<RangeMetricKey, RangeMetric>;
  /** The share of the users SQL read: 1 exact, below 1 a sample (counts scaled). */
  sampleRate: number;
}

/** The rows of get_crm_metrics with a range, matched by metric name; a metric without a row reads as nulls. */
export function mapRangeMetrics(rows: RpcRow<'get_crm_metrics'>[]): RangeMetrics {
  const byMetric = new Map(rows.map((r) => [r.metric, r]));
  const metrics = Object.fromEntries(
    RANGE_METRIC_KEYS.map((k) => {
      const r = byMetric.get(k);
      return [k, { value: r?.value ?? null, previous: r?.previous ?? null, changePct: r?.change_pct ?? null }];
    }),
  ) as Record<RangeMetricKey, RangeMetric>;
  return { metrics, sampleRate: rows[0]?.sample_rate ?? 1 };
}

export async function fetchRangeMetrics(rpc: RpcClient, q: ReportQuery): Promise<RangeMetrics> {
  return mapRangeMetrics((await callRpc(rpc, 'get_crm_metrics', reportArgs(q))) ?? []);
}

/** Like the other reports, read from data the 5-minute job keeps: no live reloads. */
export function useRangeMetrics(q: ReportQuery | null) {
  return useRpcQuery((rpc) => fetchRangeMetrics(rpc, q as ReportQuery), ['get_crm_metrics', q], {
    enabled: !!q,
    refreshMs: REPORT_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
