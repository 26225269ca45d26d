// Online-users state merged from get_online_users results and Realtime broadcasts, keyed by
// session_id. Pure functions: the server decides who is online, stuck or in a segment; this
// only applies what it says. When a message cannot be applied exactly (a filtered list, a
// session we never saw) the state asks for a refresh instead of guessing.
import { EVENTS, type CrmMessage } from './realtimeEvents';
import { mapOnlineSession, type OnlineSession } from './onlineSession';
import { bool, field, num, text } from './fields';

export interface OnlineUsersState {
  /** p_segment of the list on screen (null = everyone online). */
  segment: string | null;
  sessions: OnlineSession[];
  needsRefresh: boolean;
}

export const emptyOnlineUsers = (segment: string | null = null): OnlineUsersState => ({ segment, sessions: [], needsRefresh: false });

export function replaceAll(state: OnlineUsersState, rows: OnlineSession[]): OnlineUsersState {
  return { ...state, sessions: rows, needsRefresh: false };
}

const refresh = (state: OnlineUsersState): OnlineUsersState => (state.needsRefresh ? state : { ...state, needsRefresh: true });

function updateSession(state: OnlineUsersState, id: string, patch: (s: OnlineSession) => OnlineSession): OnlineUsersState {
  const i = state.sessions.findIndex((s) => s.sessionId === id);
  if (i < 0) return refresh(state);
  const sessions = state.sessions.slice();
  sessions[i] = patch(sessions[i] as OnlineSession);
  return { ...state, sessions };
}

export function applyMessage(state: OnlineUsersState, msg: CrmMessage, now: number): OnlineUsersState {
  const p = msg.payload;
  const sessionId = text(p, 'session_id', 'id');
  switch (msg.event) {
    case EVENTS.sessionStarted: {
      if (!sessionId) return state;
      // Only the server knows whether a new session belongs to a filtered list.
      if (state.segment !== null) return refresh(state);
      const row = mapOnlineSession(p, now);
      const others = state.sessions.filter((s) => s.sessionId !== sessionId);
      return { ...state, sessions: [row, ...others] };
    }
    case EVENTS.pageChanged:
      if (!sessionId) return state;
      // The message is sent as the page changes: its arrival starts the page clock (no clock skew).
      return updateSession(state, sessionId, (s) => ({
        ...s,
        currentPage: text(p, 'current_page', 'path') ?? s.currentPage,
        pageSinceMs: now - (num(p, 'time_on_page_seconds') ?? 0) * 1000,
        isStuck: bool(p, 'is_stuck'),
        isIdle: field(p, 'is_idle') === undefined ? s.isIdle : bool(p, 'is_idle'),
      }));
    case EVENTS.sessionIdle:
    case EVENTS.sessionActive: {
      if (!sessionId) return state;
      const next = updateSession(state, sessionId, (s) => ({ ...s, isIdle: msg.event === EVENTS.sessionIdle }));
      // Actief/Inactief lists are defined by idleness: the server decides the new membership.
      return state.segment === 'active' || state.segment === 'inactive' ? refresh(next) : next;
    }
    case EVENTS.sessionIdentified: {
      if (!sessionId) return state;
      const next = updateSession(state, sessionId, (s) => ({
        ...s,
        userId: text(p, 'user_id') ?? s.userId,
        displayName: text(p, 'display_name', 'name') ?? s.displayName,
        email: text(p, 'email') ?? s.email,
        segment: text(p, 'segment') ?? s.segment,
      }));
      return state.segment !== null ? refresh(next) : next;
    }
    case EVENTS.sessionStuck:
      if (!sessionId) return state;
      return updateSession(state, sessionId, (s) => ({ ...s, isStuck: field(p, 'is_stuck') === undefined ? true : bool(p, 'is_stuck') }));
    case EVENTS.sessionEnded:
      if (!sessionId) return state;
      return { ...state, sessions: state.sessions.filter((s) => s.sessionId !== sessionId) };
    case EVENTS.userIdentified:
    case EVENTS.segmentChanged: {
      const userId = text(p, 'user_id');
      if (!userId) return state;
      // An identify can merge an anonymous user into another: the previous id names the old row.
      const ids = new Set([userId, text(p, 'previous_user_id', 'merged_user_id')].filter((x): x is string => !!x));
      if (!state.sessions.some((s) => s.userId !== null && ids.has(s.userId))) return state;
      const next: OnlineUsersState = {
        ...state,
        sessions: state.sessions.map((s) =>
          s.userId !== null && ids.has(s.userId)
            ? {
                ...s,
                userId,
                displayName: text(p, 'display_name', 'name') ?? s.displayName,
                email: text(p, 'email') ?? s.email,
                segment: text(p, 'segment') ?? s.segment,
              }
            : s,
        ),
      };
      // In a filtered list a changed segment may move the row out: ask the server.
      return state.segment !== null && field(p, 'segment') !== undefined ? refresh(next) : next;
    }
    default:
      return state;
  }
}
