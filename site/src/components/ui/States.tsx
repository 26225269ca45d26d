// Loading, error and empty states shared by every view.
import type { ReactNode } from 'react';
import { useT, type Translate } from '../../i18n/i18n';
import { RpcError } from '../../data/rpc';
import { NotConfiguredError } from '../../data/client';

export function Loading({ testId }: { testId: string }) {
  const t = useT();
  return (
    <div className="state loading" role="status" aria-live="polite" data-testid={`${testId}-loading`}>
      <span className="spinner" aria-hidden="true" /> {t('loading')}
    </div>
  );
}

/** What to tell the user: the SQLSTATEs of supabase/API.md in words; the server's text only as detail. */
export function errorText(t: Translate, error: Error): string {
  if (error instanceof NotConfiguredError) return t('errorNotConfigured');
  if (error instanceof RpcError) {
    if (error.notAllowed) return t('errorNotAllowed');
    if (error.code === 'PT409') return t('errorLastOwner');
    if (error.code === 'PT404') return `${t('errorNotFound')} (${error.message})`;
    if (error.code === '22023') return `${t('errorInvalid')}: ${error.message}`;
    // supabase-js reports a failed fetch as an error without a code
    if (!error.code && /fetch|network/i.test(error.message)) return t('errorNetwork');
  }
  return `${t('errorGeneric')}: ${error.message}`;
}

export function ErrorState({ error, onRetry, testId }: { error: Error; onRetry?: () => void; testId: string }) {
  const t = useT();
  const text = errorText(t, error);
  return (
    <div className="state error" role="alert" data-testid={`${testId}-error`}>
      <span>{text}</span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

export function Empty({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <div className="state empty" data-testid={`${testId}-empty`}>
      {children}
    </div>
  );
}
