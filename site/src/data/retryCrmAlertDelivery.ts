// retry_crm_alert_delivery(p_delivery_id): admins send a dead letter again.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function retryCrmAlertDelivery(rpc: RpcClient, deliveryId: number): Promise<void> {
  await callRpc(rpc, 'retry_crm_alert_delivery', { p_delivery_id: deliveryId });
}

export const useRetryCrmAlertDelivery = () => useRpcAction(retryCrmAlertDelivery);
