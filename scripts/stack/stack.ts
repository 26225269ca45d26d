// Bringing a whole local stack up and down; shared by the CLI (main.ts) and the
// test runner (test.ts).
import { apiUrl, dbUrl, type StackConfig } from './config.ts';
import { clusterExists, createCluster, removeCluster, startCluster, stopCluster } from './cluster.ts';
import { applyMigrations, applySeed, ensureBaseline } from './database.ts';
import { gatewayLogFile, startGatewayBackground, stopGateway } from './gateway.ts';
import { ensureState, readState, type StackState } from './state.ts';

export const step = (msg: string) => console.log(`• ${msg}`);

export interface UpOptions {
  /** Throw the database away first (db:reset, test runs). */
  fresh?: boolean;
}

export async function bringUp(cfg: StackConfig, opts: UpOptions = {}): Promise<StackState> {
  const { state, created } = await ensureState(cfg);
  step(created ? `generated JWT secret and API keys in ${cfg.stateDir}` : `using keys from ${cfg.stateDir}`);
  if (opts.fresh && clusterExists(cfg)) {
    await removeCluster(cfg);
    step('removed the old database');
  }
  const isNew = !clusterExists(cfg);
  if (isNew) {
    await createCluster(cfg);
    step(`created PostgreSQL 15 cluster in ${cfg.clusterDir}`);
  }
  const started = await startCluster(cfg);
  step(`PostgreSQL ${started === 'running' ? 'already running' : 'started'} on 127.0.0.1:${cfg.dbPort}`);
  const url = dbUrl(cfg);
  const baseline = await ensureBaseline(url);
  step({
    supabase: 'Supabase database detected: baseline not needed',
    current: 'Supabase-compatible baseline up to date',
    applied: 'applied the Supabase-compatible baseline',
    upgraded: 'upgraded the Supabase-compatible baseline',
  }[baseline]);
  const applied = await applyMigrations(url);
  step(applied.length ? `applied migrations: ${applied.join(', ')}` : 'migrations up to date');
  if (isNew && (await applySeed(url))) step('loaded supabase/seed.sql');
  return state;
}

/** The API gateway in the background (up, npm test); returns once /health answers. */
export async function bringUpGateway(cfg: StackConfig, state: StackState): Promise<void> {
  const how = await startGatewayBackground(cfg, stackEnv(cfg, state));
  step(how === 'running'
    ? `API gateway already running on ${apiUrl(cfg)}`
    : `API gateway started on ${apiUrl(cfg)} (log: ${gatewayLogFile(cfg)})`);
}

export async function bringDown(cfg: StackConfig): Promise<void> {
  step((await stopGateway(cfg)) ? 'API gateway stopped' : 'API gateway was not running');
  step((await stopCluster(cfg)) ? 'PostgreSQL stopped' : 'PostgreSQL was not running');
}

/** The variables `supabase status -o env` prints, for this stack. */
export function stackEnv(cfg: StackConfig, state: StackState): Record<string, string> {
  return {
    API_URL: apiUrl(cfg),
    DB_URL: dbUrl(cfg),
    ANON_KEY: state.anonKey,
    SERVICE_ROLE_KEY: state.serviceRoleKey,
    JWT_SECRET: state.jwtSecret,
  };
}

export async function currentEnv(cfg: StackConfig): Promise<Record<string, string> | null> {
  const state = await readState(cfg);
  return state ? stackEnv(cfg, state) : null;
}
