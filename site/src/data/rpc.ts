// The one place RPC calls and their errors are shaped, typed by the generated `Database`
// (supabase/types/database.ts, `npm run gen:types`). PostgREST returns {code, message};
// SQLSTATE 42501 (PostgREST passes the SQLSTATE on as `code`) means "not allowed".
import type { Database } from '../../../supabase/types/database';

type Functions = Database['public']['Functions'];
export type RpcName = keyof Functions & string;
export type RpcArgs<F extends RpcName> = Functions[F]['Args'];
export type RpcResult<F extends RpcName> = Functions[F]['Returns'];
/**
 * One row of a `returns table` RPC as it arrives. The generator types every column of
 * such a result as non-null, but SQL can return null in any: mappers must handle it.
 */
export type RpcRow<F extends RpcName> = RpcResult<F> extends (infer R)[] ? { [K in keyof R]: R[K] | null } : never;

export interface RpcErrorShape {
  code?: string;
  message: string;
  details?: string | null;
  hint?: string | null;
}

/** What the site needs of supabase-js: `createClient<Database>(…)` satisfies it as is. */
export interface RpcClient {
  rpc<F extends RpcName>(fn: F, args?: RpcArgs<F>): PromiseLike<{ data: RpcResult<F> | null; error: RpcErrorShape | null }>;
}

export const NOT_ALLOWED = '42501';

export class RpcError extends Error {
  readonly code: string;
  readonly fn: string;
  constructor(fn: string, e: RpcErrorShape) {
    super(e.message);
    this.name = 'RpcError';
    this.fn = fn;
    this.code = e.code ?? '';
  }
  get notAllowed(): boolean {
    return this.code === NOT_ALLOWED;
  }
}

/** Calls an RPC; omitted (undefined) args are dropped so SQL defaults apply. */
export async function callRpc<F extends RpcName>(client: RpcClient, fn: F, args?: RpcArgs<F>): Promise<RpcResult<F> | null> {
  const named = Object.fromEntries(Object.entries(args ?? {}).filter(([, v]) => v !== undefined)) as RpcArgs<F>;
  const { data, error } = await client.rpc(fn, named);
  if (error) throw new RpcError(fn, error);
  return data;
}

type JsonObject = Record<string, unknown>;

/** A jsonb answer that is an array: its objects (the generator types jsonb as Json, no shape). */
export function asRows(data: unknown): JsonObject[] {
  if (Array.isArray(data)) return data.filter((r): r is JsonObject => !!r && typeof r === 'object');
  if (data && typeof data === 'object') return [data as JsonObject];
  return [];
}

/** A jsonb answer that is one object. */
export function asRow(data: unknown): JsonObject | null {
  return asRows(data)[0] ?? null;
}
