// get_crm_project(p_project_id): the settings view's read. Not in the contract yet: when the
// function does not exist (PGRST202) the row from list_crm_projects stands in.
import { asRow, callRpc, RpcError, type RpcClient } from './rpc';
import { bool, list, num, obj, text } from './fields';
import { useRpcQuery } from './query';
import { fetchCrmProjects } from './listCrmProjects';

export interface FunnelStepDef {
  stepOrder: number;
  name: string;
  eventName: string;
}

export interface ProjectMember {
  userId: string;
  email: string | null;
  role: string;
}

export interface ProjectSettings {
  id: string;
  name: string;
  publicKey: string;
  allowedOrigins: string[];
  privacyMode: 'standard' | 'cookieless';
  respectDnt: boolean;
  requireSignedIdentify: boolean;
  funnelSteps: FunnelStepDef[];
  members: ProjectMember[];
  /** false when only list_crm_projects was available */
  complete: boolean;
}

export function mapProjectSettings(row: Record<string, unknown>, complete = true): ProjectSettings {
  const s = obj(row, 'settings');
  const origins = row.allowed_origins;
  return {
    id: text(row, 'id') ?? '',
    name: text(row, 'name') ?? '',
    publicKey: text(row, 'public_key') ?? '',
    allowedOrigins: Array.isArray(origins) ? origins.map(String) : [],
    privacyMode: text(s, 'privacy_mode') === 'cookieless' ? 'cookieless' : 'standard',
    respectDnt: s.respect_dnt === undefined ? true : bool(s, 'respect_dnt'),
    requireSignedIdentify: bool(s, 'require_signed_identify'),
    funnelSteps: list(row, 'funnel_steps', 'funnel').map((f) => ({
      stepOrder: num(f, 'step_order') ?? 0,
      name: text(f, 'name', 'step_name') ?? '',
      eventName: text(f, 'event_name') ?? '',
    })),
    members: list(row, 'members').map((m) => ({ userId: text(m, 'user_id', 'id') ?? '', email: text(m, 'email'), role: text(m, 'role') ?? 'viewer' })),
    complete,
  };
}

export async function fetchCrmProject(rpc: RpcClient, projectId: string): Promise<ProjectSettings> {
  try {
    const row = asRow(await callRpc(rpc, 'get_crm_project', { p_project_id: projectId }));
    if (!row) throw new Error('not found');
    return mapProjectSettings(row);
  } catch (e) {
    if (!(e instanceof RpcError) || (e.code !== 'PGRST202' && e.code !== '42883')) throw e;
    const p = (await fetchCrmProjects(rpc)).find((x) => x.id === projectId);
    if (!p) throw e;
    return mapProjectSettings({ id: p.id, name: p.name, public_key: p.publicKey }, false);
  }
}

export function useCrmProject(projectId: string | null) {
  return useRpcQuery((rpc) => fetchCrmProject(rpc, projectId as string), ['get_crm_project', projectId], { enabled: !!projectId });
}
