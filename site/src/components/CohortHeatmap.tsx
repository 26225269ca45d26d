// The cohort triangle as an ApexCharts heatmap: a row per cohort (oldest on top), a column
// per period offset, the cell's colour its retained %. A click on a cell names it (the
// cohort and offset) through the cell's own i/j attributes, so it works without the
// chart's selection feature. Core entry with only the heatmap type (see DESIGN).
import Chart from 'react-apexcharts/core';
import 'apexcharts/heatmap';
import type { ApexOptions } from 'apexcharts';
import { useLocale, useT } from '../i18n/i18n';
import { formatDay, formatNumber, formatPercent } from '../lib/format';
import { useTheme } from '../lib/theme';
import type { Cohort, RetentionPeriod } from '../data/getRetentionCohorts';
import type { CohortCell } from '../data/listRetentionCohortUsers';

interface Props {
  cohorts: Cohort[];
  period: RetentionPeriod;
  onPick: (cell: CohortCell) => void;
}

export function CohortHeatmap({ cohorts, period, onPick }: Props) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const width = Math.max(1, ...cohorts.map((c) => c.retained.length));
  const offsetLabel = (k: number) => `${t(period === 'week' ? 'weekShort' : 'monthShort')}${k}`;
  // ApexCharts draws the first series at the bottom: reversed, the oldest cohort is on top.
  const rows = [...cohorts].reverse();
  const series = rows.map((c) => ({
    name: formatDay(c.cohortStart, locale),
    data: Array.from({ length: width }, (_, k) => ({ x: offsetLabel(k), y: k < c.retainedPct.length ? c.retainedPct[k]! : null })),
  }));
  const options: ApexOptions = {
    chart: { id: 'cohorts', toolbar: { show: false }, zoom: { enabled: false }, animations: { enabled: false }, background: 'transparent', fontFamily: 'inherit' },
    theme: { mode: theme },
    colors: ['#4f46e5'],
    dataLabels: { enabled: true, formatter: (v) => (typeof v === 'number' ? `${Math.round(v)}%` : ''), style: { fontSize: '11px' } },
    plotOptions: { heatmap: { enableShades: true, shadeIntensity: 0.6, colorScale: { min: 0, max: 100 } } },
    tooltip: {
      y: {
        formatter: (v: number | null, o?: { seriesIndex: number; dataPointIndex: number }) => {
          const c = o ? rows[o.seriesIndex] : undefined;
          if (!c || v === null) return '–';
          const n = c.retained[o!.dataPointIndex] ?? 0;
          return t('cohortCellTip', { pct: formatPercent(v, locale), n: formatNumber(n, locale), size: formatNumber(c.size, locale) });
        },
      },
    },
    grid: { borderColor: 'var(--border)' },
    legend: { show: false },
  };
  return (
    <div
      className="cohort-heatmap"
      data-testid="cohort-heatmap"
      data-cohorts={cohorts.length}
      data-width={width}
      onClick={(e) => {
        const cell = (e.target as Element).closest?.('.apexcharts-heatmap-rect');
        const i = Number(cell?.getAttribute('i'));
        const j = Number(cell?.getAttribute('j'));
        const c = rows[i];
        if (!cell || !c || !(j < c.retained.length)) return;
        onPick({ cohortStart: c.cohortStart, offset: j });
      }}
    >
      <Chart type="heatmap" height={Math.max(180, 40 + cohorts.length * 32)} options={options} series={series} />
    </div>
  );
}
