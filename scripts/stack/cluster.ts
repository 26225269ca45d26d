// The project-local PostgreSQL 15 cluster: create, configure, start, stop.
import { join } from 'node:path';
import { type StackConfig, isRoot, pgBin } from './config.ts';
import { stopPooler } from './pooler.ts';
import { assertPortFree, pidAlive, processCmdline, run, runOk } from './proc.ts';

const dataDir = (cfg: StackConfig) => join(cfg.clusterDir, 'data');
export const logFile = (cfg: StackConfig) => join(cfg.clusterDir, 'postgres.log');

export function clusterExists(cfg: StackConfig): boolean {
  try {
    return Deno.statSync(join(dataDir(cfg), 'PG_VERSION')).isFile;
  } catch {
    return false;
  }
}

async function chownToPostgres(path: string): Promise<void> {
  if (isRoot) await runOk('chown', ['-R', 'postgres:postgres', path]);
}

/**
 * Written by createCluster: the cluster has hosted Supabase's role model (superuser
 * `supabase_admin`). A cluster without it was made by an older checkout, where
 * `postgres` was the superuser.
 */
const roleModelFile = (cfg: StackConfig) => join(cfg.clusterDir, 'hosted-roles');

export function clusterHasRoleModel(cfg: StackConfig): boolean {
  try {
    return Deno.statSync(roleModelFile(cfg)).isFile;
  } catch {
    return false;
  }
}

/**
 * initdb with the superuser `supabase_admin` (password `postgres`, like `supabase
 * start`); the baseline then creates `postgres` without superuser rights, as hosted has it.
 */
export async function createCluster(cfg: StackConfig): Promise<void> {
  await Deno.mkdir(cfg.clusterDir, { recursive: true });
  const pwfile = join(cfg.clusterDir, 'pwfile');
  await Deno.writeTextFile(pwfile, 'postgres\n');
  await chownToPostgres(cfg.clusterDir);
  try {
    await runOk(join(pgBin, 'initdb'), [
      '-D', dataDir(cfg), '-U', 'supabase_admin', '-E', 'UTF8', '--locale=C.UTF-8',
      '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`,
    ], { asPostgres: true });
  } finally {
    await Deno.remove(pwfile).catch(() => {});
  }
  await Deno.writeTextFile(join(dataDir(cfg), 'postgresql.conf'), "\ninclude_if_exists = 'vibe.conf'\n", {
    append: true,
  });
  await Deno.writeTextFile(roleModelFile(cfg), 'supabase_admin is the superuser\n');
}

/** Settings the project relies on; rewritten at every start so port changes apply. */
async function writeSettings(cfg: StackConfig): Promise<void> {
  // The test stack trades durability for speed. The dev stack gets memory and WAL as
  // hosted Supabase sets them for a 2-core, 4 GB instance: with the stock 1 GB
  // max_wal_size, steady ingest forced a checkpoint every ~20 s, and the full-page
  // images written after each one made ~85 % of the WAL (51 kB per 20-event call
  // instead of 7 kB): commits queued on WAL writes. (Applies from the next start.)
  const profile = cfg.profile === 'test'
    ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']
    : ['shared_buffers = 1GB', 'wal_buffers = 16MB', 'max_wal_size = 4GB', 'min_wal_size = 1GB',
      'checkpoint_completion_target = 0.9'];
  const lines = [
    "listen_addresses = '127.0.0.1'",
    `port = ${cfg.dbPort}`,
    `unix_socket_directories = '${dataDir(cfg)}'`,
    'max_connections = 200',
    'wal_level = logical',
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    // A job runs as its owner (postgres) over a fresh connection: through the socket,
    // where local connections are trusted, since TCP asks for a password.
    `cron.host = '${dataDir(cfg)}'`,
    "timezone = 'UTC'",
    'log_min_messages = warning',
    ...profile,
  ];
  const file = join(dataDir(cfg), 'vibe.conf');
  await Deno.writeTextFile(file, lines.join('\n') + '\n');
  await chownToPostgres(file);
}

export async function clusterRunning(cfg: StackConfig): Promise<boolean> {
  if (!clusterExists(cfg)) return false;
  const res = await run(join(pgBin, 'pg_ctl'), ['-D', dataDir(cfg), 'status'], { asPostgres: true });
  if (res.code !== 0) return false;
  // pg_ctl trusts any live pid; after a crash the pid may belong to something else.
  const pid = Number(res.stdout.match(/PID: (\d+)/)?.[1]);
  return pidAlive(pid) && processCmdline(pid).includes('postgres');
}

/** A postmaster.pid left by a crash whose pid is gone or reused is removed. */
async function recoverStalePid(cfg: StackConfig): Promise<boolean> {
  const pidFile = join(dataDir(cfg), 'postmaster.pid');
  let text: string;
  try {
    text = await Deno.readTextFile(pidFile);
  } catch {
    return false;
  }
  const pid = Number(text.split('\n')[0]);
  if (pidAlive(pid) && processCmdline(pid).includes('postgres')) return false;
  await Deno.remove(pidFile);
  return true;
}

export async function startCluster(cfg: StackConfig): Promise<'started' | 'running'> {
  if (await clusterRunning(cfg)) return 'running';
  if (await recoverStalePid(cfg)) console.log('• removed a stale postmaster.pid left by a crash');
  await assertPortFree(cfg.dbPort, 'PostgreSQL');
  await writeSettings(cfg);
  await runOk(join(pgBin, 'pg_ctl'), ['-D', dataDir(cfg), '-l', logFile(cfg), '-w', '-t', '60', 'start'], {
    asPostgres: true,
  }).catch(async (err) => {
    const tail = await Deno.readTextFile(logFile(cfg)).then((t) => t.split('\n').slice(-15).join('\n'), () => '');
    throw new Error(`${err.message}\n--- ${logFile(cfg)} ---\n${tail}`);
  });
  return 'started';
}

export async function stopCluster(cfg: StackConfig): Promise<boolean> {
  if (!(await clusterRunning(cfg))) return false;
  await runOk(join(pgBin, 'pg_ctl'), ['-D', dataDir(cfg), '-m', 'fast', '-w', 'stop'], { asPostgres: true });
  return true;
}

export async function removeCluster(cfg: StackConfig): Promise<void> {
  await stopPooler(cfg); // its files live in the cluster folder
  await stopCluster(cfg);
  await Deno.remove(cfg.clusterDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}
