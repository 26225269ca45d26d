// The local API gateway (scripts/gateway) as part of the stack: started in the
// background for `up` and `npm test` (pid file + log in the stack's state folder),
// as a child for `start`, stopped by `down`. It stands in for Kong, PostgREST,
// GoTrue, Realtime and the Edge Runtime on API_URL, and is never deployed.
import { join } from 'node:path';
import { apiUrl, repoRoot, type StackConfig } from './config.ts';
import { assertPortFree, pidAlive, processCmdline } from './proc.ts';

const MAIN = join(repoRoot, 'scripts', 'gateway', 'main.ts');
const HEALTH_TIMEOUT_MS = 60_000;

export const gatewayPidFile = (cfg: StackConfig) => join(cfg.stateDir, 'gateway.pid');
export const gatewayLogFile = (cfg: StackConfig) => join(cfg.stateDir, 'gateway.log');

/** Environment of the gateway process: the stack's variables plus its own knobs. */
export function gatewayEnv(
  cfg: StackConfig,
  stackVars: Record<string, string>,
): Record<string, string> {
  const test = cfg.profile === 'test';
  return {
    ...Deno.env.toObject(),
    ...stackVars,
    // Tests use short-lived access tokens so that refresh is exercised.
    GATEWAY_JWT_EXPIRY: Deno.env.get(test ? 'VIBE_TEST_JWT_EXPIRY' : 'VIBE_JWT_EXPIRY') ??
      (test ? '15' : '3600'),
    GATEWAY_PID_FILE: gatewayPidFile(cfg),
    ...(test
      ? { GATEWAY_EXTRA_FUNCTIONS_DIR: join(repoRoot, 'scripts', 'gateway', 'test', 'functions') }
      : {}),
  };
}

const isGateway = (pid: number) => pidAlive(pid) && processCmdline(pid).includes(MAIN);

/** The pid of this stack's running gateway; a pid file left by a crash is removed. */
export async function runningGateway(cfg: StackConfig, report = true): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(gatewayPidFile(cfg));
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (Number.isInteger(pid) && pid > 0 && isGateway(pid)) return pid;
  await Deno.remove(gatewayPidFile(cfg)).catch(() => {});
  if (report) console.log('• removed a stale gateway.pid left by a crash');
  return null;
}

async function healthy(cfg: StackConfig): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl(cfg)}/health`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function logTail(cfg: StackConfig): Promise<string> {
  const text = await Deno.readTextFile(gatewayLogFile(cfg)).catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

/** Resolves once /health answers 200 (database reachable, LISTEN in place). */
async function waitHealthy(cfg: StackConfig, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await healthy(cfg)) return;
    if (exited()) throw new Error('the API gateway exited during startup');
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the API gateway did not become healthy within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

/** `up` and `npm test`: a detached gateway logging to gateway.log. */
export async function startGatewayBackground(
  cfg: StackConfig,
  stackVars: Record<string, string>,
): Promise<'started' | 'running'> {
  const pid = await runningGateway(cfg);
  if (pid) {
    await waitHealthy(cfg, () => !isGateway(pid));
    return 'running';
  }
  await assertPortFree(cfg.apiPort, 'API gateway');
  await Deno.mkdir(cfg.stateDir, { recursive: true });
  // setsid: the gateway outlives this command and ignores the terminal's Ctrl-C.
  const child = new Deno.Command('setsid', {
    args: [
      'bash',
      '-c',
      'exec "$0" run --allow-all "$1" >>"$2" 2>&1',
      Deno.execPath(),
      MAIN,
      gatewayLogFile(cfg),
    ],
    cwd: repoRoot,
    env: gatewayEnv(cfg, stackVars),
    stdin: 'null',
    stdout: 'null',
    stderr: 'null',
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  child.unref();
  try {
    await waitHealthy(cfg, () => exited);
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n--- ${gatewayLogFile(cfg)} ---\n${await logTail(cfg)}`,
    );
  }
  return 'started';
}

/** `start`: the gateway as a child whose request log goes to this terminal. */
export async function startGatewayForeground(
  cfg: StackConfig,
  stackVars: Record<string, string>,
): Promise<Deno.ChildProcess> {
  if (await runningGateway(cfg)) {
    throw new Error(
      'a background gateway of this stack is running (npm run up); stop it with `npm run down` first',
    );
  }
  await assertPortFree(cfg.apiPort, 'API gateway');
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '--allow-all', MAIN],
    cwd: repoRoot,
    env: gatewayEnv(cfg, stackVars),
    stdin: 'null',
    stdout: 'inherit',
    stderr: 'inherit',
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  await waitHealthy(cfg, () => exited);
  return child;
}

/** Stops this stack's gateway (SIGTERM, then SIGKILL after 5 s). False if none was running. */
export async function stopGateway(cfg: StackConfig): Promise<boolean> {
  const pid = await runningGateway(cfg);
  if (!pid) return false;
  Deno.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && isGateway(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isGateway(pid)) Deno.kill(pid, 'SIGKILL');
  await Deno.remove(gatewayPidFile(cfg)).catch(() => {});
  return true;
}
