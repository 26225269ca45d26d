// Display formatting only: durations, numbers, percentages, trend arrows.
import type { Locale, MessageKey } from '../i18n/dictionary';

const tag = (l: Locale) => (l === 'nl' ? 'nl-NL' : 'en-GB');

/** 65 → "1:05", 3725 → "1:02:05" (a ticking clock, so no rounding to minutes). */
export function formatDuration(totalSeconds: number | null): string {
  if (totalSeconds === null || !Number.isFinite(totalSeconds)) return '–';
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function formatNumber(n: number | null, locale: Locale): string {
  return n === null ? '–' : new Intl.NumberFormat(tag(locale), { maximumFractionDigits: 1 }).format(n);
}

/** Percent values arrive as 0–100 from SQL. */
/** A percentage ("12,5%"), signed for a change; unit 'pp' for a change in percentage points ("+1,5 pp"). */
export function formatPercent(n: number | null, locale: Locale, signed = false, unit: '%' | 'pp' = '%'): string {
  if (n === null) return '–';
  const f = new Intl.NumberFormat(tag(locale), { maximumFractionDigits: 1, signDisplay: signed ? 'exceptZero' : 'auto' });
  return unit === 'pp' ? `${f.format(n)} pp` : `${f.format(n)}%`;
}

export function formatDateTime(iso: string | null, locale: Locale): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(tag(locale), { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDay(day: string, locale: Locale): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString(tag(locale), { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

export interface Trend {
  arrow: '▲' | '▼' | '▬';
  tone: 'good' | 'bad' | 'neutral';
}

/** Arrow from the sign of the RPC's change; for churn a rise is bad news, hence `higherIsBetter`. */
export function trendOf(change: number | null, higherIsBetter = true): Trend | null {
  if (change === null) return null;
  if (change === 0) return { arrow: '▬', tone: 'neutral' };
  const up = change > 0;
  return { arrow: up ? '▲' : '▼', tone: up === higherIsBetter ? 'good' : 'bad' };
}

const SEGMENT_LABELS: Record<string, MessageKey> = {
  all: 'segAll',
  active: 'segActive',
  inactive: 'segInactive',
  premium: 'segPremium',
  trial: 'segTrial',
  churned: 'segChurned',
  visitor: 'segVisitor',
  user: 'segUser',
};

/** The dictionary key of a segment name, or null for a segment the UI does not know (shown raw). */
export const segmentLabelKey = (segment: string): MessageKey | null => SEGMENT_LABELS[segment] ?? null;

export function secondsSince(ms: number, now: number): number {
  return Math.max(0, Math.floor((now - ms) / 1000));
}

