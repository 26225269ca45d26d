// Daily active users over the page's range and filters, with the previous period of equal
// length as a dashed, muted second line: day n of the range beside day n of the previous
// one. Loaded with client:only, apart from the cards and table, and from ApexCharts' core
// entry with only the area chart type (see DESIGN: the full entry is ~280 KB gz).
import Chart from 'react-apexcharts/core';
import 'apexcharts/area';
import type { ApexOptions } from 'apexcharts';
import { useT, useLocale } from '../i18n/i18n';
import { useDailyActiveUsers } from '../data/getDailyActiveUsers';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { formatDay } from '../lib/format';
import { useTheme } from '../lib/theme';
import { SampleNote } from './BreakdownTable';
import { ChartLegend } from './ui/ChartLegend';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

// The previous period in the muted grey the channel chart uses for it too.
const COLORS = ['#4f46e5', '#a5a8c8'];

function AreaChart({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const { state, reload } = useDailyActiveUsers(q);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="dau" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="dau" />;
  const days = state.data;
  if (days.length === 0) return <Empty testId="dau">{t('empty')}</Empty>;
  const options: ApexOptions = {
    chart: { id: 'dau', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: COLORS,
    dataLabels: { enabled: false },
    stroke: { curve: 'smooth', width: [2, 2], dashArray: [0, 5] },
    fill: { type: ['gradient', 'solid'], opacity: [1, 0], gradient: { opacityFrom: 0.45, opacityTo: 0.05 } },
    xaxis: { categories: days.map((d) => formatDay(d.day, locale)), tickAmount: 6, labels: { rotate: 0, hideOverlappingLabels: true } },
    // Fewer date labels on a phone so they do not overlap.
    responsive: [{ breakpoint: 600, options: { xaxis: { tickAmount: 3 } } }],
    yaxis: { min: 0, forceNiceScale: true, labels: { formatter: (v: number) => String(Math.round(v)) } },
    // The x axis names this period's days: a previous-period value says which day it is.
    tooltip: {
      y: {
        formatter: (v: number, o?: { seriesIndex: number; dataPointIndex: number }) =>
          o?.seriesIndex === 1 && days[o.dataPointIndex] ? `${Math.round(v)} (${formatDay(days[o.dataPointIndex]!.prevDay, locale)})` : String(Math.round(v)),
      },
    },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  const series = [
    { name: t('thisPeriod'), data: days.map((d) => d.activeUsers) },
    { name: t('previousPeriod'), data: days.map((d) => d.prevActiveUsers) },
  ];
  return (
    <>
      <ChartLegend testId="dau-legend" items={[{ name: series[0]!.name, color: COLORS[0]! }, { name: series[1]!.name, color: COLORS[1]!, dashed: true }]} />
      <div
        data-testid="dau-chart"
        data-points={days.length}
        data-from={days[0]?.day}
        data-to={days.at(-1)?.day}
        data-active={days.map((d) => d.activeUsers).join(',')}
        data-prev-active={days.map((d) => d.prevActiveUsers).join(',')}
      >
        <Chart type="area" height={260} options={options} series={series} />
      </div>
      <SampleNote rate={days[0]?.sampleRate} testId="dau" />
    </>
  );
}

export default function DailyActiveUsersChart() {
  const t = useT();
  const state = useReportState();
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="dau">
          <div className="section-head">
            <h2>{t('dailyActiveUsers')}</h2>
          </div>
          <AreaChart q={reportQuery(p.id, state)} />
        </section>
      )}
    </ProjectGate>
  );
}
