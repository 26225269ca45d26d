// update_crm_alert(p_alert_id, p_name, p_condition, p_channels, p_cooldown_minutes, p_enabled):
// null arguments change nothing, so pause/resume sends only p_enabled. The kind is fixed.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';
import { channelsOf, conditionOf, type AlertDraft, type ChannelJson, type ConditionJson } from './alertRule';

export interface AlertPatch {
  name?: string;
  condition?: ConditionJson;
  channels?: ChannelJson[];
  cooldownMinutes?: number;
  enabled?: boolean;
}

/** Everything the edit form holds. */
export const alertPatchOf = (draft: AlertDraft): AlertPatch => ({
  name: draft.name,
  condition: conditionOf(draft),
  channels: channelsOf(draft),
  cooldownMinutes: Number(draft.cooldownMinutes),
  enabled: draft.enabled,
});

export async function updateCrmAlert(rpc: RpcClient, alertId: string, patch: AlertPatch): Promise<void> {
  await callRpc(rpc, 'update_crm_alert', {
    p_alert_id: alertId,
    p_name: patch.name,
    p_condition: patch.condition,
    p_channels: patch.channels,
    p_cooldown_minutes: patch.cooldownMinutes,
    p_enabled: patch.enabled,
  });
}

export const useUpdateCrmAlert = () => useRpcAction(updateCrmAlert);
