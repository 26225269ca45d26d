// The signed-in user's pending invitations (first-run screen and a banner on every page):
// accepting joins the project and switches to it, declining drops the invitation.
import { useT } from '../i18n/i18n';
import { type MyInvitation, useAcceptCrmInvitation, useDeclineCrmInvitation } from '../data/myCrmInvitations';
import { ErrorState } from './ui/States';

export function MyInvitations({ invitations, onAccepted, onDeclined }: {
  invitations: MyInvitation[];
  onAccepted: (projectId: string) => void;
  onDeclined: () => void;
}) {
  const t = useT();
  const accept = useAcceptCrmInvitation();
  const decline = useDeclineCrmInvitation();
  if (invitations.length === 0) return null;
  const busy = accept.busy || decline.busy;
  return (
    <section className="card narrow stack" role="region" aria-label={t('invitationsTitle')} data-testid="my-invitations">
      <h2>{t('invitationsTitle')}</h2>
      {invitations.map((i) => (
        <div key={i.id} className="row" data-testid="my-invitation">
          <span>
            {i.invitedBy
              ? t('invitationText', { who: i.invitedBy, project: i.projectName, role: i.role })
              : t('invitationTextAnonymous', { project: i.projectName, role: i.role })}
          </span>
          <button type="button" className="primary" disabled={busy} onClick={async () => (await accept.run(i.id)).ok && onAccepted(i.projectId)} data-testid="my-invitation-accept">
            {t('accept')}
          </button>
          <button type="button" disabled={busy} onClick={async () => (await decline.run(i.id)).ok && onDeclined()} data-testid="my-invitation-decline">
            {t('decline')}
          </button>
        </div>
      ))}
      {accept.error && <ErrorState error={accept.error} testId="my-invitation-accept" />}
      {decline.error && <ErrorState error={decline.error} testId="my-invitation-decline" />}
    </section>
  );
}
