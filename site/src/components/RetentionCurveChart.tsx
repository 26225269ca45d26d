// Of the people first seen in the range, the share back on day 1, 7, 14 and 30 (a bar per
// day, the count and how many could be back in the tooltip). client:only (ApexCharts bar).
import Chart from 'react-apexcharts/core';
import 'apexcharts/bar';
import type { ApexOptions } from 'apexcharts';
import { useLocale, useT } from '../i18n/i18n';
import { useRetentionCurve } from '../data/getRetentionCurve';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { formatNumber, formatPercent } from '../lib/format';
import { useTheme } from '../lib/theme';
import { SampleNote } from './BreakdownTable';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

function Curve({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const { state, reload } = useRetentionCurve(q);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="retention-curve" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="retention-curve" />;
  const points = state.data;
  if (points.length === 0) return <Empty testId="retention-curve">{t('empty')}</Empty>;
  const options: ApexOptions = {
    chart: { id: 'retention-curve', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: ['#4f46e5'],
    plotOptions: { bar: { columnWidth: '50%' } },
    dataLabels: { enabled: true, formatter: (v: number) => formatPercent(v, locale) },
    xaxis: { categories: points.map((p) => t('dayN', { n: String(p.dayN) })) },
    yaxis: { min: 0, max: 100, labels: { formatter: (v: number) => `${Math.round(v)}%` } },
    tooltip: {
      y: {
        formatter: (v: number, o?: { dataPointIndex: number }) => {
          const p = points[o?.dataPointIndex ?? -1];
          return p ? t('curveTip', { pct: formatPercent(v, locale), n: formatNumber(p.retained, locale), eligible: formatNumber(p.eligible, locale) }) : formatPercent(v, locale);
        },
      },
    },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  return (
    <>
      <div data-testid="retention-curve-chart" data-days={points.map((p) => p.dayN).join(',')} data-pct={points.map((p) => p.retainedPct).join(',')}>
        <Chart type="bar" height={240} options={options} series={[{ name: t('retainedShare'), data: points.map((p) => p.retainedPct) }]} />
      </div>
      <SampleNote rate={Math.min(...points.map((p) => p.sampleRate))} testId="retention-curve" />
    </>
  );
}

export default function RetentionCurveChart() {
  const t = useT();
  const state = useReportState();
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="retention-curve">
          <div className="section-head">
            <h2>{t('retentionCurve')}</h2>
          </div>
          <Curve q={reportQuery(p.id, state)} />
        </section>
      )}
    </ProjectGate>
  );
}
