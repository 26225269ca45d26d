// list_crm_alerts(p_project_id): the project's alert rules with when each last fired and its
// pending and dead deliveries and its firings over the hourly limit (every member reads; admins write).
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';
import { kindOf, mapChannels, type AlertRule } from './alertRule';

export function mapAlertRule(r: RpcRow<'list_crm_alerts'>): AlertRule {
  const condition = r.condition;
  return {
    id: r.id ?? '',
    name: r.name ?? '',
    kind: kindOf(r.kind),
    condition: condition && typeof condition === 'object' && !Array.isArray(condition) ? (condition as Record<string, unknown>) : {},
    channels: mapChannels(r.channels),
    cooldownMinutes: r.cooldown_minutes ?? 0,
    enabled: r.enabled === true,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastFiredAt: r.last_fired_at,
    pending: r.pending ?? 0,
    dead: r.dead ?? 0,
    suppressed: r.suppressed ?? 0,
  };
}

export async function fetchCrmAlerts(rpc: RpcClient, projectId: string): Promise<AlertRule[]> {
  return ((await callRpc(rpc, 'list_crm_alerts', { p_project_id: projectId })) ?? []).map(mapAlertRule);
}

export function useCrmAlerts(projectId: string, refreshMs = 30_000) {
  return useRpcQuery((rpc) => fetchCrmAlerts(rpc, projectId), ['list_crm_alerts', projectId], { refreshMs, refreshOnReconnect: true });
}
