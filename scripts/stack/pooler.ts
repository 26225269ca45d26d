// PgBouncer in transaction mode between the Edge Functions and Postgres, as hosted
// Supabase's pooler sits there: a server connection is lent for one transaction only,
// so session state (SET, prepared statements, advisory session locks) does not carry
// over, and a startup parameter PgBouncer does not know (e.g. statement_timeout) is
// refused at connect. Realtime's LISTEN needs a session and connects directly.
import { join } from 'node:path';
import { type StackConfig, isRoot } from './config.ts';
import { assertPortFree, pidAlive, processCmdline, runOk } from './proc.ts';

const poolerBin = Deno.env.get('VIBE_PGBOUNCER_BIN') ?? '/usr/sbin/pgbouncer';
// Beside the cluster: as root, PgBouncer (which refuses to run as root) runs as the
// `postgres` system user, who owns that folder.
const poolerDir = (cfg: StackConfig) => join(cfg.clusterDir, 'pooler');
const pidPath = (cfg: StackConfig) => join(poolerDir(cfg), 'pgbouncer.pid');
export const poolerLog = (cfg: StackConfig) => join(poolerDir(cfg), 'pgbouncer.log');

function settings(cfg: StackConfig): string {
  return [
    '[databases]',
    `postgres = host=127.0.0.1 port=${cfg.dbPort} dbname=postgres`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${cfg.poolerPort}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    'auth_type = scram-sha-256',
    'auth_file = userlist.txt',
    // As supabase/postgres configures the PgBouncer of a hosted project: 15 server
    // connections per user and database, and only this one unknown parameter ignored.
    'default_pool_size = 15',
    'ignore_startup_parameters = extra_float_digits',
    'max_client_conn = 2000',
    // While Postgres is down, a query waits in PgBouncer's queue for a server connection
    // (120 s by default) instead of failing, and a failed login is retried only after
    // 15 s: ingest hung, then stayed down for 12 s after Postgres was back
    // (`npm run chaos`). The function should answer 503 at once so its clients retry. So
    // a query that finds no server within 0.5 s fails (the function holds 4 of the 15
    // server connections, so with Postgres up it never waits that long) and a failed
    // login is retried after 0.5 s. Hosted's pooler may differ here.
    'query_wait_timeout = 0.5',
    'server_login_retry = 0.5',
    `logfile = ${poolerLog(cfg)}`,
    `pidfile = ${pidPath(cfg)}`,
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
}

async function pid(cfg: StackConfig): Promise<number | null> {
  const text = await Deno.readTextFile(pidPath(cfg)).catch(() => '');
  const n = Number(text.trim());
  return n > 0 && pidAlive(n) && processCmdline(n).includes('pgbouncer') ? n : null;
}

export async function poolerRunning(cfg: StackConfig): Promise<boolean> {
  return (await pid(cfg)) !== null;
}

async function waitForPort(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      (await Deno.connect({ hostname: '127.0.0.1', port })).close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

/** Starts PgBouncer as a daemon (config rewritten each time, so port changes apply). */
export async function startPooler(cfg: StackConfig): Promise<'started' | 'running'> {
  if (await poolerRunning(cfg)) return 'running';
  await assertPortFree(cfg.poolerPort, 'PgBouncer');
  const dir = poolerDir(cfg);
  await Deno.mkdir(dir, { recursive: true });
  const ini = join(dir, 'pgbouncer.ini');
  await Deno.writeTextFile(ini, settings(cfg));
  // The local `postgres` password is the non-secret one `supabase start` uses.
  await Deno.writeTextFile(join(dir, 'userlist.txt'), '"postgres" "postgres"\n');
  if (isRoot) await runOk('chown', ['-R', 'postgres:postgres', dir]);
  await runOk(poolerBin, ['-d', '-q', ini], { asPostgres: true, cwd: dir });
  if (!(await waitForPort(cfg.poolerPort, 10_000))) {
    const tail = await Deno.readTextFile(poolerLog(cfg)).then((t) => t.split('\n').slice(-10).join('\n'), () => '');
    throw new Error(`PgBouncer did not listen on ${cfg.poolerPort}\n--- ${poolerLog(cfg)} ---\n${tail}`);
  }
  return 'started';
}

export async function stopPooler(cfg: StackConfig): Promise<boolean> {
  const p = await pid(cfg);
  if (p === null) return false;
  Deno.kill(p, 'SIGTERM');
  for (let i = 0; i < 100 && pidAlive(p); i++) await new Promise((r) => setTimeout(r, 50));
  return true;
}
