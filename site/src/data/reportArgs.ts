// What every acquisition report RPC takes first (supabase/API.md, "The report filter contract").
import { resolveRange, todayUtc, type ReportFilter, type ReportState } from '../lib/reportUrl';

export interface ReportQuery {
  projectId: string;
  from: string;
  to: string;
  filter: ReportFilter;
}

export const reportArgs = (q: ReportQuery) => ({ p_project_id: q.projectId, p_from: q.from, p_to: q.to, p_filter: { ...q.filter } });

/** Reports are rebuilt by a job every 5 minutes (crm.user_days): refreshing more often shows nothing new. */
export const REPORT_REFRESH_MS = 5 * 60_000;

/** The report query of the page's range and filters for a project (the range's days in UTC). */
export function reportQuery(projectId: string, state: ReportState, today = todayUtc()): ReportQuery {
  const { from, to } = resolveRange(state.range, today);
  return { projectId, from, to, filter: state.filter };
}
