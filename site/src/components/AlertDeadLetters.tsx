// Deliveries that gave up after 24 hours of retries, with their last error; admins retry them.
import { useLocale, useT } from '../i18n/i18n';
import { useCrmAlertDeadLetters } from '../data/listCrmAlertDeadLetters';
import { useRetryCrmAlertDelivery } from '../data/retryCrmAlertDelivery';
import { alertLabel } from '../lib/alertLabels';
import { formatDateTime, formatNumber } from '../lib/format';
import { lastErrorText } from './AlertDeliveries';
import { Empty, ErrorState, Loading } from './ui/States';

export function AlertDeadLetters({ projectId, canWrite, onRetried }: { projectId: string; canWrite: boolean; onRetried: () => void }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useCrmAlertDeadLetters(projectId);
  const retry = useRetryCrmAlertDelivery();
  return (
    <div className="stack" data-testid="alert-dead-letters">
      <h3>{t('deadLettersTitle')}</h3>
      <p className="muted small">{t('deadLettersHelp')}</p>
      {state.status === 'ready' ? (
        state.data.length === 0 ? (
          <Empty testId="alert-dead-letters">{t('deadLettersEmpty')}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data responsive static-rows">
              <thead>
                <tr>
                  <th>{t('colTime')}</th>
                  <th>{t('colRule')}</th>
                  <th>{t('colChannel')}</th>
                  <th>{t('colTarget')}</th>
                  <th>{t('colAttempts')}</th>
                  <th>{t('colLastError')}</th>
                  {canWrite && <th>{t('alertActions')}</th>}
                </tr>
              </thead>
              <tbody>
                {state.data.map((d) => (
                  <tr key={d.id} data-testid="alert-dead-letter">
                    <td data-label={t('colTime')} title={d.summary ?? undefined}>{formatDateTime(d.createdAt, locale)}</td>
                    <td data-label={t('colRule')}>{d.alertName}</td>
                    <td data-label={t('colChannel')}>{alertLabel('channel', d.channel, t)}</td>
                    <td data-label={t('colTarget')} className="target">{d.target ?? '–'}</td>
                    <td data-label={t('colAttempts')} className="num">{formatNumber(d.attempts, locale)}</td>
                    <td data-label={t('colLastError')} className="target" data-testid="alert-dead-letter-error">{lastErrorText(d.lastStatus, d.lastError)}</td>
                    {canWrite && (
                      <td data-label={t('alertActions')}>
                        <button
                          type="button"
                          disabled={retry.busy}
                          onClick={async () => {
                            if (!(await retry.run(d.id)).ok) return;
                            reload();
                            onRetried();
                          }}
                          data-testid="alert-dead-letter-retry"
                        >
                          {t('retry')}
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="alert-dead-letters" />
      ) : (
        <Loading testId="alert-dead-letters" />
      )}
      {retry.error && <ErrorState error={retry.error} testId="alert-dead-letter-retry" />}
    </div>
  );
}
