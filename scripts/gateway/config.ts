// Gateway settings, read from the environment the stack (scripts/stack/gateway.ts)
// sets: the same names `supabase status -o env` prints, plus a few GATEWAY_* knobs.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FunctionRoot {
  dir: string;
  configToml: string;
}

export interface GatewayConfig {
  port: number;
  hostname: string;
  /** Public base URL, as clients and functions see it (SUPABASE_URL). */
  apiUrl: string;
  /** The `postgres` URL (not a superuser, as on hosted). */
  dbUrl: string;
  /** SUPABASE_DB_URL of the functions: `postgres` through the transaction pooler. */
  functionsDbUrl: string;
  /** The `authenticator` URL: every API request switches role from here, like PostgREST. */
  apiDbUrl: string;
  /** GoTrue's own role, `supabase_auth_admin`: it owns the auth tables. */
  authDbUrl: string;
  /** Realtime's own role, `supabase_realtime_admin`: it owns realtime.messages. */
  realtimeDbUrl: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Lifetime of access tokens issued by /auth/v1, seconds. */
  jwtExpiry: number;
  /**
   * Folders holding one folder per Edge Function, each with the config.toml that
   * carries its `verify_jwt`; the first folder holding NAME/index.ts serves NAME.
   * The test stack adds the conformance fixtures (GATEWAY_EXTRA_FUNCTIONS_DIR), so
   * test-only functions never sit in supabase/functions where a deploy would pick them up.
   */
  functionRoots: FunctionRoot[];
  /** Log one line per request. */
  logRequests: boolean;
  maxBodyBytes: number;
  /** A function that has not answered by then gets 504 (hosted Supabase: 400 s wall clock). */
  functionTimeoutMs: number;
  /** How often a joined private channel's read permission is checked again (revocation). */
  realtimeReauthMs: number;
  /**
   * Variables every function process gets, as `supabase secrets set` gives them to a
   * hosted project's functions (GATEWAY_FUNCTION_SECRETS, a JSON object of strings).
   */
  functionSecrets: Record<string, string>;
}

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function need(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set (the stack sets it; see scripts/stack/gateway.ts)`);
  return v;
}

function intEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return n;
}

/**
 * GATEWAY_FUNCTION_SECRETS: a JSON object of string values with environment-variable
 * names. Names starting with SUPABASE_ are refused, as `supabase secrets set` refuses
 * them: the platform sets those.
 */
export function parseFunctionSecrets(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('GATEWAY_FUNCTION_SECRETS is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('GATEWAY_FUNCTION_SECRETS must be a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`GATEWAY_FUNCTION_SECRETS: "${name}" is not a variable name`);
    if (name.toUpperCase().startsWith('SUPABASE_')) throw new Error(`GATEWAY_FUNCTION_SECRETS: ${name} is reserved (SUPABASE_*)`);
    if (typeof v !== 'string') throw new Error(`GATEWAY_FUNCTION_SECRETS: ${name} must be a string`);
    out[name] = v;
  }
  return out;
}

/**
 * The same server and database, logging in as one of the services' roles, with the
 * password the baseline gives them locally.
 */
export function serviceRoleUrl(dbUrl: string, role: 'authenticator' | 'supabase_auth_admin' | 'supabase_realtime_admin'): string {
  const u = new URL(dbUrl);
  u.username = role;
  u.password = Deno.env.get('GATEWAY_SERVICE_ROLES_PASSWORD') ?? 'postgres';
  return u.toString();
}

export function gatewayConfigFromEnv(): GatewayConfig {
  const apiUrl = need('API_URL');
  const url = new URL(apiUrl);
  const dbUrl = need('DB_URL');
  const extra = Deno.env.get('GATEWAY_EXTRA_FUNCTIONS_DIR');
  return {
    port: Number(url.port || 80),
    hostname: Deno.env.get('GATEWAY_HOSTNAME') ?? '127.0.0.1',
    apiUrl: apiUrl.replace(/\/$/, ''),
    dbUrl,
    functionsDbUrl: Deno.env.get('POOLER_URL') ?? dbUrl,
    apiDbUrl: serviceRoleUrl(dbUrl, 'authenticator'),
    authDbUrl: serviceRoleUrl(dbUrl, 'supabase_auth_admin'),
    realtimeDbUrl: serviceRoleUrl(dbUrl, 'supabase_realtime_admin'),
    jwtSecret: need('JWT_SECRET'),
    anonKey: need('ANON_KEY'),
    serviceRoleKey: need('SERVICE_ROLE_KEY'),
    jwtExpiry: intEnv('GATEWAY_JWT_EXPIRY', 3600),
    functionRoots: [
      {
        dir: join(repoRoot, 'supabase', 'functions'),
        configToml: join(repoRoot, 'supabase', 'config.toml'),
      },
      ...(extra ? [{ dir: extra, configToml: join(extra, 'config.toml') }] : []),
    ],
    logRequests: Deno.env.get('GATEWAY_LOG_REQUESTS') !== '0',
    maxBodyBytes: intEnv('GATEWAY_MAX_BODY_BYTES', 1024 * 1024),
    functionTimeoutMs: intEnv('GATEWAY_FUNCTION_TIMEOUT_MS', 400_000),
    realtimeReauthMs: intEnv('GATEWAY_REALTIME_REAUTH_MS', 2000),
    functionSecrets: parseFunctionSecrets(Deno.env.get('GATEWAY_FUNCTION_SECRETS')),
  };
}
