// Conversion funnel: counts and percentages exactly as calculate_funnel_conversion returns them;
// bar widths are pct_of_first.
import { useT, useLocale } from '../i18n/i18n';
import { useFunnel } from '../data/calculateFunnelConversion';
import { formatNumber, formatPercent } from '../lib/format';
import { ProjectGate } from './ProjectGate';
import { TrendRange } from './ui/TrendRange';
import { useReportState } from '../lib/reportState';
import { trendDays } from '../lib/reportUrl';
import { Empty, ErrorState, Loading } from './ui/States';

function Steps({ projectId, days }: { projectId: string; days: number }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useFunnel(projectId, days);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="funnel" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="funnel" />;
  if (state.data.length === 0) return <Empty testId="funnel">{t('empty')}</Empty>;
  return (
    <ol className="funnel" data-testid="funnel-steps">
      {state.data.map((s, i) => (
        <li key={s.order} data-testid="funnel-step" data-step={s.order}>
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
          <div className="muted small">
            {formatPercent(s.pctOfFirst, locale)} {t('ofFirst')}
          </div>
        </li>
      ))}
    </ol>
  );
}

export default function FunnelView() {
  const t = useT();
  const { range } = useReportState();
  const days = trendDays(range);
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="funnel">
          <div className="section-head">
            <h2>{t('funnel')}</h2>
            <TrendRange range={range} days={days} testId="funnel" />
          </div>
          <Steps projectId={p.id} days={days} />
        </section>
      )}
    </ProjectGate>
  );
}
