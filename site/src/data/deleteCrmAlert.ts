// delete_crm_alert(p_alert_id): admins remove a rule.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function deleteCrmAlert(rpc: RpcClient, alertId: string): Promise<void> {
  await callRpc(rpc, 'delete_crm_alert', { p_alert_id: alertId });
}

export const useDeleteCrmAlert = () => useRpcAction(deleteCrmAlert);
