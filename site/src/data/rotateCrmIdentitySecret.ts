// rotate_crm_identity_secret(p_project_id): the new identity secret (text), shown once.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function rotateCrmIdentitySecret(rpc: RpcClient, projectId: string): Promise<string> {
  const data = await callRpc(rpc, 'rotate_crm_identity_secret', { p_project_id: projectId });
  return typeof data === 'string' ? data : '';
}

export const useRotateCrmIdentitySecret = () => useRpcAction(rotateCrmIdentitySecret);
