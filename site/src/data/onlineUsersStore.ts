// Online-users state merged from get_online_users results and Realtime broadcasts, keyed by
// session_id. Pure functions: the server decides who is online, stuck or in a segment; this
// only applies what it says. When a message cannot be applied exactly (a filtered list, a
// session we never saw) the state asks for a refresh instead of guessing.
import { EVENTS, type CrmMessage } from './realtimeEvents';
import { mapOnlineSession, type OnlineSession } from './onlineSession';
import { bool, text } from './fields';

export interface OnlineUsersState {
  /** p_segment of the list on screen (null = everyone online). */
  segment: string | null;
  sessions: OnlineSession[];
  needsRefresh: boolean;
  /** Messages of the last RECENT_MS, replayed over a refresh that started before they came. */
  recent: { msg: CrmMessage; at: number }[];
}

const RECENT_MS = 60_000;
const RECENT_MAX = 500;

export const emptyOnlineUsers = (segment: string | null = null): OnlineUsersState => ({ segment, sessions: [], needsRefresh: false, recent: [] });

/**
 * The sessions of a get_online_users result that was requested at `since` (ms): messages
 * that arrived after that moment are applied again on top, since the snapshot may predate
 * them (a session that ended meanwhile must not come back).
 */
export function replaceAll(state: OnlineUsersState, rows: OnlineSession[], since = Infinity): OnlineUsersState {
  let next: OnlineUsersState = { ...state, sessions: rows, needsRefresh: false };
  for (const r of state.recent) if (r.at >= since) next = applyMessage(next, r.msg, r.at);
  return next;
}

/** Applies a message as it arrives and remembers it for replay over a refresh in flight. */
export function receive(state: OnlineUsersState, msg: CrmMessage, now: number): OnlineUsersState {
  const recent = [...state.recent.filter((r) => r.at >= now - RECENT_MS).slice(-(RECENT_MAX - 1)), { msg, at: now }];
  return { ...applyMessage(state, msg, now), recent };
}

const refresh = (state: OnlineUsersState): OnlineUsersState => (state.needsRefresh ? state : { ...state, needsRefresh: true });

function updateSession(state: OnlineUsersState, id: string, patch: (s: OnlineSession) => OnlineSession): OnlineUsersState {
  const i = state.sessions.findIndex((s) => s.sessionId === id);
  if (i < 0) return refresh(state);
  const sessions = state.sessions.slice();
  sessions[i] = patch(sessions[i] as OnlineSession);
  return { ...state, sessions };
}

// Payloads are those of supabase/API.md "Realtime": each carries every field it names, so
// the fields it names are taken as sent.
export function applyMessage(state: OnlineUsersState, msg: CrmMessage, now: number): OnlineUsersState {
  const p = msg.payload;
  const sessionId = text(p, 'session_id');
  const person = { userId: text(p, 'user_id'), name: text(p, 'name'), email: text(p, 'email'), segment: text(p, 'segment') };
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
      // The message is sent as the page changes: its arrival starts the page clock (no clock
      // skew). Idleness is not in it: session_idle / session_active say so.
      return updateSession(state, sessionId, (s) => ({ ...s, currentPage: text(p, 'current_page'), pageSinceMs: now, isStuck: bool(p, 'is_stuck') }));
    case EVENTS.sessionIdle:
    case EVENTS.sessionActive: {
      if (!sessionId) return state;
      const next = updateSession(state, sessionId, (s) => ({ ...s, isIdle: msg.event === EVENTS.sessionIdle }));
      // Actief/Inactief lists are defined by idleness: the server decides the new membership.
      return state.segment === 'active' || state.segment === 'inactive' ? refresh(next) : next;
    }
    case EVENTS.sessionIdentified: {
      // A merge moved this session to another user.
      if (!sessionId) return state;
      const next = updateSession(state, sessionId, (s) => ({ ...s, ...person }));
      return state.segment !== null ? refresh(next) : next;
    }
    case EVENTS.sessionStuck:
      if (!sessionId) return state;
      return updateSession(state, sessionId, (s) => ({ ...s, isStuck: true }));
    case EVENTS.sessionEnded:
      if (!sessionId) return state;
      return { ...state, sessions: state.sessions.filter((s) => s.sessionId !== sessionId) };
    case EVENTS.userIdentified: {
      // Name, email, segment or verified changed: applies to every session of that user.
      const userId = person.userId;
      if (!userId || !state.sessions.some((s) => s.userId === userId)) return state;
      const next: OnlineUsersState = {
        ...state,
        sessions: state.sessions.map((s) => (s.userId === userId ? { ...s, ...person } : s)),
      };
      // In a filtered list a changed segment may move the row out: ask the server.
      return state.segment !== null ? refresh(next) : next;
    }
    default:
      return state;
  }
}
