// /rest/v1: PostgREST's RPC endpoint for functions in `public`. Table
// endpoints are not served locally; they answer like PostgREST does for an unknown table.
import type { GatewayConfig } from './config.ts';
import {
  contextStatement,
  type Db,
  isConnectionError,
  type RequestContext,
  RoleTimeouts,
} from './db.ts';
import { BadJson, bearer, BodyTooLarge, json, readJson } from './http.ts';
import type { Claims, Jwt } from './jwt.ts';
import { NulInText } from './sql-literal.ts';
import {
  contentRange,
  freshnessCheck,
  type FunctionInfo,
  inline,
  LOOKUP_SQL,
  planCall,
  RpcError,
  STALE_LOOKUP,
  statusForSqlState,
} from './rpc.ts';

/** Query parameters PostgREST reads itself rather than passing as arguments. */
const RESERVED_QUERY = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict']);

function errorResponse(e: RpcError, extra: Record<string, string> = {}): Response {
  return json(e.status, e.body(), extra);
}

function jwtError(kind: 'expired' | 'malformed' | 'invalid', message: string): Response {
  const code = kind === 'expired' ? 'PGRST303' : 'PGRST301';
  const msg = kind === 'expired' ? 'JWT expired' : message;
  return json(401, { code, details: null, hint: null, message: msg }, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${
      msg.replaceAll('"', "'")
    }"`,
  });
}

/** Role and claims from the Authorization header; no token → anon. */
export async function requestClaims(
  req: Request,
  jwt: Jwt,
): Promise<{ claims: Claims; role: string } | Response> {
  const token = bearer(req);
  if (token === null) return { claims: { role: 'anon' }, role: 'anon' };
  const check = await jwt.verify(token);
  if (!check.ok) return jwtError(check.kind, check.message);
  return {
    claims: check.claims,
    role: typeof check.claims.role === 'string' ? check.claims.role : 'anon',
  };
}

function lowerHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  req.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
  return out;
}

const LOOKUP_CACHE_SIZE = 1000;

export class Rest {
  #timeouts: RoleTimeouts;
  /** Lookups of names with exactly one function, reused under freshnessCheck. */
  #lookups = new Map<string, FunctionInfo[]>();
  constructor(private cfg: GatewayConfig, private db: Db, private jwt: Jwt) {
    this.#timeouts = new RoleTimeouts(db.api);
  }

