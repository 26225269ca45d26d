// The one place RPC calls and their errors are shaped. PostgREST returns {code, message};
// SQLSTATE 42501 (PostgREST passes the SQLSTATE on as `code`) means "not allowed".
export interface RpcErrorShape {
  code?: string;
  message: string;
  details?: string | null;
  hint?: string | null;
}

export interface RpcClient {
  rpc(fn: string, args?: Record<string, unknown>): PromiseLike<{ data: unknown; error: RpcErrorShape | null }>;
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
export async function callRpc(client: RpcClient, fn: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const named = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
  const { data, error } = await client.rpc(fn, named);
  if (error) throw new RpcError(fn, error);
  return data;
}

/** setof/table results are arrays; a single composite may come back as an object. */
export function asRows(data: unknown): Record<string, unknown>[] {
  if (Array.isArray(data)) return data.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object');
  if (data && typeof data === 'object') return [data as Record<string, unknown>];
  return [];
}

/** A single-row result (json object, composite, or a one-element array). */
export function asRow(data: unknown): Record<string, unknown> | null {
  return asRows(data)[0] ?? null;
}
