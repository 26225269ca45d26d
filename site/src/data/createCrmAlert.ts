// create_crm_alert(p_project_id, p_name, p_kind, p_condition, p_channels, p_cooldown_minutes,
// p_enabled): a new rule (admins); returns its id. A refused value is a 22023 with the reason.
import { callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';
import { channelsOf, conditionOf, type AlertDraft } from './alertRule';

export async function createCrmAlert(rpc: RpcClient, projectId: string, draft: AlertDraft): Promise<string> {
  const id = await callRpc(rpc, 'create_crm_alert', {
    p_project_id: projectId,
    p_name: draft.name,
    p_kind: draft.kind,
    p_condition: conditionOf(draft),
    p_channels: channelsOf(draft),
    p_cooldown_minutes: Number(draft.cooldownMinutes),
    p_enabled: draft.enabled,
  });
  return id ?? '';
}

export const useCreateCrmAlert = () => useRpcAction(createCrmAlert);
