// list_crm_alert_dead_letters(p_project_id): the project's deliveries that gave up after 24 h
// of retries, with the rule they belong to and the last error.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';

export interface AlertDeadLetter {
  id: number;
  alertId: string;
  alertName: string;
  channel: string;
  target: string | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  summary: string | null;
  createdAt: string | null;
}

export const mapAlertDeadLetter = (r: RpcRow<'list_crm_alert_dead_letters'>): AlertDeadLetter => ({
  id: r.id ?? 0,
  alertId: r.alert_id ?? '',
  alertName: r.alert_name ?? '',
  channel: r.channel ?? '',
  target: r.target,
  attempts: r.attempts ?? 0,
  lastStatus: r.last_status,
  lastError: r.last_error,
  summary: r.summary,
  createdAt: r.created_at,
});

export async function fetchCrmAlertDeadLetters(rpc: RpcClient, projectId: string): Promise<AlertDeadLetter[]> {
  return ((await callRpc(rpc, 'list_crm_alert_dead_letters', { p_project_id: projectId })) ?? []).map(mapAlertDeadLetter);
}

export function useCrmAlertDeadLetters(projectId: string, refreshMs = 60_000) {
  return useRpcQuery((rpc) => fetchCrmAlertDeadLetters(rpc, projectId), ['list_crm_alert_dead_letters', projectId], { refreshMs, refreshOnReconnect: true });
}
