// list_crm_projects(): the projects the signed-in user belongs to, with their role.
import { callRpc, type RpcClient, type RpcRow } from './rpc';
import { useRpcQuery } from './query';

export type ProjectRole = 'owner' | 'admin' | 'viewer';

export interface CrmProject {
  id: string;
  name: string;
  publicKey: string;
  role: ProjectRole | null;
  createdAt: string | null;
}

/** A list_crm_projects row; create_crm_project's jsonb answer has the same fields. */
export function mapProject(row: RpcRow<'list_crm_projects'>): CrmProject {
  const role = row.role;
  return {
    id: row.id ?? '',
    name: row.name ?? '',
    publicKey: row.public_key ?? '',
    role: role === 'owner' || role === 'admin' || role === 'viewer' ? role : null,
    createdAt: row.created_at,
  };
}

export async function fetchCrmProjects(rpc: RpcClient): Promise<CrmProject[]> {
  return ((await callRpc(rpc, 'list_crm_projects')) ?? []).map(mapProject);
}

export function useCrmProjects(enabled: boolean, userId: string | null) {
  return useRpcQuery(fetchCrmProjects, ['list_crm_projects', userId], { enabled });
}

/** Settings are for admins and owners (the SQL checks it again). */
export const canConfigure = (p: CrmProject | null): boolean => p?.role === 'owner' || p?.role === 'admin';
