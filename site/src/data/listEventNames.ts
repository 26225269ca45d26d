// list_event_names(p_project_id): the custom event names the project has stored
// (alphabetical, at most 200), for the retention event pickers.
import { callRpc, type RpcClient } from './rpc';
import { useRpcQuery } from './query';

export async function fetchEventNames(rpc: RpcClient, projectId: string): Promise<string[]> {
  return ((await callRpc(rpc, 'list_event_names', { p_project_id: projectId })) ?? []).map((r) => r.name ?? '').filter(Boolean);
}

export function useEventNames(projectId: string | null) {
  return useRpcQuery((rpc) => fetchEventNames(rpc, projectId as string), ['list_event_names', projectId], { enabled: !!projectId });
}
