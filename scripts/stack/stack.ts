// Bringing a whole local stack up and down; shared by the CLI (main.ts) and the
// test runner (run-tests.ts).
import { adminDbUrl, apiUrl, dashboardUrl, dbUrl, poolerUrl, type StackConfig } from './config.ts';
import { clusterExists, clusterHasRoleModel, createCluster, removeCluster, startCluster, stopCluster } from './cluster.ts';
import { applyLocalSettings, applyMigrations, applySeed, configureAlerts, ensureBaseline } from './database.ts';
import { demoService } from './demo.ts';
import { gatewayService } from './gateway.ts';
import { netWorkerService } from './net-worker.ts';
import { installPgNet } from './pg_net/install.ts';
import { poolerLog, startPooler, stopPooler } from './pooler.ts';
import { assertPortFree } from './proc.ts';
import { logFile, startBackground, stopService } from './service.ts';
import { buildSiteIfStale, siteService } from './site.ts';
import { ensureState, readState, type StackState } from './state.ts';

export const step = (msg: string) => console.log(`• ${msg}`);

export interface UpOptions {
  /** Throw the database away first (db:reset, test runs). */
  fresh?: boolean;
  /** Load supabase/seed.sql into a new database (default true; npm test loads it after pgTAP). */
  seed?: boolean;
}

export async function bringUp(cfg: StackConfig, opts: UpOptions = {}): Promise<StackState> {
  const { state, created, added } = await ensureState(cfg);
  step(created ? `generated JWT secret and API keys in ${cfg.stateDir}` : `using keys from ${cfg.stateDir}`);
  if (added.length) step(`added to ${cfg.stateDir}/state.json: ${added.join(', ')}`);
  if (opts.fresh && clusterExists(cfg)) {
    await removeCluster(cfg);
    step('removed the old database');
  }
  if (clusterExists(cfg) && !clusterHasRoleModel(cfg)) {
    throw new Error(
      `the database in ${cfg.clusterDir} was made before the stack took hosted Supabase's roles ` +
        '(postgres is its superuser there). Run `npm run db:reset` to recreate it (keys are kept).',
    );
  }
  const isNew = !clusterExists(cfg);
  if (isNew) {
    // Refuse early, before initdb, when something else holds the database port.
    await assertPortFree(cfg.dbPort, 'PostgreSQL');
    await createCluster(cfg);
    step(`created PostgreSQL 15 cluster in ${cfg.clusterDir}`);
  }
  // Before any migration can `create extension pg_net`.
  if ((await installPgNet()) === 'installed') step('installed the pg_net stand-in (scripts/stack/pg_net) into PostgreSQL');
  const started = await startCluster(cfg);
  step(`PostgreSQL ${started === 'running' ? 'already running' : 'started'} on 127.0.0.1:${cfg.dbPort}`);
  const url = dbUrl(cfg);
  const baseline = await ensureBaseline(adminDbUrl(cfg));
  step({
    supabase: 'Supabase database detected: baseline not needed',
    current: 'Supabase-compatible baseline up to date',
    applied: 'applied the Supabase-compatible baseline',
    upgraded: 'upgraded the Supabase-compatible baseline',
  }[baseline]);
  await applyLocalSettings(adminDbUrl(cfg));
  const applied = await applyMigrations(url);
  step(applied.length ? `supabase db push (as postgres) applied: ${applied.join(', ')}` : 'migrations up to date');
  if (isNew && opts.seed !== false && (await applySeed(url))) step('loaded supabase/seed.sql');
  // What a deploy stores in the hosted project's Vault: where the notify function is, the
  // token it expects (its VIBE_NOTIFY_TOKEN secret, scripts/stack/gateway.ts), and the
  // dashboard for links to users in alert messages.
  await configureAlerts(url, `${apiUrl(cfg)}/functions/v1/notify`, state.notifyToken, dashboardUrl(cfg));
  step('Vault: vibe_notify_url, vibe_notify_token and vibe_dashboard_url (public.configure_crm_alerts, as postgres)');
  const pooler = await startPooler(cfg);
  step(`PgBouncer (transaction mode) ${pooler === 'running' ? 'already running' : 'started'} on 127.0.0.1:${cfg.poolerPort} (log: ${poolerLog(cfg)})`);
  return state;
}

/**
 * The API gateway in the background (up, npm test), returning once /health answers;
 * then the pg_net worker, which sends the database's requests (to the gateway's
 * functions among others).
 */
export async function bringUpGateway(cfg: StackConfig, state: StackState): Promise<void> {
  const gateway = gatewayService(cfg, stackEnv(cfg, state), state);
  const how = await startBackground(cfg, gateway);
  step(how === 'running'
    ? `API gateway already running on ${apiUrl(cfg)}`
    : `API gateway started on ${apiUrl(cfg)} (log: ${logFile(cfg, gateway)})`);
  const worker = netWorkerService(cfg);
  const workerHow = await startBackground(cfg, worker);
  step(`pg_net worker ${workerHow === 'running' ? 'already running' : 'started'} (log: ${logFile(cfg, worker)})`);
}

/** The dev extras in the background: the dashboard (built if stale) and demo traffic. */
export async function bringUpExtras(cfg: StackConfig, state: StackState, demo: boolean): Promise<void> {
  const vars = stackEnv(cfg, state);
  if ((await buildSiteIfStale()) === 'built') step('built tracker and dashboard (npm run build)');
  const how = await startBackground(cfg, siteService(cfg, vars));
  step(`dashboard ${how === 'running' ? 'already running' : 'started'} on ${dashboardUrl(cfg)}`);
  if (!demo) return;
  const demoHow = await startBackground(cfg, demoService(cfg, vars));
  step(`demo traffic ${demoHow === 'running' ? 'already running' : 'started'} (log: ${logFile(cfg, demoService(cfg, vars))}; --no-demo turns it off)`);
}

export async function bringDown(cfg: StackConfig): Promise<void> {
  // Order: what sends traffic first, the database last.
  for (const service of [demoService(cfg, {}), siteService(cfg, {}), netWorkerService(cfg), gatewayService(cfg, {})]) {
    if (await stopService(cfg, service)) step(`${service.label} stopped`);
  }
  if (await stopPooler(cfg)) step('PgBouncer stopped');
  step((await stopCluster(cfg)) ? 'PostgreSQL stopped' : 'PostgreSQL was not running');
}

/** The variables `supabase status -o env` prints, for this stack. */
export function stackEnv(cfg: StackConfig, state: StackState): Record<string, string> {
  return {
    API_URL: apiUrl(cfg),
    DB_URL: dbUrl(cfg),
    // Not printed by `supabase status`: the transaction pooler the Edge Functions use.
    POOLER_URL: poolerUrl(cfg),
    INGEST_URL: `${apiUrl(cfg)}/functions/v1/ingest`,
    DASHBOARD_URL: dashboardUrl(cfg),
    ANON_KEY: state.anonKey,
    SERVICE_ROLE_KEY: state.serviceRoleKey,
    JWT_SECRET: state.jwtSecret,
  };
}

export async function currentEnv(cfg: StackConfig): Promise<Record<string, string> | null> {
  const state = await readState(cfg);
  return state ? stackEnv(cfg, state) : null;
}
