// test_crm_alert(p_alert_id): queues a test firing on each of the rule's channels; returns how
// many deliveries were queued.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';

export async function testCrmAlert(rpc: RpcClient, alertId: string): Promise<number> {
  return (await callRpc(rpc, 'test_crm_alert', { p_alert_id: alertId })) ?? 0;
}

export const useTestCrmAlert = () => useRpcAction(testCrmAlert);
