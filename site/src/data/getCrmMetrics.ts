// get_crm_metrics(p_project_id): the four metric cards with their week-over-week change.
import { asRow, callRpc, type RpcClient } from './rpc';
import { num } from './fields';
import { useRpcQuery } from './query';

export const METRIC_KEYS = ['total_users', 'online_now', 'new_this_week', 'churn_rate'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface Metric {
  value: number | null;
  lastWeek: number | null;
  /** Week-over-week change in % as the RPC computed it (null when it cannot be computed). */
  change: number | null;
}

export type CrmMetrics = Record<MetricKey, Metric>;

export const METRICS_REFRESH_MS = 30_000;

export function mapMetrics(row: Record<string, unknown> | null): CrmMetrics {
  const r = row ?? {};
  const metric = (k: MetricKey): Metric => ({
    value: num(r, k),
    lastWeek: num(r, `${k}_last_week`),
    change: num(r, `${k}_change`, `${k}_change_pct`),
  });
  return {
    total_users: metric('total_users'),
    online_now: metric('online_now'),
    new_this_week: metric('new_this_week'),
    churn_rate: metric('churn_rate'),
  };
}

export async function fetchCrmMetrics(rpc: RpcClient, projectId: string): Promise<CrmMetrics> {
  return mapMetrics(asRow(await callRpc(rpc, 'get_crm_metrics', { p_project_id: projectId })));
}

export function useCrmMetrics(projectId: string | null) {
  return useRpcQuery((rpc) => fetchCrmMetrics(rpc, projectId as string), ['get_crm_metrics', projectId], {
    enabled: !!projectId,
    refreshMs: METRICS_REFRESH_MS,
    refreshOnReconnect: true,
  });
}
