// list_crm_alert_deliveries(p_alert_id): a rule's last 100 deliveries, newest first, each with
// its channel, target, status (pending, sending, delivered, dead), attempts and last error.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';

export interface AlertDelivery {
  id: number;
  channel: string;
  target: string | null;
  status: string;
  attempts: number;
  /** the receiver's HTTP status of the last attempt */
  lastStatus: number | null;
  lastError: string | null;
  summary: string | null;
  isTest: boolean;
  createdAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

export const mapAlertDelivery = (r: RpcRow<'list_crm_alert_deliveries'>): AlertDelivery => ({
  id: r.id ?? 0,
  channel: r.channel ?? '',
  target: r.target,
  status: r.status ?? '',
  attempts: r.attempts ?? 0,
  lastStatus: r.last_status,
  lastError: r.last_error,
  summary: r.summary,
  isTest: r.is_test === true,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
});

export async function fetchCrmAlertDeliveries(rpc: RpcClient, alertId: string): Promise<AlertDelivery[]> {
  return ((await callRpc(rpc, 'list_crm_alert_deliveries', { p_alert_id: alertId })) ?? []).map(mapAlertDelivery);
}

/** Refreshed often while open: a test's deliveries go from pending to delivered in seconds. */
export function useCrmAlertDeliveries(alertId: string, refreshMs = 5_000) {
  return useRpcQuery((rpc) => fetchCrmAlertDeliveries(rpc, alertId), ['list_crm_alert_deliveries', alertId], { refreshMs, refreshOnReconnect: true });
}
