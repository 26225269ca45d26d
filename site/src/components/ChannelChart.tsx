// Visitors per channel, this range beside the previous one, as get_traffic_sources returns
// them. ApexCharts' core entry with only the bar type (the full entry is ~280 KB gz).
import Chart from 'react-apexcharts/core';
import 'apexcharts/bar';
import type { ApexOptions } from 'apexcharts';
import { useT } from '../i18n/i18n';
import { useTheme } from '../lib/theme';
import type { TrafficSource } from '../data/getTrafficSources';
import { ChartLegend } from './ui/ChartLegend';

const COLORS = ['#4f46e5', '#a5a8c8'];

export function ChannelChart({ rows, label }: { rows: TrafficSource[]; label: (v: string | null) => string }) {
  const t = useT();
  const theme = useTheme();
  const options: ApexOptions = {
    chart: { id: 'channels', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: COLORS,
    plotOptions: { bar: { horizontal: true, barHeight: '70%' } },
    dataLabels: { enabled: false },
    xaxis: { categories: rows.map((r) => label(r.value)), labels: { formatter: (v: string) => (Number.isInteger(Number(v)) ? String(v) : '') /* counts: no 0.5 ticks */ } },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  const series = [
    { name: t('thisPeriod'), data: rows.map((r) => r.visitors) },
    { name: t('previousPeriod'), data: rows.map((r) => r.prevVisitors) },
  ];
  return (
    <div data-testid="channel-chart" data-bars={rows.length}>
      <ChartLegend testId="channel-legend" items={series.map((s, i) => ({ name: s.name, color: COLORS[i]! }))} />
      <Chart type="bar" height={Math.max(160, 48 + rows.length * 34)} options={options} series={series} />
    </div>
  );
}
