// remove_crm_member(p_project_id, p_user_id).
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function removeCrmMember(rpc: RpcClient, projectId: string, userId: string): Promise<void> {
  await callRpc(rpc, 'remove_crm_member', { p_project_id: projectId, p_user_id: userId });
}

export const useRemoveCrmMember = () => useRpcAction(removeCrmMember);
