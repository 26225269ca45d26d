// CLI of the local stack: start (foreground), up, down, status, db:reset, test.
// Called through scripts/stack.sh, which first installs what the machine lacks.
import { stackConfig } from './config.ts';
import { clusterRunning } from './cluster.ts';
import { bringDown, bringUp, bringUpGateway, currentEnv, stackEnv, step } from './stack.ts';
import { runningGateway, startGatewayForeground } from './gateway.ts';
import { apiUrl } from './config.ts';
import { runTests } from './run-tests.ts';

const cfg = stackConfig('dev');

function printEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

async function up(): Promise<void> {
  const state = await bringUp(cfg);
  await bringUpGateway(cfg, state);
  console.log('\nLocal Vibe CRM stack is up:\n');
  printEnv(stackEnv(cfg, state));
}

async function foreground(): Promise<void> {
  let state;
  try {
    state = await bringUp(cfg);
  } catch (e) {
    await bringDown(cfg); // `start` leaves nothing running behind, even when it fails
    throw e;
  }
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  // Listen before the gateway starts: a Ctrl-C during startup still stops everything.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(sig, () => resolve(sig));
  let gateway: Deno.ChildProcess | null = null;
  try {
    gateway = await startGatewayForeground(cfg, stackEnv(cfg, state));
    step(`API gateway started on ${apiUrl(cfg)} (request log below)`);
  } catch (e) {
    await bringDown(cfg);
    throw e;
  }
  gateway.status.then(() => resolve('gateway-exited'));
  console.log('\nLocal Vibe CRM stack is up:\n');
  printEnv(stackEnv(cfg, state));
  console.log('\nRunning in the foreground. Press Ctrl-C to stop everything.');
  const watchdog = setInterval(async () => {
    if (!(await clusterRunning(cfg))) resolve('postgres-exited');
  }, 5000);
  const why = await stopped;
  clearInterval(watchdog);
  const failure = { 'postgres-exited': 'PostgreSQL exited', 'gateway-exited': 'the API gateway exited' }[why];
  console.log(failure ? `\n✗ ${failure}; stopping the stack` : '\nStopping…');
  try {
    gateway.kill('SIGTERM');
  } catch {
    // already gone
  }
  await gateway.status;
  await bringDown(cfg);
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
  else if (!(await runningGateway(cfg, false))) console.error('# note: the API gateway is not running (npm run up)');
}

async function reset(): Promise<void> {
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
