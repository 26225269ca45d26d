// update_crm_project_settings(p_project_id, p_settings jsonb): origins, privacy mode, DNT, signed identify.
import { callRpc, type RpcClient } from './rpc';

export interface SettingsPatch {
  allowedOrigins?: string[];
  privacyMode?: 'standard' | 'cookieless';
  respectDnt?: boolean;
  requireSignedIdentify?: boolean;
}

/** The jsonb the SQL function reads: only the keys being changed. */
export function settingsJson(p: SettingsPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.allowedOrigins) out.allowed_origins = p.allowedOrigins;
  if (p.privacyMode) out.privacy_mode = p.privacyMode;
  if (p.respectDnt !== undefined) out.respect_dnt = p.respectDnt;
  if (p.requireSignedIdentify !== undefined) out.require_signed_identify = p.requireSignedIdentify;
  return out;
}

export async function updateCrmProjectSettings(rpc: RpcClient, projectId: string, patch: SettingsPatch): Promise<void> {
  await callRpc(rpc, 'update_crm_project_settings', { p_project_id: projectId, p_settings: settingsJson(patch) });
}
