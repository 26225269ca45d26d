// What the "last N days" widgets (daily chart, funnel) show for the page's range: their RPCs
// take p_days, not dates, so a custom range becomes its length ending today, said in a note.
import { useT } from '../../i18n/i18n';
import type { ReportRange } from '../../lib/reportUrl';

export function TrendRange({ range, days, testId }: { range: ReportRange; days: number; testId: string }) {
  const t = useT();
  if (range.preset === 'custom')
    return (
      <span className="muted small" data-testid={`${testId}-range-note`} data-days={days}>
        {t('trendNote', { n: days })}
      </span>
    );
  return (
    <span className="muted" data-testid={`${testId}-range`} data-days={days}>
      {days === 1 ? t('rangeToday') : t('lastNDays', { n: days })}
    </span>
  );
}
