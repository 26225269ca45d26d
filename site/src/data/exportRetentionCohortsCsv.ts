// export_retention_cohorts_csv(…the arguments of get_retention_cohorts): the cohort table as
// CSV text, made by SQL like every other export.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';
import type { ReportQuery } from './reportArgs';
import { cohortArgs, type RetentionChoice } from './getRetentionCohorts';

export async function exportRetentionCohortsCsv(rpc: RpcClient, q: ReportQuery, c: RetentionChoice): Promise<string> {
  return (await callRpc(rpc, 'export_retention_cohorts_csv', cohortArgs(q, c))) ?? '';
}

export const useExportRetentionCohortsCsv = () => useRpcAction(exportRetentionCohortsCsv);
