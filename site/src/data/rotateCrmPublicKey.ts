// rotate_crm_public_key(p_project_id): the new pk_… key (text); the old snippet stops working.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function rotateCrmPublicKey(rpc: RpcClient, projectId: string): Promise<string> {
  return (await callRpc(rpc, 'rotate_crm_public_key', { p_project_id: projectId })) ?? '';
}

export const useRotateCrmPublicKey = () => useRpcAction(rotateCrmPublicKey);
