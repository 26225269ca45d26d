// Four metric cards with week-over-week trend, refreshed every 30 s and on reconnect.
import { useT, useLocale } from '../i18n/i18n';
import type { MessageKey } from '../i18n/dictionary';
import { useCrmMetrics, type Metric, type MetricKey } from '../data/getCrmMetrics';
import { formatNumber, formatPercent, trendOf } from '../lib/format';
import { ProjectGate } from './ProjectGate';
import { ErrorState, Loading } from './ui/States';

const CARDS: { key: MetricKey; label: MessageKey; percent?: boolean; higherIsBetter?: boolean; live?: boolean }[] = [
  { key: 'total_users', label: 'totalUsers' },
  { key: 'online_now', label: 'onlineNow', live: true },
  { key: 'new_this_week', label: 'newThisWeek' },
  { key: 'churn_rate', label: 'churnRate', percent: true, higherIsBetter: false },
];

function Card({ metric, label, percent, higherIsBetter = true, live, testId }: { metric: Metric; label: string; percent?: boolean; higherIsBetter?: boolean; live?: boolean; testId: string }) {
  const t = useT();
  const locale = useLocale();
  const trend = trendOf(metric.change, higherIsBetter);
  return (
    <article className="card metric" data-testid={testId}>
      <h3>
        {label}
        {live && <span className="live-dot" aria-hidden="true" />}
      </h3>
      <p className="metric-value" data-testid={`${testId}-value`}>
        {percent ? formatPercent(metric.value, locale) : formatNumber(metric.value, locale)}
      </p>
      <p className={`trend ${trend?.tone ?? 'neutral'}`} data-testid={`${testId}-trend`} data-tone={trend?.tone ?? 'none'}>
        {trend ? (
          <>
            <span aria-hidden="true">{trend.arrow}</span>{' '}
            {formatPercent(metric.change, locale, true, metric.changeUnit)}{' '}
            <span className="muted">{t('vsLastWeek')}</span>
          </>
        ) : (
          <span className="muted">{t('noTrend')}</span>
        )}
      </p>
    </article>
  );
}

function Cards({ projectId }: { projectId: string }) {
  const t = useT();
  const { state, reload } = useCrmMetrics(projectId);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="metrics" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="metrics" />;
  return (
    <>
      <div className="metric-grid">
        {CARDS.map((c) => (
          <Card key={c.key} metric={state.data[c.key]} label={t(c.label)} percent={c.percent} higherIsBetter={c.higherIsBetter} live={c.live} testId={`metric-${c.key}`} />
        ))}
      </div>
      {state.error && <ErrorState error={state.error} onRetry={reload} testId="metrics-refresh" />}
    </>
  );
}

export default function MetricCards() {
  const t = useT();
  return (
    <ProjectGate>
      {(p) => (
        <section className="metrics" data-testid="metric-cards" aria-label={t('metrics')}>
          <Cards projectId={p.id} />
        </section>
      )}
    </ProjectGate>
  );
}
