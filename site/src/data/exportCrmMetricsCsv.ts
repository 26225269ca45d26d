// export_crm_metrics_csv(p_project_id): CSV text made by SQL.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function exportCrmMetricsCsv(rpc: RpcClient, projectId: string): Promise<string> {
  const data = await callRpc(rpc, 'export_crm_metrics_csv', { p_project_id: projectId });
  return typeof data === 'string' ? data : '';
}

export const useExportCrmMetricsCsv = () => useRpcAction(exportCrmMetricsCsv);
