// export_crm_metrics_csv(p_project_id): CSV text made by SQL.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function exportCrmMetricsCsv(rpc: RpcClient, projectId: string): Promise<string> {
  return (await callRpc(rpc, 'export_crm_metrics_csv', { p_project_id: projectId })) ?? '';
}

export const useExportCrmMetricsCsv = () => useRpcAction(exportCrmMetricsCsv);
