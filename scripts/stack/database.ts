// Bring a database to the project's schema: Supabase baseline (only where the
// database is not a Supabase one), migrations with the real CLI, then the seed.
import { join } from 'node:path';
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
