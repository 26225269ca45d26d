// The key of a chart with this period beside the previous one. Drawn in HTML: ApexCharts'
// core entry has no legend without its legend feature (~9 KB gzip more on the CRM page).
export interface LegendItem {
  name: string;
  color: string;
  /** A dashed line (the daily chart's previous period). */
  dashed?: boolean;
}

export function ChartLegend({ items, testId }: { items: LegendItem[]; testId: string }) {
  return (
    <ul className="chart-legend" data-testid={testId}>
      {items.map((i) => (
        <li key={i.name}>
          <span className={i.dashed ? 'swatch dashed' : 'swatch'} style={{ borderColor: i.color }} aria-hidden="true" />
          {i.name}
        </li>
      ))}
    </ul>
  );
}
