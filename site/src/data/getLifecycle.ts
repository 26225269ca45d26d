// get_lifecycle(p_project_id, p_period, p_periods, p_filter): per week or month the new,
// returning, resurrecting and dormant users (dormant a positive count). It takes no range:
// the last p_periods periods, the current one last.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS } from './reportArgs';
import type { ReportFilter } from '../lib/reportUrl';
import type { RetentionPeriod } from './getRetentionCohorts';

export interface LifecyclePeriod {
  periodStart: string;
  newUsers: number;
  returningUsers: number;
  resurrectingUsers: number;
  dormantUsers: number;
  sampleRate: number;
}

export function mapLifecyclePeriod(row: RpcRow<'get_lifecycle'>): LifecyclePeriod {
  return {
    periodStart: row.period_start ?? '',
    newUsers: row.new_users ?? 0,
    returningUsers: row.returning_users ?? 0,
    resurrectingUsers: row.resurrecting_users ?? 0,
    dormantUsers: row.dormant_users ?? 0,
    sampleRate: row.sample_rate ?? 1,
  };
}

export interface LifecycleQuery {
  projectId: string;
  period: RetentionPeriod;
  filter: ReportFilter;
}

export async function fetchLifecycle(rpc: RpcClient, q: LifecycleQuery): Promise<LifecyclePeriod[]> {
  const data = await callRpc(rpc, 'get_lifecycle', { p_project_id: q.projectId, p_period: q.period, p_filter: { ...q.filter } });
  return (data ?? []).map(mapLifecyclePeriod);
}

export function useLifecycle(q: LifecycleQuery) {
  return useRpcQuery((rpc) => fetchLifecycle(rpc, q), ['get_lifecycle', q], { refreshMs: REPORT_REFRESH_MS, refreshOnReconnect: true });
}
