// The CRM page's report state in the URL: the date range (?range=7d, or ?from=…&to=…) and
// the filters (?f.channel=social&f.country=NL), so a view can be shared and survives a reload.
// Pure: parse, serialise, and the UTC days a range means. Bad values fall back to defaults
// rather than reaching SQL (which would answer 22023).
import { CHANNELS } from '../data/enums';

export const PRESETS = ['today', '7d', '30d', '90d'] as const;
export type Preset = (typeof PRESETS)[number];
export const DEFAULT_PRESET: Preset = '30d';
const PRESET_DAYS: Record<Preset, number> = { today: 1, '7d': 7, '30d': 30, '90d': 90 };

/** The longest range the report RPCs accept. */
export const MAX_DAYS = 366;

export type ReportRange = { preset: Preset } | { preset: 'custom'; from: string; to: string };

/** The p_filter keys of the acquisition RPCs (supabase/API.md, "The report filter contract"). */
export const FILTER_KEYS = ['segment', 'channel', 'source', 'campaign', 'country', 'device', 'browser', 'page'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type ReportFilter = Partial<Record<FilterKey, string>>;

export interface ReportState {
  range: ReportRange;
  filter: ReportFilter;
}

export const DEFAULT_STATE: ReportState = { range: { preset: DEFAULT_PRESET }, filter: {} };
const MAX_FILTER_LENGTH = 500;
const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' if it is a real calendar day, else null. */
export function validDay(s: string | null): string | null {
  if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? s : null;
}

export const todayUtc = (now: Date = new Date()): string => now.toISOString().slice(0, 10);

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export function spanDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

const isFilterKey = (k: string): k is FilterKey => (FILTER_KEYS as readonly string[]).includes(k);
const isPreset = (s: string | null): s is Preset => (PRESETS as readonly (string | null)[]).includes(s);

export function parseReportState(search: string): ReportState {
  const q = new URLSearchParams(search);
  const from = validDay(q.get('from'));
  const to = validDay(q.get('to'));
  const preset = q.get('range');
  let range: ReportRange = DEFAULT_STATE.range;
  if (from && to && from <= to && spanDays(from, to) <= MAX_DAYS) range = { preset: 'custom', from, to };
  else if (isPreset(preset)) range = { preset };
  const filter: ReportFilter = {};
  for (const [k, v] of q) {
    if (!k.startsWith('f.')) continue;
    const key = k.slice(2);
    if (!isFilterKey(key) || v.trim() === '' || v.length > MAX_FILTER_LENGTH) continue;
    if (key === 'channel' && !(CHANNELS as readonly string[]).includes(v)) continue; // not a crm.channel
    filter[key] = v;
  }
  return { range, filter };
}

/** `search` with the report parameters replaced by `state`'s (other parameters kept); default range omitted. */
export function serialiseReportState(state: ReportState, search = ''): string {
  const q = new URLSearchParams(search);
  for (const k of [...q.keys()]) if (k === 'range' || k === 'from' || k === 'to' || k.startsWith('f.')) q.delete(k);
  const r = state.range;
  if (r.preset === 'custom') {
    q.set('from', r.from);
    q.set('to', r.to);
  } else if (r.preset !== DEFAULT_PRESET) q.set('range', r.preset);
  for (const k of FILTER_KEYS) {
    const v = state.filter[k];
    if (v) q.set(`f.${k}`, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The UTC days a range covers (p_from, p_to) and its length. A preset ends today. */
export function resolveRange(range: ReportRange, today: string): { from: string; to: string; days: number } {
  if (range.preset === 'custom') return { from: range.from, to: range.to, days: spanDays(range.from, range.to) };
  const days = PRESET_DAYS[range.preset];
  return { from: addDays(today, -(days - 1)), to: today, days };
}

/**
 * The page as it opens: the default range and no filter. The metric cards then keep their
 * week-over-week figures (total users, online now…), which no range has.
 */
export const isDefaultState = (state: ReportState): boolean =>
  state.range.preset === DEFAULT_PRESET && FILTER_KEYS.every((k) => !state.filter[k]);
