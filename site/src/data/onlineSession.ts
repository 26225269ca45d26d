// One online session as get_online_users returns it and session_started broadcasts it:
// the single mapping from SQL names to the view's names.
import { bool, num, text } from './fields';

export interface OnlineSession {
  sessionId: string;
  userId: string | null;
  displayName: string | null;
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

/** Segment filter values of the table, as passed to p_segment ('all' → null). */
export const SEGMENT_FILTERS = ['all', 'active', 'inactive', 'premium', 'trial', 'churned'] as const;
export type SegmentFilter = (typeof SEGMENT_FILTERS)[number];
export const segmentParam = (f: SegmentFilter): string | null => (f === 'all' ? null : f);

// get_online_users rows carry seconds measured by the server (free of client clock skew);
// session_started broadcasts carry only the server's timestamps, moved onto the browser's
// clock by skewMs (browser clock − server clock, see clockSkewMs).
function since(row: Record<string, unknown>, now: number, secondsName: string, atName: string, skewMs: number): number {
  const seconds = num(row, secondsName);
  if (seconds !== null) return now - seconds * 1000;
  const at = text(row, atName);
  const parsed = at ? Date.parse(at) : NaN;
  return Number.isFinite(parsed) ? Math.min(now, parsed + skewMs) : now;
}

/**
 * Browser clock minus server clock, from get_online_users rows received at `now`: each
 * row gives the server's started_at and the seconds since (whole seconds, so this is
 * good to about a second). The median of the rows; null without any (keep the last one).
 */
export function clockSkewMs(rows: Record<string, unknown>[], now: number): number | null {
  const skews = rows
    .map((r) => {
      const seconds = num(r, 'time_on_site_seconds');
      const at = Date.parse(text(r, 'started_at') ?? '');
      return seconds !== null && seconds > 0 && Number.isFinite(at) ? now - seconds * 1000 - at : NaN;
    })
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return skews.length ? (skews[Math.floor(skews.length / 2)] as number) : null;
}

export function mapOnlineSession(row: Record<string, unknown>, now: number, skewMs = 0): OnlineSession {
  return {
    sessionId: text(row, 'session_id') ?? '',
    userId: text(row, 'user_id'),
    displayName: text(row, 'display_name'),
    email: text(row, 'email'),
    currentPage: text(row, 'current_page'),
    startedAtMs: since(row, now, 'time_on_site_seconds', 'started_at', skewMs),
    pageSinceMs: since(row, now, 'time_on_page_seconds', 'current_page_since', skewMs),
    deviceType: text(row, 'device_type'),
    browser: text(row, 'browser'),
    os: text(row, 'os'),
    country: text(row, 'country'),
    segment: text(row, 'segment'),
    isStuck: bool(row, 'is_stuck'),
    isIdle: bool(row, 'is_idle'),
  };
}
