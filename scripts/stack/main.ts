// CLI of the local stack: start (foreground), up, down, status, db:reset, test.
// Called through scripts/stack.sh, which first installs what the machine lacks.
import { clusterRunning } from './cluster.ts';
import { stackConfig } from './config.ts';
import { demoService, demoWanted } from './demo.ts';
import { gatewayService } from './gateway.ts';
import { netWorkerService } from './net-worker.ts';
import { runTests } from './run-tests.ts';
import { runningService, type Service, startForeground, stopService } from './service.ts';
import { buildSiteIfStale, siteService } from './site.ts';
import { bringDown, bringUp, bringUpExtras, bringUpGateway, currentEnv, stackEnv, step } from './stack.ts';

const cfg = stackConfig('dev');
const args = Deno.args.slice(1);

// The seed's demo owner (supabase/seed.sql).
const DEMO_LOGIN = 'demo@vibe-crm.dev / demo-password';

function printEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

function printReady(env: Record<string, string>): void {
  console.log('\nLocal Vibe CRM stack is up:\n');
  printEnv(env);
  console.log(`\nDashboard: ${env.DASHBOARD_URL}  (demo login: ${DEMO_LOGIN})`);
}

async function up(): Promise<void> {
  const state = await bringUp(cfg);
  await bringUpGateway(cfg, state);
  await bringUpExtras(cfg, state, demoWanted(args));
  printReady(stackEnv(cfg, state));
}

async function foreground(): Promise<void> {
  const children: Deno.ChildProcess[] = [];
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  // Listen before anything starts: a Ctrl-C during startup still stops everything.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(sig, () => resolve(sig));
  const stopAll = async () => {
    for (const child of children.reverse()) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
      await child.status;
    }
    await bringDown(cfg);
  };
  let env: Record<string, string>;
  try {
    const state = await bringUp(cfg);
    env = stackEnv(cfg, state);
    const services: [Service, string][] = [
      [gatewayService(cfg, env, state), `API gateway started on ${env.API_URL}`],
      [netWorkerService(cfg), 'pg_net worker started (its lines below, with the request log)'],
    ];
    if ((await buildSiteIfStale()) === 'built') step('built tracker and dashboard (npm run build)');
    services.push([siteService(cfg, env), `dashboard started on ${env.DASHBOARD_URL}`]);
    if (demoWanted(args)) services.push([demoService(cfg, env), 'demo traffic started (--no-demo turns it off)']);
    for (const [service, message] of services) {
      const child = await startForeground(cfg, service);
      children.push(child);
      child.status.then(() => resolve(`${service.label} exited`));
      step(message);
    }
  } catch (e) {
    await stopAll(); // `start` leaves nothing running behind, even when it fails
    throw e;
  }
  printReady(env);
  console.log('\nRunning in the foreground (request log below). Press Ctrl-C to stop everything.');
  const watchdog = setInterval(async () => {
    if (!(await clusterRunning(cfg))) resolve('PostgreSQL exited');
  }, 5000);
  const why = await stopped;
  clearInterval(watchdog);
  const failure = why.endsWith('exited');
  console.log(failure ? `\n✗ ${why}; stopping the stack` : '\nStopping…');
  await stopAll();
  if (failure) Deno.exit(1);
}

async function status(): Promise<void> {
  const env = await currentEnv(cfg);
  if (!env) {
    console.error('No local stack yet: run `npm run up` (or `npm start`) first.');
    Deno.exit(1);
  }
  printEnv(env);
  if (!(await clusterRunning(cfg))) console.error('# note: the stack is not running (npm run up)');
  for (const service of [gatewayService(cfg, env), netWorkerService(cfg), siteService(cfg, env)]) {
    if (!(await runningService(cfg, service, false))) console.error(`# note: the ${service.label} is not running (npm run up)`);
  }
}

async function reset(): Promise<void> {
  // Demo traffic would race the rebuild; it is restarted by the next `up`.
  if (await stopService(cfg, demoService(cfg, {}))) step('demo traffic stopped');
  await bringUp(cfg, { fresh: true });
  step('database recreated from baseline + migrations + seed');
}

const commands: Record<string, () => Promise<void>> = {
  start: foreground,
  up,
  down: () => bringDown(cfg),
  status,
  'db:reset': reset,
  test: async () => Deno.exit(await runTests()),
};

const name = Deno.args[0] ?? 'start';
const command = commands[name];
if (!command) {
  console.error(`Unknown command "${name}". Use one of: ${Object.keys(commands).join(', ')}`);
  Deno.exit(2);
}
try {
  await command();
} catch (err) {
  console.error(`\n✗ ${(err as Error).message}`);
  Deno.exit(1);
}
