// Names of the Realtime contract, in one place: channel topic and broadcast events.
export const crmTopic = (projectId: string): string => `crm:${projectId}`;

// As sent by supabase/migrations/*_realtime.sql (crm.broadcast_session_change and
// crm.broadcast_user_change).
export const EVENTS = {
  sessionStarted: 'session_started',
  pageChanged: 'page_changed',
  /** a session moved to another user (identity merge) */
  sessionIdentified: 'session_identified',
  userIdentified: 'user_identified',
  segmentChanged: 'segment_changed',
  sessionEnded: 'session_ended',
  sessionStuck: 'session_stuck',
  sessionIdle: 'session_idle',
  sessionActive: 'session_active',
} as const;

export type CrmEventName = (typeof EVENTS)[keyof typeof EVENTS];

export interface CrmMessage {
  event: string;
  payload: Record<string, unknown>;
}

/** realtime.send payloads arrive as is; realtime.broadcast_changes wraps the row in `record`. */
export function unwrapPayload(payload: unknown): Record<string, unknown> {
  if (!payload || typeof payload !== 'object') return {};
  const p = payload as Record<string, unknown>;
  const record = p.record;
  return record && typeof record === 'object' ? (record as Record<string, unknown>) : p;
}
