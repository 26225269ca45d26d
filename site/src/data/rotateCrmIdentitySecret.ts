// rotate_crm_identity_secret(p_project_id): the new identity secret (text), shown once.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function rotateCrmIdentitySecret(rpc: RpcClient, projectId: string): Promise<string> {
  return (await callRpc(rpc, 'rotate_crm_identity_secret', { p_project_id: projectId })) ?? '';
}

export const useRotateCrmIdentitySecret = () => useRpcAction(rotateCrmIdentitySecret);
