// A rule's delivery log (its last 100 deliveries, newest first): when, where to, how it went.
import { useLocale, useT } from '../i18n/i18n';
import { useCrmAlertDeliveries } from '../data/listCrmAlertDeliveries';
import { useReloadOnEvents } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import type { AlertRule } from '../data/alertRule';
import { alertLabel } from '../lib/alertLabels';
import { formatDateTime, formatNumber } from '../lib/format';
import { Dialog } from './ui/Dialog';
import { Empty, ErrorState, Loading } from './ui/States';

/** The last error as the receiver answered: "HTTP 500 · message". */
export const lastErrorText = (lastStatus: number | null, lastError: string | null): string =>
  [lastStatus !== null ? `HTTP ${lastStatus}` : null, lastError].filter(Boolean).join(' · ') || '–';

export const statusClass = (status: string): string => (status === 'delivered' ? 'badge good' : status === 'dead' ? 'badge bad' : 'badge warn');

export function AlertDeliveries({ rule, onClose }: { rule: AlertRule; onClose: () => void }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useCrmAlertDeliveries(rule.id);
  // a firing of any rule may be this one's: look again shortly after
  useReloadOnEvents([EVENTS.alertFired], reload, 1_000);
  return (
    <Dialog title={t('alertLogTitle', { name: rule.name })} onClose={onClose} testId="alert-log" wide>
      <p className="muted small">{t('alertLogHelp')}</p>
      {state.status === 'ready' ? (
        state.data.length === 0 ? (
          <Empty testId="alert-log">{t('alertLogEmpty')}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data responsive static-rows" data-testid="alert-log-table">
              <thead>
                <tr>
                  <th>{t('colTime')}</th>
                  <th>{t('colChannel')}</th>
                  <th>{t('colTarget')}</th>
                  <th>{t('colStatus')}</th>
                  <th>{t('colAttempts')}</th>
                  <th>{t('colLastError')}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((d) => (
                  <tr key={d.id} data-testid="alert-delivery" data-status={d.status} data-channel={d.channel}>
                    <td data-label={t('colTime')} title={d.summary ?? undefined}>
                      {formatDateTime(d.createdAt, locale)}
                      {d.isTest && <span className="badge">{t('alertTestBadge')}</span>}
                    </td>
                    <td data-label={t('colChannel')}>{alertLabel('channel', d.channel, t)}</td>
                    <td data-label={t('colTarget')} className="target">{d.target ?? '–'}</td>
                    <td data-label={t('colStatus')}>
                      <span className={statusClass(d.status)}>{alertLabel('status', d.status, t)}</span>
                    </td>
                    <td data-label={t('colAttempts')} className="num">{formatNumber(d.attempts, locale)}</td>
                    <td data-label={t('colLastError')} className="target">{lastErrorText(d.lastStatus, d.lastError)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="alert-log" />
      ) : (
        <Loading testId="alert-log" />
      )}
      {state.status === 'ready' && state.error && <ErrorState error={state.error} onRetry={reload} testId="alert-log-refresh" />}
    </Dialog>
  );
}
