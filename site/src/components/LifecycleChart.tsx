// Per week or month: new, returning and resurrecting users stacked above the axis, dormant
// ones below it (SQL returns them as a positive count; drawn negative). get_lifecycle takes
// no range — the last 12 periods — but follows the page's filters. client:only (ApexCharts bar).
import { useState } from 'react';
import Chart from 'react-apexcharts/core';
import 'apexcharts/bar';
import type { ApexOptions } from 'apexcharts';
import { useLocale, useT } from '../i18n/i18n';
import { useLifecycle } from '../data/getLifecycle';
import type { RetentionPeriod } from '../data/getRetentionCohorts';
import { useReportState } from '../lib/reportState';
import { formatDay } from '../lib/format';
import type { ReportFilter } from '../lib/reportUrl';
import { useTheme } from '../lib/theme';
import { SampleNote } from './BreakdownTable';
import { ChartLegend } from './ui/ChartLegend';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

const COLORS = ['#4f46e5', '#16a34a', '#f59e0b', '#dc2626'];

function Bars({ projectId, filter, period }: { projectId: string; filter: ReportFilter; period: RetentionPeriod }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const { state, reload } = useLifecycle({ projectId, period, filter });
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="lifecycle" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="lifecycle" />;
  const periods = state.data;
  if (periods.length === 0) return <Empty testId="lifecycle">{t('empty')}</Empty>;
  const series = [
    { name: t('lcNew'), data: periods.map((p) => p.newUsers) },
    { name: t('lcReturning'), data: periods.map((p) => p.returningUsers) },
    { name: t('lcResurrecting'), data: periods.map((p) => p.resurrectingUsers) },
    { name: t('lcDormant'), data: periods.map((p) => -p.dormantUsers) },
  ];
  const options: ApexOptions = {
    chart: { id: 'lifecycle', stacked: true, toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: COLORS,
    plotOptions: { bar: { columnWidth: '60%' } },
    dataLabels: { enabled: false },
    xaxis: { categories: periods.map((p) => formatDay(p.periodStart, locale)), labels: { rotate: 0, hideOverlappingLabels: true } },
    // Dormant is drawn below the axis; its label says how many, without the minus.
    yaxis: { labels: { formatter: (v: number) => String(Math.abs(Math.round(v))) } },
    tooltip: { y: { formatter: (v: number) => String(Math.abs(v)) } },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  return (
    <>
      <ChartLegend testId="lifecycle-legend" items={series.map((s, i) => ({ name: s.name, color: COLORS[i]! }))} />
      <div data-testid="lifecycle-chart" data-periods={periods.length} data-dormant={periods.map((p) => p.dormantUsers).join(',')}>
        <Chart type="bar" height={260} options={options} series={series} />
      </div>
      <SampleNote rate={Math.min(...periods.map((p) => p.sampleRate))} testId="lifecycle" />
    </>
  );
}

function Lifecycle({ projectId }: { projectId: string }) {
  const t = useT();
  const { filter } = useReportState();
  const [period, setPeriod] = useState<RetentionPeriod>('week');
  return (
    <section className="card" data-testid="lifecycle" data-period={period}>
      <div className="section-head">
        <h2>{t('lifecycle')}</h2>
        <div className="segmented" role="group" aria-label={t('cohortPeriod')}>
          {(['week', 'month'] as const).map((p) => (
            <button key={p} type="button" aria-pressed={period === p} onClick={() => setPeriod(p)} data-testid={`lifecycle-period-${p}`}>
              {t(p === 'week' ? 'periodWeek' : 'periodMonth')}
            </button>
          ))}
        </div>
      </div>
      <Bars projectId={projectId} filter={filter} period={period} />
    </section>
  );
}

export default function LifecycleChart() {
  return <ProjectGate>{(p) => <Lifecycle projectId={p.id} />}</ProjectGate>;
}
