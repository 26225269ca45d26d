// CLI of the local stack: start (foreground), up, down, status, db:reset, test.
// Called through scripts/stack.sh, which first installs what the machine lacks.
import { stackConfig } from './config.ts';
import { clusterRunning } from './cluster.ts';
import { bringDown, bringUp, currentEnv, stackEnv, step } from './stack.ts';
import { runTests } from './run-tests.ts';

const cfg = stackConfig('dev');

function printEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

async function up(): Promise<void> {
  const state = await bringUp(cfg);
  console.log('\nLocal Vibe CRM stack is up:\n');
  printEnv(stackEnv(cfg, state));
}

async function foreground(): Promise<void> {
  await up();
  console.log('\nRunning in the foreground. Press Ctrl-C to stop everything.');
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(sig, () => resolve(sig));
  const watchdog = setInterval(async () => {
    if (!(await clusterRunning(cfg))) resolve('postgres-exited');
  }, 5000);
  const why = await stopped;
  clearInterval(watchdog);
  console.log(why === 'postgres-exited' ? '\n✗ PostgreSQL exited; stopping the stack' : '\nStopping…');
  await bringDown(cfg);
  if (why === 'postgres-exited') Deno.exit(1);
}

async function status(): Promise<void> {
  const env = await currentEnv(cfg);
  if (!env) {
    console.error('No local stack yet: run `npm run up` (or `npm start`) first.');
    Deno.exit(1);
  }
  printEnv(env);
  if (!(await clusterRunning(cfg))) console.error('# note: the stack is not running (npm run up)');
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
