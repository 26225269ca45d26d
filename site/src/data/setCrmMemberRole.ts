// set_crm_member_role(p_project_id, p_user_id, p_role): an owner changes a member's role.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function setCrmMemberRole(rpc: RpcClient, projectId: string, userId: string, role: string): Promise<void> {
  await callRpc(rpc, 'set_crm_member_role', { p_project_id: projectId, p_user_id: userId, p_role: role });
}

export const useSetCrmMemberRole = () => useRpcAction(setCrmMemberRole);
