// update_crm_project_settings(p_project_id, p_name, p_allowed_origins, p_settings jsonb):
// origins go in their own argument, the rest as settings keys; null arguments change nothing.
import { asRow, callRpc, type RpcClient } from './rpc';
import { useRpcAction } from './query';
import { mapProjectSettings, type ProjectSettings } from './getCrmProject';

export interface SettingsPatch {
  allowedOrigins?: string[];
  privacyMode?: 'standard' | 'cookieless';
  respectDnt?: boolean;
  requireSignedIdentify?: boolean;
  /** null goes back to trusting this Supabase project's users. */
  authJwksUrl?: string | null;
  authEraseDeletedUsers?: boolean;
}

type SettingsJson = {
  privacy_mode?: string;
  respect_dnt?: boolean;
  require_signed_identify?: boolean;
  auth_jwks_url?: string | null;
  auth_erase_deleted_users?: boolean;
};

/** The settings jsonb: only the keys being changed. */
export function settingsJson(p: SettingsPatch): SettingsJson {
  const out: SettingsJson = {};
  if (p.privacyMode) out.privacy_mode = p.privacyMode;
  if (p.respectDnt !== undefined) out.respect_dnt = p.respectDnt;
  if (p.requireSignedIdentify !== undefined) out.require_signed_identify = p.requireSignedIdentify;
  if (p.authJwksUrl !== undefined) out.auth_jwks_url = p.authJwksUrl;
  if (p.authEraseDeletedUsers !== undefined) out.auth_erase_deleted_users = p.authEraseDeletedUsers;
  return out;
}

/** Returns the project as stored (origins normalised), as get_crm_project would. */
export async function updateCrmProjectSettings(rpc: RpcClient, projectId: string, patch: SettingsPatch): Promise<ProjectSettings | null> {
  const settings = settingsJson(patch);
  const row = asRow(await callRpc(rpc, 'update_crm_project_settings', {
    p_project_id: projectId,
    p_allowed_origins: patch.allowedOrigins,
    p_settings: Object.keys(settings).length > 0 ? settings : undefined,
  }));
  return row ? mapProjectSettings(row) : null;
}

export const useUpdateCrmProjectSettings = () => useRpcAction(updateCrmProjectSettings);
