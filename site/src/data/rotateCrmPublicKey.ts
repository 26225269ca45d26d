// rotate_crm_public_key(p_project_id): a new pk_… (the old snippet stops working).
import { asRow, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { useRpcAction } from './query';

export async function rotateCrmPublicKey(rpc: RpcClient, projectId: string): Promise<string> {
  const data = await callRpc(rpc, 'rotate_crm_public_key', { p_project_id: projectId });
  return typeof data === 'string' ? data : (text(asRow(data) ?? {}, 'public_key', 'rotate_crm_public_key') ?? '');
}

export const useRotateCrmPublicKey = () => useRpcAction(rotateCrmPublicKey);
