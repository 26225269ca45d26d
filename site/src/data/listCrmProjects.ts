// list_crm_projects(): the projects the signed-in user belongs to, with their role.
import { asRows, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { useRpcQuery } from './query';

export type ProjectRole = 'owner' | 'admin' | 'viewer';

export interface CrmProject {
  id: string;
  name: string;
  publicKey: string;
  role: ProjectRole | null;
  createdAt: string | null;
}

export function mapProject(row: Record<string, unknown>): CrmProject {
  const role = text(row, 'role');
  return {
    id: text(row, 'id') ?? '',
    name: text(row, 'name') ?? '',
    publicKey: text(row, 'public_key') ?? '',
    role: role === 'owner' || role === 'admin' || role === 'viewer' ? role : null,
    createdAt: text(row, 'created_at'),
  };
}

export async function fetchCrmProjects(rpc: RpcClient): Promise<CrmProject[]> {
  return asRows(await callRpc(rpc, 'list_crm_projects')).map(mapProject);
}

export function useCrmProjects(enabled: boolean, userId: string | null) {
  return useRpcQuery(fetchCrmProjects, ['list_crm_projects', userId], { enabled });
}

/** Settings are for admins and owners (the SQL checks it again). */
export const canConfigure = (p: CrmProject | null): boolean => p?.role === 'owner' || p?.role === 'admin';
