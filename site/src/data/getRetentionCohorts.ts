// get_retention_cohorts(…report contract, p_period, p_cohorts, p_start_event, p_return_event):
// per cohort (week or month of a user's start) its size and, per period offset k, how many
// came back and their share — SQL counts; the page draws them as a triangle.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { REPORT_REFRESH_MS, reportArgs, type ReportQuery } from './reportArgs';

export type RetentionPeriod = 'week' | 'month';

export interface RetentionChoice {
  period: RetentionPeriod;
  /** A funnel event name; null = the first visit (start) / any activity (return). */
  startEvent: string | null;
  returnEvent: string | null;
}

export interface Cohort {
  cohortStart: string;
  size: number;
  retained: number[];
  retainedPct: number[];
  sampleRate: number;
}

export const nums = (a: (number | null)[] | null): number[] => (a ?? []).map((n) => Number(n ?? 0));

export function mapCohort(row: RpcRow<'get_retention_cohorts'>): Cohort {
  return {
    cohortStart: row.cohort_start ?? '',
    size: row.cohort_size ?? 0,
    retained: nums(row.retained),
    retainedPct: nums(row.retained_pct),
    sampleRate: row.sample_rate ?? 1,
  };
}

export const cohortArgs = (q: ReportQuery, c: RetentionChoice) => ({
  ...reportArgs(q),
  p_period: c.period,
  // null = SQL's default (first visit / any activity): left out so the default applies.
  p_start_event: c.startEvent ?? undefined,
  p_return_event: c.returnEvent ?? undefined,
});

export async function fetchRetentionCohorts(rpc: RpcClient, q: ReportQuery, c: RetentionChoice): Promise<Cohort[]> {
  return ((await callRpc(rpc, 'get_retention_cohorts', cohortArgs(q, c))) ?? []).map(mapCohort);
}

export function useRetentionCohorts(q: ReportQuery, c: RetentionChoice) {
  return useRpcQuery((rpc) => fetchRetentionCohorts(rpc, q, c), ['get_retention_cohorts', q, c], { refreshMs: REPORT_REFRESH_MS, refreshOnReconnect: true });
}
