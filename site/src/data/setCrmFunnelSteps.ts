// set_crm_funnel_steps(p_project_id, p_steps jsonb): replaces the funnel definition.
import { callRpc, type RpcClient } from './rpc';
import type { FunnelStepDef } from './getCrmProject';
import { useRpcAction } from './query';

/** In order; the SQL numbers the steps. */
export function stepsJson(steps: FunnelStepDef[]): { name: string; event_name: string }[] {
  return steps.map((s) => ({ name: s.name.trim(), event_name: s.eventName.trim() }));
}

export async function setCrmFunnelSteps(rpc: RpcClient, projectId: string, steps: FunnelStepDef[]): Promise<void> {
  await callRpc(rpc, 'set_crm_funnel_steps', { p_project_id: projectId, p_steps: stepsJson(steps) });
}

export const useSetCrmFunnelSteps = () => useRpcAction(setCrmFunnelSteps);
