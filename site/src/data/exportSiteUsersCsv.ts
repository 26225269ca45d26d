// export_site_users_csv(p_project_id, p_segment, p_online_only): CSV text made by SQL.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function exportSiteUsersCsv(rpc: RpcClient, projectId: string, segment: string | null, onlineOnly: boolean): Promise<string> {
  return (await callRpc(rpc, 'export_site_users_csv', { p_project_id: projectId, p_segment: segment ?? undefined, p_online_only: onlineOnly })) ?? '';
}

export const useExportSiteUsersCsv = () => useRpcAction(exportSiteUsersCsv);
