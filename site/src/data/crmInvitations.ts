// A project owner's side of invitations: invite_crm_member, list_crm_invitations,
// resend_crm_invitation, revoke_crm_invitation. An invitation answers alike whether or
// not the email has an account; the invitee joins by accepting (myCrmInvitations.ts).
import { asRows, callRpc, type RpcClient } from './rpc';
import { text } from './fields';
import { useRpcAction, useRpcQuery } from './query';

export interface CrmInvitation {
  id: string;
  email: string;
  role: string;
  expiresAt: string | null;
}

export const mapInvitation = (row: Record<string, unknown>): CrmInvitation => ({
  id: text(row, 'id') ?? '',
  email: text(row, 'email') ?? '',
  role: text(row, 'role') ?? '',
  expiresAt: text(row, 'expires_at'),
});

export async function fetchCrmInvitations(rpc: RpcClient, projectId: string): Promise<CrmInvitation[]> {
  return asRows(await callRpc(rpc, 'list_crm_invitations', { p_project_id: projectId })).map(mapInvitation);
}

/** Only owners may list invitations: others do not ask (enabled = false). */
export const useCrmInvitations = (projectId: string, enabled = true) =>
  useRpcQuery((rpc) => fetchCrmInvitations(rpc, projectId), ['list_crm_invitations', projectId], { enabled });

export async function inviteCrmMember(rpc: RpcClient, projectId: string, email: string, role: string): Promise<void> {
  await callRpc(rpc, 'invite_crm_member', { p_project_id: projectId, p_email: email.trim(), p_role: role });
}

export async function resendCrmInvitation(rpc: RpcClient, projectId: string, invitationId: string): Promise<void> {
  await callRpc(rpc, 'resend_crm_invitation', { p_project_id: projectId, p_invitation_id: invitationId });
}

export async function revokeCrmInvitation(rpc: RpcClient, projectId: string, invitationId: string): Promise<void> {
  await callRpc(rpc, 'revoke_crm_invitation', { p_project_id: projectId, p_invitation_id: invitationId });
}

export const useInviteCrmMember = () => useRpcAction(inviteCrmMember);
export const useResendCrmInvitation = () => useRpcAction(resendCrmInvitation);
export const useRevokeCrmInvitation = () => useRpcAction(revokeCrmInvitation);
