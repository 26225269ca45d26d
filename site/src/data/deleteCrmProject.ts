// delete_crm_project(p_project_id, p_confirm_name): the project and all its data, for owners.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function deleteCrmProject(rpc: RpcClient, projectId: string, confirmName: string): Promise<void> {
  await callRpc(rpc, 'delete_crm_project', { p_project_id: projectId, p_confirm_name: confirmName });
}

export const useDeleteCrmProject = () => useRpcAction(deleteCrmProject);
