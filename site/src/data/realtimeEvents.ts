// Names of the Realtime contract, in one place: channel topic and broadcast events.
export const crmTopic = (projectId: string): string => `crm:${projectId}`;

// The events of supabase/API.md "Realtime", as sent by supabase/migrations/*_realtime.sql
// (crm.broadcast_session_change and crm.broadcast_user_change), and alert_fired by the alerts
// migration.
export const EVENTS = {
  sessionStarted: 'session_started',
  pageChanged: 'page_changed',
  /** a session moved to another user (identity merge) */
  sessionIdentified: 'session_identified',
  userIdentified: 'user_identified',
  sessionEnded: 'session_ended',
  sessionStuck: 'session_stuck',
  sessionIdle: 'session_idle',
  sessionActive: 'session_active',
  /** a firing of an alert rule with the dashboard channel (alertFired.ts) */
  alertFired: 'alert_fired',
} as const;

export type CrmEventName = (typeof EVENTS)[keyof typeof EVENTS];

export interface CrmMessage {
  event: string;
  payload: Record<string, unknown>;
}

/** The SQL sends with realtime.send: the payload object arrives as built (plus Realtime's `id`). */
export function asPayload(payload: unknown): Record<string, unknown> {
  return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
}