  async #candidates(
    name: string,
    fresh: boolean,
  ): Promise<{ fns: FunctionInfo[]; cached: boolean }> {
    const hit = fresh ? undefined : this.#lookups.get(name);
    if (hit) return { fns: hit, cached: true };
    const [found] = await this.db.api.unsafe<{ fns: string }[]>(LOOKUP_SQL, [name]);
    const fns = JSON.parse(found!.fns) as FunctionInfo[];
    if (fns.length === 1) {
      if (this.#lookups.size >= LOOKUP_CACHE_SIZE) this.#lookups.clear();
      this.#lookups.set(name, fns);
    } else {
      this.#lookups.delete(name);
    }
    return { fns, cached: false };
  }

  async handle(req: Request, path: string): Promise<Response> {
    const m = path.match(/^\/rest\/v1\/rpc\/([^/]+)\/?$/);
    if (!m) {
      const table = path.replace(/^\/rest\/v1\/?/, '').split('/')[0] || '';
      return errorResponse(
        new RpcError(
          404,
          'PGRST205',
          `Could not find the table 'public.${table}' in the schema cache`,
          'Only RPC (/rest/v1/rpc/NAME) is served by the local gateway; tables are not exposed.',
        ),
      );
    }
    const name = decodeURIComponent(m[1]!);
    const method = req.method.toUpperCase();
    if (!['GET', 'HEAD', 'POST'].includes(method)) {
      return errorResponse(new RpcError(405, 'PGRST101', `Cannot use the ${method} method on RPC`));
    }
    const profile = req.headers.get(method === 'POST' ? 'content-profile' : 'accept-profile');
    if (profile && profile !== 'public') {
      return errorResponse(
        new RpcError(406, 'PGRST106', 'The schema must be one of the following: public'),
      );
    }
    const who = await requestClaims(req, this.jwt);
    if (who instanceof Response) return who;

    let args: unknown;
    const fromQuery = method !== 'POST';
    if (fromQuery) {
      const q: Record<string, string> = {};
      for (const [k, v] of new URL(req.url).searchParams) if (!RESERVED_QUERY.has(k)) q[k] = v;
      args = q;
    } else {
      try {
        args = await readJson(req, this.cfg.maxBodyBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          return json(413, { code: 'PGRST413', details: null, hint: null, message: e.message });
        }
        if (e instanceof BadJson) {
          return errorResponse(new RpcError(400, 'PGRST102', 'Empty or invalid json', e.message));
        }
        throw e;
      }
    }
    const exact = /count=(exact|planned|estimated)/.test(req.headers.get('prefer') ?? '');
    const ctx: RequestContext = {
      role: who.role,
      claims: who.claims,
      method,
      path: `/rpc/${name}`,
      headers: lowerHeaders(req),
    };
    try {
      const timeout = await this.#timeouts.get(who.role);
      // One message with the settings and the call; the lookup before it is reused
      // while the function stays the same (the message itself checks that).
      let results: { body: string | null; n: number }[][] | undefined;
      let plan!: ReturnType<typeof planCall>;
      for (let fresh = false; results === undefined; fresh = true) {
        const { fns, cached } = await this.#candidates(name, fresh);
        try {
          plan = planCall(name, fns, args, fromQuery, inline());
          const guard = cached ? freshnessCheck(fns[0]!) : undefined;
          results = await this.db.api.unsafe<{ body: string | null; n: number }[][]>(
            `${contextStatement(ctx, timeout, fromQuery, guard)};\n${plan.sql}`,
          );
        } catch (e) {
          const stale = e instanceof RpcError ||
            String((e as Error).message).includes(STALE_LOOKUP);
          if (cached && stale) continue; // the function changed: look it up again
          throw e;
        }
      }
      const row = results[1]?.[0];
      const result = { shape: plan.shape, body: row?.body ?? 'null', n: row?.n ?? 0 };
      const headers: Record<string, string> = {
        'Content-Range': contentRange(result.shape, result.n, exact),
        'Content-Type': 'application/json; charset=utf-8',
      };
      if (result.shape === 'void') return new Response(null, { status: 204, headers });
      // `.single()` asks for one object: exactly one row, else PGRST116 (406).
      if (
        result.shape === 'set' &&
        (req.headers.get('accept') ?? '').includes('application/vnd.pgrst.object+json')
      ) {
        if (result.n !== 1) {
          return errorResponse(
            new RpcError(
              406,
              'PGRST116',
              'JSON object requested, multiple (or no) rows returned',
              `The result contains ${result.n} rows`,
            ),
          );
        }
        result.body = JSON.stringify((JSON.parse(result.body) as unknown[])[0]);
      }
      return new Response(method === 'HEAD' ? null : result.body, { status: 200, headers });
    } catch (e) {
      if (e instanceof RpcError) return errorResponse(e);
      if (e instanceof NulInText) {
        return errorResponse(
          new RpcError(400, '22P05', 'unsupported Unicode escape sequence', e.message),
        );
      }
      if (isConnectionError(e)) {
        return json(503, {
          code: 'PGRST001',
          details: String((e as Error).message),
          hint: null,
          message: 'Database client error. Retrying the connection.',
        });
      }
      const pg = e as { code?: string; message?: string; detail?: string; hint?: string };
      if (typeof pg.code === 'string' && /^[0-9A-Z]{5}$/.test(pg.code)) {
        return json(statusForSqlState(pg.code, who.role), {
          code: pg.code,
          details: pg.detail ?? null,
          hint: pg.hint ?? null,
          message: pg.message ?? 'error',
        });
      }
      throw e;
    }
  }
}
