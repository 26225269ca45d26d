// add_crm_member(p_project_id, p_email, p_role): owners invite dashboard users.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function addCrmMember(rpc: RpcClient, projectId: string, email: string, role: string): Promise<void> {
  await callRpc(rpc, 'add_crm_member', { p_project_id: projectId, p_email: email.trim(), p_role: role });
}

export const useAddCrmMember = () => useRpcAction(addCrmMember);
