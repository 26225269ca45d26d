// The cohort table as CSV (RFC 4180: CRLF, fields with a comma, quote or line break quoted):
// cohort_start, cohort_size, then one column per period offset with "count (pct%)" as SQL
// returned them — formatted, not computed, so the file says what the page shows.
import type { Cohort, RetentionPeriod } from '../data/getRetentionCohorts';

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function cohortCsv(cohorts: Cohort[], period: RetentionPeriod): string {
  const width = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const header = ['cohort_start', 'cohort_size', ...Array.from({ length: width }, (_, k) => `${period}_${k}`)];
  const rows = cohorts.map((c) => [
    c.cohortStart,
    c.size,
    ...Array.from({ length: width }, (_, k) => (k < c.retained.length ? `${c.retained[k]} (${c.retainedPct[k] ?? 0}%)` : '')),
  ]);
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
