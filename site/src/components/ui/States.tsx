// Loading, error and empty states shared by every view.
import type { ReactNode } from 'react';
import { useT } from '../../i18n/i18n';
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

export function ErrorState({ error, onRetry, testId }: { error: Error; onRetry?: () => void; testId: string }) {
  const t = useT();
  const text =
    error instanceof RpcError && error.notAllowed
      ? t('errorNotAllowed')
      : error instanceof NotConfiguredError
        ? t('errorNotConfigured')
        : `${t('errorGeneric')}: ${error.message}`;
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
