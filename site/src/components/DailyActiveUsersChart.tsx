// Daily active users over the last N days of the page's range (p_days). Loaded with
// client:only, apart from the cards and table, and from ApexCharts' core entry with only
// the area chart type (see DESIGN: the full entry is ~280 KB gz).
import Chart from 'react-apexcharts/core';
import 'apexcharts/area';
import type { ApexOptions } from 'apexcharts';
import { useT, useLocale } from '../i18n/i18n';
import { useDailyActiveUsers } from '../data/getDailyActiveUsers';
import { formatDay } from '../lib/format';
import { useTheme } from '../lib/theme';
import { ProjectGate } from './ProjectGate';
import { TrendRange } from './ui/TrendRange';
import { useReportState } from '../lib/reportState';
import { trendDays } from '../lib/reportUrl';
import { Empty, ErrorState, Loading } from './ui/States';

function AreaChart({ projectId, days }: { projectId: string; days: number }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const { state, reload } = useDailyActiveUsers(projectId, days);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="dau" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="dau" />;
  if (state.data.length === 0) return <Empty testId="dau">{t('empty')}</Empty>;
  const options: ApexOptions = {
    chart: { id: 'dau', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: ['#4f46e5'],
    dataLabels: { enabled: false },
    stroke: { curve: 'smooth', width: 2 },
    fill: { type: 'gradient', gradient: { opacityFrom: 0.45, opacityTo: 0.05 } },
    xaxis: { categories: state.data.map((d) => formatDay(d.day, locale)), tickAmount: 6, labels: { rotate: 0, hideOverlappingLabels: true } },
    // Fewer date labels on a phone so they do not overlap.
    responsive: [{ breakpoint: 600, options: { xaxis: { tickAmount: 3 } } }],
    yaxis: { min: 0, forceNiceScale: true, labels: { formatter: (v: number) => String(Math.round(v)) } },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  return (
    <div data-testid="dau-chart" data-points={state.data.length}>
      <Chart type="area" height={260} options={options} series={[{ name: t('dailyActiveUsers'), data: state.data.map((d) => d.activeUsers) }]} />
    </div>
  );
}

export default function DailyActiveUsersChart() {
  const t = useT();
  const { range } = useReportState();
  const days = trendDays(range);
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="dau">
          <div className="section-head">
            <h2>{t('dailyActiveUsers')}</h2>
            <TrendRange range={range} days={days} testId="dau" />
          </div>
          <AreaChart projectId={p.id} days={days} />
        </section>
      )}
    </ProjectGate>
  );
}
