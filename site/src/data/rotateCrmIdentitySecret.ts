// rotate_crm_identity_secret(p_project_id): a new identity secret, shown once.
import { asRow, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { useRpcAction } from './query';

export async function rotateCrmIdentitySecret(rpc: RpcClient, projectId: string): Promise<string> {
  const data = await callRpc(rpc, 'rotate_crm_identity_secret', { p_project_id: projectId });
  return typeof data === 'string' ? data : (text(asRow(data) ?? {}, 'identity_secret', 'secret', 'rotate_crm_identity_secret') ?? '');
}

export const useRotateCrmIdentitySecret = () => useRpcAction(rotateCrmIdentitySecret);
