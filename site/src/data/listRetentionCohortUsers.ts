// list_retention_cohort_users(…report contract, p_cohort_start, p_period_offset, p_period,
// p_start_event, p_return_event, p_limit, p_offset): the members of one cohort active in
// period offset k (k = 0: the whole cohort), paged; each row carries total_count.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import type { ReportQuery } from './reportArgs';
import { cohortArgs, type RetentionChoice } from './getRetentionCohorts';

export interface CohortUser {
  id: string;
  externalId: string | null;
  email: string | null;
  name: string | null;
  segment: string | null;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
}

export interface CohortUserPage {
  rows: CohortUser[];
  total: number;
}

export interface CohortCell {
  cohortStart: string;
  offset: number;
}

export const COHORT_PAGE_SIZE = 50;


export const cohortUserArgs = (q: ReportQuery, c: RetentionChoice, cell: CohortCell, page: number) => ({
  ...cohortArgs(q, c),
  p_cohort_start: cell.cohortStart,
  p_period_offset: cell.offset,
  p_limit: COHORT_PAGE_SIZE,
  p_offset: page * COHORT_PAGE_SIZE,
});

export function mapCohortUsers(rows: RpcRow<'list_retention_cohort_users'>[]): CohortUserPage {
  return {
    rows: rows.map((r) => ({
      id: r.id ?? '',
      externalId: r.external_id,
      email: r.email,
      name: r.name,
      segment: r.segment,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    })),
    total: Number(rows[0]?.total_count ?? 0),
  };
}

export async function fetchCohortUsers(rpc: RpcClient, q: ReportQuery, c: RetentionChoice, cell: CohortCell, page: number): Promise<CohortUserPage> {
  return mapCohortUsers((await callRpc(rpc, 'list_retention_cohort_users', cohortUserArgs(q, c, cell, page))) ?? []);
}

export function useCohortUsers(q: ReportQuery, c: RetentionChoice, cell: CohortCell, page: number) {
  return useRpcQuery((rpc) => fetchCohortUsers(rpc, q, c, cell, page), ['list_retention_cohort_users', q, c, cell, page]);
}
