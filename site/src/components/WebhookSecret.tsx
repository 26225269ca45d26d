// The project's webhook secret (admins): masked until shown, copyable, and rotated after a confirm.
import { useState } from 'react';
import { useT } from '../i18n/i18n';
import { useCrmWebhookSecret } from '../data/getCrmWebhookSecret';
import { useRotateCrmWebhookSecret } from '../data/rotateCrmWebhookSecret';
import { CopyButton } from './ui/CopyButton';
import { ErrorState, Loading } from './ui/States';

/** "whsec_" and dots: the prefix says what it is, nothing of the secret shows. */
export const maskSecret = (secret: string): string => `${secret.slice(0, secret.indexOf('_') + 1)}${'•'.repeat(16)}`;

export function WebhookSecret({ projectId }: { projectId: string }) {
  const t = useT();
  const { state, reload } = useCrmWebhookSecret(projectId);
  const [shown, setShown] = useState(false);
  const [rotated, setRotated] = useState<string | null>(null);
  const rotate = useRotateCrmWebhookSecret();
  const secret = rotated ?? (state.status === 'ready' ? state.data : null);
  return (
    <div className="stack" data-testid="webhook-secret">
      <h3>{t('webhookSecret')}</h3>
      <p className="muted small">{t('webhookSecretHelp')}</p>
      {secret !== null ? (
        <>
          <code className="secret" data-testid="webhook-secret-value">
            {shown ? secret : maskSecret(secret)}
          </code>
          <div className="row">
            <button type="button" onClick={() => setShown((s) => !s)} aria-pressed={shown} data-testid="webhook-secret-reveal">
              {shown ? t('hide') : t('reveal')}
            </button>
            <CopyButton text={secret} testId="webhook-secret-copy" />
            <button
              type="button"
              disabled={rotate.busy}
              onClick={async () => {
                // Receivers verify with the old secret until they are updated.
                if (!window.confirm(t('webhookSecretRotateConfirm'))) return;
                const next = await rotate.run(projectId);
                if (next.ok) setRotated(next.value);
              }}
              data-testid="webhook-secret-rotate"
            >
              {t('rotateSecret')}
            </button>
          </div>
        </>
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="webhook-secret" />
      ) : (
        <Loading testId="webhook-secret" />
      )}
      {rotate.error && <ErrorState error={rotate.error} testId="webhook-secret-rotate" />}
    </div>
  );
}
