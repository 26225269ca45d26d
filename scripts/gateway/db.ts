// Database access. One pool per service, each with the role hosted Supabase gives
// that service: `api` logs in as `authenticator` and switches role per transaction
// (PostgREST, Realtime's RLS checks); `auth` as `supabase_auth_admin` (GoTrue);
// `realtime` as `supabase_realtime_admin` (Realtime reading new messages). None is a
// superuser.
// porsager/postgres reconnects by itself, so a Postgres restart only fails the
// requests made while it is down.
import postgres from 'postgres';
import { reconnectBackoff } from '../../supabase/functions/_shared/db.ts';
import type { Claims } from './jwt.ts';
import { sqlLiteral } from './sql-literal.ts';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export interface Db {
  api: Sql;
  auth: Sql;
  realtime: Sql;
  /** A fresh single-connection client for LISTEN (Realtime replaces it when it goes deaf). */
  listener: () => Sql;
  close(): Promise<void>;
}

export interface DbUrls {
  api: string;
  auth: string;
  realtime: string;
}

export function openDb(urls: DbUrls): Db {
  const common = {
    prepare: false,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    // Not postgres.js's default, which grows to 20 s and leaves queries waiting after a restart.
    backoff: reconnectBackoff,
    // Keep JSON as text where we ask for text; dates as strings.
    types: {},
    connection: { application_name: 'vibe-gateway' },
  };
  const api = postgres(urls.api, { ...common, max: 10 });
  const auth = postgres(urls.auth, { ...common, max: 4 });
  const realtime = postgres(urls.realtime, { ...common, max: 4 });
  return {
    api,
    auth,
    realtime,
    listener: () => postgres(urls.realtime, { ...common, max: 1, idle_timeout: 0 }),
    close: async () => {
      await Promise.allSettled([api, auth, realtime].map((p) => p.end({ timeout: 2 })));
    },
  };
}

/** Errors that mean "the database is not reachable right now", not "the query is wrong". */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; errno?: string };
  const code = err?.code ?? '';
  return [
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'CONNECT_TIMEOUT',
    'CONNECTION_CLOSED',
    'CONNECTION_ENDED',
    'CONNECTION_DESTROYED',
    '57P01',
    '57P02',
    '57P03',
    '08006',
    '08001',
    '08003',
    '08004',
  ].includes(code) || /connect|ECONNREFUSED/i.test(String(err?.errno ?? ''));
}

export interface RequestContext {
  role: string;
  claims: Claims;
  method: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * The statement that applies the role and the request settings transaction-locally,
 * as PostgREST does, written with literals so that it can share one simple-protocol
 * message with the call: the statements of one message form one implicit
 * transaction, so the settings reach the call, vanish after it, and an error rolls
 * everything back. `set_config('role', …)` fails for a role `authenticator` may not become.
 */
export function contextStatement(
  ctx: RequestContext,
  timeout: string | null | undefined,
  readOnly: boolean,
  extra?: string,
): string {
  const set = (name: string, value: string) =>
    `set_config(${sqlLiteral(name)}, ${sqlLiteral(value)}, true)`;
  return 'select ' + [
    set('role', ctx.role),
    set('request.jwt.claims', JSON.stringify(ctx.claims)),
    set('request.method', ctx.method),
    set('request.path', ctx.path),
    set('request.headers', JSON.stringify(ctx.headers)),
    set('search_path', 'public, extensions'),
    ...(timeout ? [set('statement_timeout', timeout)] : []),
    ...(readOnly ? [set('transaction_read_only', 'on')] : []),
    ...(extra ? [extra] : []),
  ].join(', ');
}

/** Thrown inside a transaction to roll it back on purpose (authorisation probes). */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

export async function inRolledBackTx<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    await sql.begin(async (tx) => {
      throw new Rollback(await fn(tx));
    });
  } catch (e) {
    if (e instanceof Rollback) return e.value as T;
    throw e;
  }
  throw new Error('unreachable');
}

/**
 * Role-level settings (`alter role anon set statement_timeout = '3s'`) apply only at
 * login, not on SET ROLE, so PostgREST re-applies them per request. We do the same
 * for statement_timeout, refreshed every minute.
 */
export class RoleTimeouts {
  #map = new Map<string, string>();
  #loadedAt = 0;
  constructor(private sql: Sql) {}

  async get(role: string): Promise<string | undefined> {
    if (Date.now() - this.#loadedAt > 60_000) {
      this.#loadedAt = Date.now();
      try {
        const rows = await this.sql.unsafe<{ role: string; value: string }[]>(
          `select r.rolname as role, split_part(c, '=', 2) as value
             from pg_db_role_setting s join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
            where s.setdatabase = 0 and c like 'statement_timeout=%'`,
        );
        this.#map = new Map(rows.map((r) => [r.role, r.value]));
      } catch {
        this.#loadedAt = 0; // database down: try again next time
      }
    }
    return this.#map.get(role);
  }
}
