// One online session as get_online_users returns it and session_started broadcasts it:
// the single mapping from SQL names to the view's names.
import { SEGMENTS } from './enums';
import { bool, num, text } from './fields';

export interface OnlineSession {
  sessionId: string;
  userId: string | null;
  name: string | null;
  email: string | null;
  currentPage: string | null;
  /** Epoch ms the session started / the current page was entered, so durations can tick locally. */
  startedAtMs: number;
  pageSinceMs: number;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  segment: string | null;
  isStuck: boolean;
  isIdle: boolean;
}

/** Filter values of the live table, as passed to p_segment ('all' → null): activity, then every segment. */
export const SEGMENT_FILTERS = ['all', 'active', 'inactive', ...SEGMENTS] as const;
export type SegmentFilter = (typeof SEGMENT_FILTERS)[number];
export const segmentParam = (f: SegmentFilter): string | null => (f === 'all' ? null : f);

// get_online_users rows and session_started broadcasts carry seconds measured by the
// server, free of the browser's clock skew; the timestamps are only a fallback.
function since(row: Record<string, unknown>, now: number, secondsName: string, atName: string): number {
  const seconds = num(row, secondsName);
  if (seconds !== null) return now - seconds * 1000;
  const at = text(row, atName);
  const parsed = at ? Date.parse(at) : NaN;
  return Number.isFinite(parsed) ? Math.min(now, parsed) : now;
}

export function mapOnlineSession(row: Record<string, unknown>, now: number): OnlineSession {
  return {
    sessionId: text(row, 'session_id') ?? '',
    userId: text(row, 'user_id'),
    name: text(row, 'name'),
    email: text(row, 'email'),
    currentPage: text(row, 'current_page'),
    startedAtMs: since(row, now, 'time_on_site_seconds', 'started_at'),
    pageSinceMs: since(row, now, 'time_on_page_seconds', 'current_page_since'),
    deviceType: text(row, 'device_type'),
    browser: text(row, 'browser'),
    os: text(row, 'os'),
    country: text(row, 'country'),
    segment: text(row, 'segment'),
    isStuck: bool(row, 'is_stuck'),
    isIdle: bool(row, 'is_idle'),
  };
}
