// The metric cards. As the page opens (30 days, no filter): four cards with their
// week-over-week trend, refreshed every 30 s and on reconnect. Once a range or filter is
// chosen: five cards of that range (visitors … paying) against the previous range of equal
// length, refreshed as the reports are — the weekly figures have no range to follow.
import { useT, useLocale } from '../i18n/i18n';
import type { MessageKey } from '../i18n/dictionary';
import { useCrmMetrics, useRangeMetrics, type Metric, type MetricKey, type RangeMetricKey } from '../data/getCrmMetrics';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { isDefaultState } from '../lib/reportUrl';
import { formatNumber, formatPercent, trendOf } from '../lib/format';
import { SampleNote } from './BreakdownTable';
import { ProjectGate } from './ProjectGate';
import { ErrorState, Loading } from './ui/States';

const CARDS: { key: MetricKey; label: MessageKey; percent?: boolean; higherIsBetter?: boolean; live?: boolean }[] = [
  { key: 'total_users', label: 'totalUsers' },
  { key: 'online_now', label: 'onlineNow', live: true },
  { key: 'new_this_week', label: 'newThisWeek' },
  { key: 'churn_rate', label: 'churnRate', percent: true, higherIsBetter: false },
];

const RANGE_CARDS: { key: RangeMetricKey; label: MessageKey }[] = [
  { key: 'visitors', label: 'colVisitors' },
  { key: 'new_visitors', label: 'newVisitors' },
  { key: 'sessions', label: 'sessions' },
  { key: 'signups', label: 'colSignups' },
  { key: 'paying', label: 'colPaying' },
];

interface CardProps {
  testId: string;
  label: string;
  value: number | null;
  /** As the RPC computed it; null when there is nothing to compare with. */
  change: number | null;
  changeUnit?: '%' | 'pp';
  /** What the change is against: last week, or the previous period. */
  against: MessageKey;
  /** The figure it is compared with, shown under the trend (range cards). */
  previous?: number | null;
  percent?: boolean;
  higherIsBetter?: boolean;
  live?: boolean;
}

function Card({ testId, label, value, change, changeUnit = '%', against, previous, percent, higherIsBetter = true, live }: CardProps) {
  const t = useT();
  const locale = useLocale();
  const trend = trendOf(change, higherIsBetter);
  return (
    <article className="card metric" data-testid={testId}>
      <h3>
        {label}
        {live && <span className="live-dot" aria-hidden="true" />}
      </h3>
      <p className="metric-value" data-testid={`${testId}-value`}>
        {percent ? formatPercent(value, locale) : formatNumber(value, locale)}
      </p>
      <p className={`trend ${trend?.tone ?? 'neutral'}`} data-testid={`${testId}-trend`} data-tone={trend?.tone ?? 'none'}>
        {trend ? (
          <>
            <span aria-hidden="true">{trend.arrow}</span> {formatPercent(change, locale, true, changeUnit)} <span className="muted">{t(against)}</span>
          </>
        ) : (
          // A range whose previous period had none: new, as the report tables say.
          <span className="muted">{previous === 0 && (value ?? 0) > 0 ? t('newValue') : t('noTrend')}</span>
        )}
      </p>
      {previous !== undefined && (
        <p className="muted small" data-testid={`${testId}-previous`} data-previous={previous ?? ''}>
          {t('previousValue', { n: formatNumber(previous, locale) })}
        </p>
      )}
    </article>
  );
}

function WeeklyCards({ projectId }: { projectId: string }) {
  const t = useT();
  const { state, reload } = useCrmMetrics(projectId);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="metrics" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="metrics" />;
  return (
    <>
      <div className="metric-grid" data-testid="metric-grid" data-mode="weekly">
        {CARDS.map((c) => {
          const m: Metric = state.data[c.key];
          return (
            <Card key={c.key} testId={`metric-${c.key}`} label={t(c.label)} value={m.value} change={m.change} changeUnit={m.changeUnit} against="vsLastWeek" percent={c.percent} higherIsBetter={c.higherIsBetter} live={c.live} />
          );
        })}
      </div>
      {state.error && <ErrorState error={state.error} onRetry={reload} testId="metrics-refresh" />}
    </>
  );
}

function RangeCards({ q }: { q: ReportQuery }) {
  const t = useT();
  const { state, reload } = useRangeMetrics(q);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="metrics" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="metrics" />;
  return (
    <>
      <div className="metric-grid five" data-testid="metric-grid" data-mode="range">
        {RANGE_CARDS.map((c) => {
          const m = state.data.metrics[c.key];
          return <Card key={c.key} testId={`metric-${c.key}`} label={t(c.label)} value={m.value} change={m.changePct} against="vsPreviousPeriod" previous={m.previous} />;
        })}
      </div>
      <SampleNote rate={state.data.sampleRate} testId="metrics" />
      {state.error && <ErrorState error={state.error} onRetry={reload} testId="metrics-refresh" />}
    </>
  );
}

function Cards({ projectId }: { projectId: string }) {
  const state = useReportState();
  return isDefaultState(state) ? <WeeklyCards projectId={projectId} /> : <RangeCards q={reportQuery(projectId, state)} />;
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
