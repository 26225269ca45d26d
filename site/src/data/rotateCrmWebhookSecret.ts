// rotate_crm_webhook_secret(p_project_id): a new webhook secret (admins); returns it.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function rotateCrmWebhookSecret(rpc: RpcClient, projectId: string): Promise<string> {
  const secret = await callRpc(rpc, 'rotate_crm_webhook_secret', { p_project_id: projectId });
  return typeof secret === 'string' ? secret : '';
}

export const useRotateCrmWebhookSecret = () => useRpcAction(rotateCrmWebhookSecret);
