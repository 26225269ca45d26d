// The hook behind every per-RPC hook: load, refresh on an interval and after a Realtime
// reconnect, keep the last good data when a refresh fails.
import { useCallback, useEffect, useRef, useState } from 'react';
import { getBackend } from './client';
import { connectionStore, markUpdated } from './connection';
import type { RpcClient } from './rpc';
import { useStore } from '../lib/store';

export type QueryState<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; data: T; error: Error | null }
  | { status: 'error'; error: Error };

export function settle<T>(prev: QueryState<T>, result: { data: T } | { error: Error }): QueryState<T> {
  if ('data' in result) return { status: 'ready', data: result.data, error: null };
  // A failed refresh keeps what is on screen and shows the error beside it.
  if (prev.status === 'ready') return { ...prev, error: result.error };
  return { status: 'error', error: result.error };
}

export interface QueryOptions {
  /** null/undefined disables the query (e.g. no project selected yet). */
  enabled?: boolean;
  refreshMs?: number;
  refreshOnReconnect?: boolean;
}

export interface Query<T> {
  state: QueryState<T>;
  reload: () => void;
}

export function useRpcQuery<T>(
  fetcher: (rpc: RpcClient) => Promise<T>,
  key: readonly unknown[],
  { enabled = true, refreshMs, refreshOnReconnect = false }: QueryOptions = {},
): Query<T> {
  const [state, setState] = useState<QueryState<T>>(enabled ? { status: 'loading' } : { status: 'idle' });
  const [tick, setTick] = useState(0);
  const reconnects = useStore(connectionStore).reconnects;
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const keyString = JSON.stringify(key);

  // A new key starts from loading; a refresh of the same key keeps the data.
  useEffect(() => {
    setState(enabled ? { status: 'loading' } : { status: 'idle' });
  }, [keyString, enabled]);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    getBackend()
      .then(({ rpc }) => fetcherRef.current(rpc))
      .then(
        (data) => {
          if (!live) return;
          markUpdated();
          setState((prev) => settle(prev, { data }));
        },
        (e: unknown) => live && setState((prev) => settle(prev, { error: e instanceof Error ? e : new Error(String(e)) })),
      );
    return () => {
      live = false;
    };
  }, [keyString, enabled, tick, refreshOnReconnect ? reconnects : 0]);

  useEffect(() => {
    if (!enabled || !refreshMs) return;
    const id = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(id);
  }, [keyString, enabled, refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { state, reload };
}

export interface RpcAction<A extends unknown[], R> {
  busy: boolean;
  error: Error | null;
  /** The last run succeeded (for a short "saved"). */
  done: boolean;
  /** Never rejects: a failure resolves to {ok: false} and shows in `error`. */
  run: (...args: A) => Promise<{ ok: true; value: R } | { ok: false }>;
}

/** The hook behind every action RPC (create, settings, exports): one call at a time, with its state. */
export function useRpcAction<A extends unknown[], R>(fn: (rpc: RpcClient, ...args: A) => Promise<R>): RpcAction<A, R> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState(false);
  const run = useCallback(
    async (...args: A): Promise<{ ok: true; value: R } | { ok: false }> => {
      setBusy(true);
      setError(null);
      setDone(false);
      try {
        const { rpc } = await getBackend();
        const result = await fn(rpc, ...args);
        setDone(true);
        return { ok: true, value: result };
      } catch (e) {
        setError(e instanceof Error ? e : new Error(String(e)));
        return { ok: false };
      } finally {
        setBusy(false);
      }
    },
    [fn],
  );
  return { busy, error, done, run };
}
