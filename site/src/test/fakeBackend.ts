// A fake supabase-js for component tests: RPC answers from a function, a signed-in session,
// and a Realtime channel whose broadcasts and status the test drives.
import type { Backend } from '../data/client';
import type { RpcErrorShape } from '../data/rpc';

type Answer = (fn: string, args: Record<string, unknown>) => { data?: unknown; error?: RpcErrorShape };

export interface FakeChannel {
  topic: string;
  opts: unknown;
  broadcast(event: string, payload: unknown): void;
  status(s: string): void;
}

export function fakeBackend(answer: Answer) {
  const calls: { fn: string; args: Record<string, unknown> }[] = [];
  const channels: FakeChannel[] = [];
  const authTokens: string[] = [];
  const session = { access_token: 'user-jwt', user: { id: 'dash-user' } };
  const supabase = {
    rpc(fn: string, args: Record<string, unknown> = {}) {
      calls.push({ fn, args });
      const a = answer(fn, args);
      return Promise.resolve({ data: a.data ?? null, error: a.error ?? null });
    },
    auth: {
      getSession: () => Promise.resolve({ data: { session }, error: null }),
      onAuthStateChange: () => ({ data: { subscription: { unsubscribe() {} } } }),
    },
    realtime: {
      setAuth: (token: string) => {
        authTokens.push(token);
        return Promise.resolve();
      },
    },
    channel(topic: string, opts: unknown) {
      let onBroadcast: (m: { event: string; payload: unknown }) => void = () => {};
      let onStatus: (s: string) => void = () => {};
      const ch = {
        on(_type: string, _filter: unknown, cb: typeof onBroadcast) {
          onBroadcast = cb;
          return ch;
        },
        subscribe(cb: typeof onStatus) {
          onStatus = cb;
          return ch;
        },
      };
      channels.push({ topic, opts, broadcast: (event, payload) => onBroadcast({ event, payload }), status: (s) => onStatus(s) });
      return ch;
    },
    removeChannel: () => Promise.resolve('ok'),
  };
  const backend = {
    supabase,
    rpc: supabase,
    config: { supabaseUrl: 'http://sb', anonKey: 'anon', ingestUrl: 'http://sb/functions/v1/ingest' },
  } as unknown as Backend;
  return { backend, calls, channels, authTokens };
}
