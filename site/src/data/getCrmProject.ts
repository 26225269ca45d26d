// get_crm_project(p_project_id): the settings view's read — {id, name, public_key,
// allowed_origins, settings (defaults merged), funnel_steps[], members[], …}.
import { asRow, callRpc, type RpcClient } from './rpc';
import { bool, list, num, obj, text } from './fields';
import { useRpcQuery } from './query';

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
  /** Whose Supabase Auth users identify themselves: null = this Supabase project's, else the JWKS URL of another. */
  authJwksUrl: string | null;
  /** Erase the CRM person when their user is deleted from this project's Auth (only with authJwksUrl null). */
  authEraseDeletedUsers: boolean;
  funnelSteps: FunnelStepDef[];
  members: ProjectMember[];
}

export function mapProjectSettings(row: Record<string, unknown>): ProjectSettings {
  // The SQL merges the defaults into settings, so every known key is present.
  const s = obj(row, 'settings');
  const origins = row.allowed_origins;
  return {
    id: text(row, 'id') ?? '',
    name: text(row, 'name') ?? '',
    publicKey: text(row, 'public_key') ?? '',
    allowedOrigins: Array.isArray(origins) ? origins.map(String) : [],
    privacyMode: text(s, 'privacy_mode') === 'cookieless' ? 'cookieless' : 'standard',
    respectDnt: bool(s, 'respect_dnt'),
    requireSignedIdentify: bool(s, 'require_signed_identify'),
    authJwksUrl: text(s, 'auth_jwks_url'),
    authEraseDeletedUsers: bool(s, 'auth_erase_deleted_users'),
    funnelSteps: list(row, 'funnel_steps').map((f) => ({
      stepOrder: num(f, 'step_order') ?? 0,
      name: text(f, 'name') ?? '',
      eventName: text(f, 'event_name') ?? '',
    })),
    members: list(row, 'members').map((m) => ({ userId: text(m, 'user_id') ?? '', email: text(m, 'email'), role: text(m, 'role') ?? 'viewer' })),
  };
}

export async function fetchCrmProject(rpc: RpcClient, projectId: string): Promise<ProjectSettings> {
  const row = asRow(await callRpc(rpc, 'get_crm_project', { p_project_id: projectId }));
  if (!row) throw new Error('not found');
  return mapProjectSettings(row);
}

export function useCrmProject(projectId: string | null) {
  return useRpcQuery((rpc) => fetchCrmProject(rpc, projectId as string), ['get_crm_project', projectId], { enabled: !!projectId });
}
