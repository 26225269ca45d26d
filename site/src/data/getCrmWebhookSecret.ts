// get_crm_webhook_secret(p_project_id): the `whsec_…` secret webhook receivers verify
// signatures with (admins only: others do not ask).
import { callRpc, type RpcClient } from './rpc';
import { useRpcQuery } from './query';

export async function fetchCrmWebhookSecret(rpc: RpcClient, projectId: string): Promise<string> {
  const secret = await callRpc(rpc, 'get_crm_webhook_secret', { p_project_id: projectId });
  return typeof secret === 'string' ? secret : '';
}

export const useCrmWebhookSecret = (projectId: string, enabled = true) =>
  useRpcQuery((rpc) => fetchCrmWebhookSecret(rpc, projectId), ['get_crm_webhook_secret', projectId], { enabled });
