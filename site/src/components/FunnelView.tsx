// Conversion funnel of the page's range and filters: counts, percentages and each step's
// users in the previous period exactly as calculate_funnel_conversion returns them; bar
// widths are pct_of_first.
import { useT, useLocale } from '../i18n/i18n';
import { useFunnel } from '../data/calculateFunnelConversion';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { formatNumber, formatPercent } from '../lib/format';
import { ChangeVsPrevious, SampleNote } from './BreakdownTable';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

function Steps({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useFunnel(q);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="funnel" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="funnel" />;
  if (state.data.length === 0) return <Empty testId="funnel">{t('empty')}</Empty>;
  return (
    <>
      <ol className="funnel" data-testid="funnel-steps">
        {state.data.map((s, i) => (
          <li key={s.order} data-testid="funnel-step" data-step={s.order} data-users={s.users} data-prev-users={s.prevUsers}>
            {i > 0 && (
              <div className="drop" data-testid="funnel-drop">
                ↓ {formatPercent(s.dropOffPct, locale)} {t('dropOff')}
                {s.dropOffUsers !== null && ` · −${formatNumber(s.dropOffUsers, locale)} ${t('users')}`}
              </div>
            )}
            <div className="funnel-row">
              <span className="funnel-name">{s.name}</span>
              <span className="funnel-count" data-testid="funnel-users">
                {formatNumber(s.users, locale)} <span className="muted small">{t('users')}</span>
              </span>
            </div>
            <div className="bar" role="img" aria-label={`${formatPercent(s.pctOfFirst, locale)} ${t('ofFirst')}`}>
              <span style={{ width: `${Math.min(100, Math.max(0, s.pctOfFirst ?? 0))}%` }} />
            </div>
            <div className="funnel-row muted small">
              <span>
                {formatPercent(s.pctOfFirst, locale)} {t('ofFirst')}
              </span>
              <span data-testid="funnel-previous">
                {t('previousValue', { n: formatNumber(s.prevUsers, locale) })} · <ChangeVsPrevious pct={s.usersChangePct} value={s.users} testId="funnel-change" />
              </span>
            </div>
          </li>
        ))}
      </ol>
      <SampleNote rate={state.data[0]?.sampleRate} testId="funnel" />
    </>
  );
}

export default function FunnelView() {
  const t = useT();
  const state = useReportState();
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="funnel">
          <div className="section-head">
            <h2>{t('funnel')}</h2>
          </div>
          <Steps q={reportQuery(p.id, state)} />
        </section>
      )}
    </ProjectGate>
  );
}
