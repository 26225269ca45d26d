// A recording fake of supabase-js `.rpc` for unit tests.
import type { RpcClient, RpcErrorShape } from './rpc';

export interface RpcCall {
  fn: string;
  args: Record<string, unknown> | undefined;
}

export function fakeRpc(answer: (fn: string, args?: Record<string, unknown>) => { data?: unknown; error?: RpcErrorShape }) {
  const calls: RpcCall[] = [];
  const fake = {
    rpc(fn: string, args?: Record<string, unknown>) {
      calls.push({ fn, args });
      const a = answer(fn, args);
      return Promise.resolve({ data: a.data ?? null, error: a.error ?? null });
    },
  };
  // Answers are the test's fixtures, not checked against the generated types.
  return { rpc: fake as unknown as RpcClient, calls };
}
