// create_crm_project(p_name, p_allowed_origins): the first-run screen. The jsonb answer has
// the list_crm_projects fields, role "owner" included.
import { asRow, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { mapProject, type CrmProject } from './listCrmProjects';
import { useRpcAction } from './query';

export async function createCrmProject(rpc: RpcClient, name: string, allowedOrigins: string[] = []): Promise<CrmProject> {
  const row = asRow(await callRpc(rpc, 'create_crm_project', { p_name: name, p_allowed_origins: allowedOrigins }));
  if (!row) throw new Error('create_crm_project returned nothing');
  // jsonb (untyped): read its fields by name into the row it mirrors.
  const field = (key: string) => text(row, key);
  return mapProject({ id: field('id'), name: field('name'), public_key: field('public_key'), role: field('role'), created_at: field('created_at') });
}

export const useCreateCrmProject = () => useRpcAction(createCrmProject);
