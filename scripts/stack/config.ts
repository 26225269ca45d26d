// Where each local stack lives and which ports it uses. Two profiles: `dev` (npm
// start/up, ports like `supabase start`) and `test` (npm test: its own folder and
// ports, so a running dev stack is never touched).
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

export type Profile = 'dev' | 'test';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const isRoot = Deno.uid() === 0;
export const pgBin = Deno.env.get('VIBE_PG_BIN') ?? '/usr/lib/postgresql/15/bin';

export interface StackConfig {
  profile: Profile;
  /** Git-ignored folder with the state file, logs and pid files of this profile. */
  stateDir: string;
  /** Folder of the PostgreSQL cluster (data + log); outside the repo when root. */
  clusterDir: string;
  dbPort: number;
  apiPort: number;
  /** The dashboard's static server. */
  sitePort: number;
  /** PgBouncer in transaction mode: the Edge Function's way in, as hosted's pooler. */
  poolerPort: number;
}

function envPort(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a valid port`);
  }
  return port;
}

export function stackConfig(profile: Profile): StackConfig {
  const test = profile === 'test';
  // VIBE_STACK / VIBE_TEST_STACK name the folder, so several stacks can coexist.
  const name = Deno.env.get(test ? 'VIBE_TEST_STACK' : 'VIBE_STACK') ?? profile;
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`stack name "${name}" may only use a-z, 0-9 and -`);
  const stateDir = join(repoRoot, '.local', name);
  // initdb/postgres refuse to run as root, so as root the cluster belongs to the
  // `postgres` system user and must sit where that user can reach it, even when the
  // checkout is under a root-only folder: one folder per checkout under /var/lib.
  const checkoutId = createHash('sha256').update(repoRoot).digest('hex').slice(0, 12);
  const clusterDir = isRoot
    ? join('/var/lib/vibe-crm', `${checkoutId}-${name}`)
    : join(stateDir, 'cluster');
  return {
    profile,
    stateDir,
    clusterDir,
    // The test ports sit below Linux's ephemeral range (32768–60999): the browser suite
    // binds its dashboard late, after thousands of client connections, and one of those
    // could be holding a port in that range. (Dev keeps Supabase's usual ports.)
    dbPort: envPort(test ? 'VIBE_TEST_DB_PORT' : 'VIBE_DB_PORT', test ? 25322 : 54322),
    apiPort: envPort(test ? 'VIBE_TEST_API_PORT' : 'VIBE_API_PORT', test ? 25321 : 54321),
    sitePort: envPort(test ? 'VIBE_TEST_SITE_PORT' : 'VIBE_SITE_PORT', test ? 25430 : 4321),
    // 54329 is where `supabase start` puts its pooler.
    poolerPort: envPort(test ? 'VIBE_TEST_POOLER_PORT' : 'VIBE_POOLER_PORT', test ? 25329 : 54329),
  };
}

/**
 * Where the test stack's notify function sends alert e-mail (RESEND_API_URL): a test
 * binds an e-mail sink on this port (EMAIL_SINK_PORT in the tests' environment).
 */
export function testEmailSinkPort(): number {
  return envPort('VIBE_TEST_EMAIL_SINK_PORT', 25397);
}

/** The `postgres` URL, as `supabase status` prints it; like on hosted, not a superuser. */
export function dbUrl(cfg: StackConfig): string {
  return `postgresql://postgres:postgres@127.0.0.1:${cfg.dbPort}/postgres`;
}

/** The superuser, `supabase_admin`: only the baseline and the cluster's own upkeep use it. */
export function adminDbUrl(cfg: StackConfig): string {
  return `postgresql://supabase_admin:postgres@127.0.0.1:${cfg.dbPort}/postgres`;
}

/** `postgres` through the transaction pooler: the Edge Functions' SUPABASE_DB_URL. */
export function poolerUrl(cfg: StackConfig): string {
  return `postgresql://postgres:postgres@127.0.0.1:${cfg.poolerPort}/postgres`;
}

export function apiUrl(cfg: StackConfig): string {
  return `http://127.0.0.1:${cfg.apiPort}`;
}

export function dashboardUrl(cfg: StackConfig): string {
  return `http://127.0.0.1:${cfg.sitePort}`;
}
