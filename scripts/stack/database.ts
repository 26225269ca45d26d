// Bring a database to the project's schema: Supabase baseline (only where the
// database is not a Supabase one), migrations with the real CLI, then the seed.
import { join } from 'node:path';
import postgres from 'postgres';
import { pgBin, repoRoot } from './config.ts';
import { run, runOk } from './proc.ts';

export const baselineFile = join(repoRoot, 'scripts', 'stack', 'supabase-baseline.sql');
export const seedFile = join(repoRoot, 'supabase', 'seed.sql');
const supabaseCli = join(repoRoot, 'node_modules', '.bin', 'supabase');

/** Run SQL text (or a file) through psql; stops at the first error. */
export async function psql(url: string, input: { sql?: string; file?: string }): Promise<string> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url];
  // psql runs -c and -f in the order given: settings first, then the file.
  if (input.sql) args.push('-c', input.sql);
  if (input.file) args.push('-f', input.file);
  return (await runOk(join(pgBin, 'psql'), args, { env: { PGCONNECT_TIMEOUT: '10' } })).trim();
}

/** The version the baseline file declares (its final insert). */
export async function baselineFileVersion(): Promise<number> {
  const text = await Deno.readTextFile(baselineFile);
  const m = text.match(/insert into supabase_local\.baseline \(version\) values \((\d+)\)/);
  if (!m) throw new Error(`${baselineFile} does not declare its version`);
  return Number(m[1]);
}

export type BaselineState = 'supabase' | 'current' | 'applied' | 'upgraded';

/**
 * Applies the baseline (as the superuser, `adminUrl`) when the database lacks it or
 * carries an older version. A database with auth.users but no local marker is a real
 * Supabase one: untouched.
 */
export async function ensureBaseline(url: string): Promise<BaselineState> {
  const probe = await psql(url, {
    sql: `select to_regclass('auth.users') is not null,
                 to_regclass('supabase_local.baseline') is not null`,
  });
  const [hasAuth, hasMarker] = probe.split('|').map((v) => v === 't');
  if (hasAuth && !hasMarker) return 'supabase';
  const wanted = await baselineFileVersion();
  if (hasMarker) {
    const current = Number(await psql(url, { sql: 'select coalesce(max(version), 0) from supabase_local.baseline' }));
    if (current >= wanted) return 'current';
  }
  await psql(url, { sql: 'set client_min_messages = warning', file: baselineFile });
  return hasMarker ? 'upgraded' : 'applied';
}

/**
 * Settings of the local stack only, applied as the superuser after the baseline (new
 * sessions see them). `vibe.allow_private_webhooks`: alert webhooks may go to loopback
 * and private addresses, where the local notify function and the tests' receivers
 * listen; hosted refuses them (the setting is unset there).
 */
export async function applyLocalSettings(adminUrl: string): Promise<void> {
  await psql(adminUrl, {
    sql: "do $$ begin execute format('alter database %I set vibe.allow_private_webhooks = %L', current_database(), 'on'); end $$",
  });
}

/**
 * Stores in Vault where notify lives, the token pg_net sends it and the dashboard's
 * address, through public.configure_crm_alerts as `postgres`: the same call a hosted
 * deploy makes (over REST, as service_role), so one SQL function owns how they are kept.
 */
export async function configureAlerts(url: string, notifyUrl: string, token: string, dashboardUrl: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select public.configure_crm_alerts(${notifyUrl}, ${token}, ${dashboardUrl})`;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/**
 * `supabase db push`, the command that deploys to a hosted project, run as `postgres`:
 * applies only what the history table lacks; returns the migrations it applied.
 */
export async function applyMigrations(url: string): Promise<string[]> {
  // --include-all: a migration that landed in git after a newer one was applied here
  // (parallel branches) is still applied, instead of stopping the start.
  const res = await run(supabaseCli, ['db', 'push', '--include-all', '--yes', '--db-url', `${url}?sslmode=disable`], {
    cwd: repoRoot,
  });
  const output = `${res.stdout}\n${res.stderr}`;
  if (res.code !== 0) throw new Error(`supabase db push failed:\n${output.trim()}`);
  return [...output.matchAll(/Applying migration (\S+?)\.*$/gm)].map((m) => m[1]!);
}

export async function applySeed(url: string): Promise<boolean> {
  try {
    await Deno.stat(seedFile);
  } catch {
    return false;
  }
  await psql(url, { sql: 'set client_min_messages = warning', file: seedFile });
  return true;
}

export async function lint(url: string, schemas: string[]): Promise<{ ok: boolean; output: string }> {
  const res = await run(supabaseCli, [
    'db', 'lint', '--db-url', `${url}?sslmode=disable`, '--schema', schemas.join(','), '--fail-on', 'error',
  ], { cwd: repoRoot });
  return { ok: res.code === 0, output: `${res.stdout}${res.stderr}`.trim() };
}
