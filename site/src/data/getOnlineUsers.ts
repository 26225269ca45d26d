// get_online_users(p_project_id, p_segment): who is on the site now, kept live by merging
// Realtime broadcasts (onlineUsersStore) and healed by a full refresh every 10 s and after
// a reconnect.
import { useEffect, useReducer } from 'react';
import { callRpc, type RpcClient } from './rpc';
import { mapOnlineSession, segmentParam, type OnlineSession, type SegmentFilter } from './onlineSession';
import { emptyOnlineUsers, receive, replaceAll, type OnlineUsersState } from './onlineUsersStore';
import { useRpcQuery, type QueryState } from './query';
import { useCrmChannel, useCrmMessages } from './realtime';
import type { CrmMessage } from './realtimeEvents';

export const ONLINE_REFRESH_MS = 10_000;

export async function fetchOnlineUsers(rpc: RpcClient, projectId: string, filter: SegmentFilter, now = Date.now): Promise<OnlineSession[]> {
  const data = await callRpc(rpc, 'get_online_users', { p_project_id: projectId, p_segment: segmentParam(filter) ?? undefined });
  const at = now();
  return (data ?? []).map((r) => mapOnlineSession(r, at));
}

type Action =
  | { type: 'reset'; segment: string | null }
  | { type: 'rows'; rows: OnlineSession[]; since: number }
  | { type: 'msg'; msg: CrmMessage; now: number };

function reducer(state: OnlineUsersState, a: Action): OnlineUsersState {
  if (a.type === 'reset') return emptyOnlineUsers(a.segment);
  if (a.type === 'rows') return replaceAll(state, a.rows, a.since);
  return receive(state, a.msg, a.now);
}

export interface OnlineUsersView {
  status: QueryState<unknown>['status'];
  error: Error | null;
  sessions: OnlineSession[];
  reload: () => void;
}

export function useOnlineUsers(projectId: string | null, filter: SegmentFilter): OnlineUsersView {
  const segment = segmentParam(filter);
  const [state, dispatch] = useReducer(reducer, segment, emptyOnlineUsers);
  const query = useRpcQuery(async (rpc) => {
    const since = Date.now(); // messages after this may be missing from the result
    return { rows: await fetchOnlineUsers(rpc, projectId as string, filter), since };
  }, ['get_online_users', projectId, filter], {
    enabled: !!projectId,
    refreshMs: ONLINE_REFRESH_MS,
    refreshOnReconnect: true,
  });
  useCrmChannel(projectId);
  useEffect(() => dispatch({ type: 'reset', segment }), [projectId, segment]);
  // Only new rows replace the list: a failed refresh keeps the last rows in query.state
  // (with the error beside them), and replaying those would undo every broadcast since.
  const snapshot = query.state.status === 'ready' ? query.state.data : null;
  useEffect(() => {
    if (snapshot) dispatch({ type: 'rows', rows: snapshot.rows, since: snapshot.since });
  }, [snapshot]);
  useCrmMessages((msg) => dispatch({ type: 'msg', msg, now: Date.now() }), []);
  const { reload } = query;
  useEffect(() => {
    if (state.needsRefresh) reload();
  }, [state.needsRefresh, reload]);
  const s = query.state;
  return {
    status: s.status,
    error: s.status === 'error' || s.status === 'ready' ? s.error : null,
    sessions: state.sessions,
    reload,
  };
}
