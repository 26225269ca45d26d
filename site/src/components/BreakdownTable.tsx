// One report table (channels, sources, campaigns, devices, countries, pages): rows as the RPC ordered
// them, visitors with their change against the previous range (from SQL), optional signups / paying /
// conversions. A row with a filterable value is a button that filters the page by it.
import type { ReactNode } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import type { MessageKey } from '../i18n/dictionary';
import { formatNumber, formatPercent, trendOf } from '../lib/format';
import type { FilterKey } from '../lib/reportUrl';
import { setFilter } from '../lib/reportState';

export interface BreakdownRow {
  value: string | null;
  visitors: number;
  /** As the RPC returns it: null when the previous range had no visitors. */
  visitorsChangePct: number | null;
  extra?: (number | null)[];
}

interface Props {
  testId: string;
  rows: BreakdownRow[];
  /** The filter a row click sets; null when the dimension is not a filter (OS). */
  filterKey: FilterKey | null;
  label: (value: string | null) => string;
  firstColumn: MessageKey;
  extraColumns?: MessageKey[];
  /** How an extra column shows its figure (a duration, say); a number by default. */
  extraFormat?: Partial<Record<MessageKey, (n: number | null) => string>>;
  /** Shown before the label (the map's colour key). */
  marker?: (row: BreakdownRow) => ReactNode;
  /** The share of the users SQL read (sample_rate); below 1 the figures are estimates and the table says so. */
  sampleRate?: number;
}

/**
 * A figure's change against the previous period, as SQL computed it (pct null: the previous
 * period had none, so "nieuw" when there is something now). Shared by the tables and the funnel.
 */
export function ChangeVsPrevious({ pct, value, testId = 'row-change' }: { pct: number | null; value: number; testId?: string }) {
  const t = useT();
  const locale = useLocale();
  if (pct === null) return <span className="muted" data-testid={testId} data-change="">{value > 0 ? t('newValue') : '–'}</span>;
  const trend = trendOf(pct);
  return (
    <span className={`trend ${trend?.tone ?? ''}`} data-testid={testId} data-change={pct}>
      {formatPercent(Math.round(pct), locale, true)}
    </span>
  );
}

/** "Estimated from 1 in 16 visitors" under a sampled report; nothing when it is exact. */
export function SampleNote({ rate, testId }: { rate: number | undefined; testId: string }) {
  const t = useT();
  if (rate === undefined || rate >= 1 || rate <= 0) return null;
  return (
    <p className="muted sample-note" data-testid={`${testId}-sampled`} title={t('sampledTitle')}>
      {t('sampledNote', { n: String(Math.round(1 / rate)) })}
    </p>
  );
}

export function BreakdownTable({ testId, rows, filterKey, label, firstColumn, extraColumns = [], extraFormat = {}, marker, sampleRate }: Props) {
  const t = useT();
  const locale = useLocale();
  return (
    <div className="table-wrap">
      <table className="data responsive breakdown" data-testid={testId}>
        <thead>
          <tr>
            <th>{t(firstColumn)}</th>
            <th className="num">{t('colVisitors')}</th>
            <th className="num" title={t('changeTitle')}>{t('colChange')}</th>
            {extraColumns.map((c) => (
              <th key={c} className="num">{t(c)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const name = label(r.value);
            const filterable = filterKey !== null && r.value !== null && r.value !== '';
            return (
              <tr
                key={r.value ?? '\u0000none'}
                data-testid={`${testId}-row`}
                data-value={r.value ?? ''}
                data-visitors={r.visitors}
                className={filterable ? undefined : 'static'}
                onClick={filterable ? () => setFilter(filterKey, r.value as string) : undefined}
              >
                <td data-label={t(firstColumn)}>
                  {marker?.(r)}
                  {filterable ? (
                    <button type="button" className="link" title={t('filterBy', { name })} data-testid={`${testId}-filter`} onClick={(e) => { e.stopPropagation(); setFilter(filterKey, r.value as string); }}>
                      {name}
                    </button>
                  ) : (
                    <span>{name}</span>
                  )}
                </td>
                <td className="num" data-label={t('colVisitors')} data-testid={`${testId}-visitors`}>
                  {formatNumber(r.visitors, locale)}
                </td>
                <td className="num" data-label={t('colChange')}>
                  <ChangeVsPrevious pct={r.visitorsChangePct} value={r.visitors} />
                </td>
                {extraColumns.map((c, i) => (
                  <td key={c} className="num" data-label={t(c)}>
                    {(extraFormat[c] ?? ((n: number | null) => formatNumber(n, locale)))(r.extra?.[i] ?? null)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <SampleNote rate={sampleRate} testId={testId} />
    </div>
  );
}
