// The invitee's side: list_my_crm_invitations (to the signed-in, confirmed email),
// accept_crm_invitation and decline_crm_invitation.
import { asRows, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { useRpcAction, useRpcQuery } from './query';

export interface MyInvitation {
  id: string;
  projectId: string;
  projectName: string;
  role: string;
  invitedBy: string | null;
}

export const mapMyInvitation = (row: Record<string, unknown>): MyInvitation => ({
  id: text(row, 'id') ?? '',
  projectId: text(row, 'project_id') ?? '',
  projectName: text(row, 'project_name') ?? '',
  role: text(row, 'role') ?? '',
  invitedBy: text(row, 'invited_by_email'),
});

export async function fetchMyCrmInvitations(rpc: RpcClient): Promise<MyInvitation[]> {
  return asRows(await callRpc(rpc, 'list_my_crm_invitations')).map(mapMyInvitation);
}

/** Checked at sign-in and every minute, so an invitation sent meanwhile shows up. */
export const useMyCrmInvitations = (userId: string) =>
  useRpcQuery(fetchMyCrmInvitations, ['list_my_crm_invitations', userId], { refreshMs: 60_000 });

export async function acceptCrmInvitation(rpc: RpcClient, invitationId: string): Promise<void> {
  await callRpc(rpc, 'accept_crm_invitation', { p_invitation_id: invitationId });
}

export async function declineCrmInvitation(rpc: RpcClient, invitationId: string): Promise<void> {
  await callRpc(rpc, 'decline_crm_invitation', { p_invitation_id: invitationId });
}

export const useAcceptCrmInvitation = () => useRpcAction(acceptCrmInvitation);
export const useDeclineCrmInvitation = () => useRpcAction(declineCrmInvitation);
