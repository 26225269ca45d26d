// Settings → Ingest: what happened to the events the site sent in the last 24 hours, as
// get_ingest_summary counted them — so no rejection goes unnoticed.
import { useLocale, useT } from '../i18n/i18n';
import { useIngestSummary } from '../data/getIngestSummary';
import { formatDateTime, formatNumber } from '../lib/format';
import { Panel } from './SettingsPanel';
import { ErrorState, Loading } from './ui/States';

export function IngestPanel({ projectId }: { projectId: string }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useIngestSummary(projectId);
  return (
    <Panel title={t('ingestTitle', { hours: 24 })} testId="settings-ingest">
      {state.status === 'ready' ? (
        <>
          <p className={state.data.firstEventAt ? 'muted' : 'state'} data-testid="ingest-first-event">
            {state.data.firstEventAt
              ? t('ingestFirstEvent', { time: formatDateTime(state.data.firstEventAt, locale) })
              : t('ingestNoEventYet')}
          </p>
          <dl className="profile" data-testid="ingest-figures">
            {([
              ['ingestAccepted', state.data.accepted, 'accepted'],
              ['ingestDuplicates', state.data.duplicates, 'duplicates'],
              ['ingestRateLimited', state.data.rateLimited, 'rate-limited'],
              ['ingestBots', state.data.botDropped, 'bots'],
              ['ingestErased', state.data.erasedDropped, 'erased'],
            ] as const).map(([label, n, id]) => (
              <div key={id} className="contents">
                <dt>{t(label)}</dt>
                <dd data-testid={`ingest-${id}`}>{formatNumber(n, locale)}</dd>
              </div>
            ))}
            {([['ingestRejected', state.data.rejected, 'rejected'], ['ingestRefused', state.data.refused, 'refused']] as const).map(
              ([label, entries, id]) => (
                <div key={id} className="contents">
                  <dt>{t(label)}</dt>
                  <dd data-testid={`ingest-${id}`}>
                    {entries.length === 0
                      ? formatNumber(0, locale)
                      : entries.map(([reason, n]) => (
                        <span key={reason} className="badge warn">
                          <code>{reason}</code> {formatNumber(n, locale)}
                        </span>
                      ))}
                  </dd>
                </div>
              ),
            )}
          </dl>
          <h3>{t('ingestLastRejections')}</h3>
          {state.data.lastRejections.length === 0 ? (
            <p className="muted" data-testid="ingest-no-rejections">{t('ingestNoRejections')}</p>
          ) : (
            <ul className="plain" data-testid="ingest-rejections">
              {state.data.lastRejections.map((r, i) => (
                <li key={i} data-testid="ingest-rejection">
                  <span className="muted small">{formatDateTime(r.at, locale)}</span> <code>{r.reason}</code> {r.message}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="ingest" />
      ) : (
        <Loading testId="ingest" />
      )}
    </Panel>
  );
}
