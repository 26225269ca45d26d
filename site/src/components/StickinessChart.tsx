// How sticky the product is: per day DAU, WAU and MAU as lines, and DAU/MAU (from SQL) as
// the headline figure for the last day and in the tooltip. client:only (ApexCharts line).
import Chart from 'react-apexcharts/core';
import 'apexcharts/line';
import type { ApexOptions } from 'apexcharts';
import { useLocale, useT } from '../i18n/i18n';
import { useStickiness } from '../data/getStickiness';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { formatDay, formatPercent } from '../lib/format';
import { useTheme } from '../lib/theme';
import { SampleNote } from './BreakdownTable';
import { ChartLegend } from './ui/ChartLegend';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

const COLORS = ['#4f46e5', '#16a34a', '#f59e0b'];

function Lines({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const { state, reload } = useStickiness(q);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="stickiness" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="stickiness" />;
  const days = state.data;
  const last = days.at(-1);
  if (!last) return <Empty testId="stickiness">{t('empty')}</Empty>;
  const series = [
    { name: 'DAU', data: days.map((d) => d.dau) },
    { name: 'WAU', data: days.map((d) => d.wau) },
    { name: 'MAU', data: days.map((d) => d.mau) },
  ];
  const options: ApexOptions = {
    chart: { id: 'stickiness', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: COLORS,
    stroke: { curve: 'smooth', width: 2 },
    dataLabels: { enabled: false },
    xaxis: { categories: days.map((d) => formatDay(d.day, locale)), tickAmount: 6, labels: { rotate: 0, hideOverlappingLabels: true } },
    responsive: [{ breakpoint: 600, options: { xaxis: { tickAmount: 3 } } }],
    yaxis: { min: 0, forceNiceScale: true, labels: { formatter: (v: number) => String(Math.round(v)) } },
    // The day's DAU/MAU beside its DAU.
    tooltip: {
      y: {
        formatter: (v: number, o?: { seriesIndex: number; dataPointIndex: number }) => {
          const d = days[o?.dataPointIndex ?? -1];
          return o?.seriesIndex === 0 && d ? `${v} (DAU/MAU ${formatPercent(d.dauMauPct, locale)})` : String(v);
        },
      },
    },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  return (
    <>
      <p className="stickiness-ratio" data-testid="stickiness-ratio" data-pct={last.dauMauPct}>
        <strong>{formatPercent(last.dauMauPct, locale)}</strong> <span className="muted">{t('dauMauOn', { day: formatDay(last.day, locale) })}</span>
      </p>
      <ChartLegend testId="stickiness-legend" items={series.map((s, i) => ({ name: s.name, color: COLORS[i]! }))} />
      <div data-testid="stickiness-chart" data-points={days.length}>
        <Chart type="line" height={240} options={options} series={series} />
      </div>
      <SampleNote rate={Math.min(...days.map((d) => d.sampleRate))} testId="stickiness" />
    </>
  );
}

export default function StickinessChart() {
  const t = useT();
  const state = useReportState();
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="stickiness">
          <div className="section-head">
            <h2>{t('stickiness')}</h2>
          </div>
          <Lines q={reportQuery(p.id, state)} />
        </section>
      )}
    </ProjectGate>
  );
}
