// A long-running Deno process of the stack (API gateway, dashboard server, demo
// traffic): started in the background for `up` and `npm test` (pid file + log in the
// stack's state folder), as a child for `start`, stopped by `down`.
import { join } from 'node:path';
import { repoRoot, type StackConfig } from './config.ts';
import { assertPortFree, pidAlive, processCmdline } from './proc.ts';

export interface Service {
  /** File-name stem: <name>.pid, <name>.log. */
  name: string;
  /** For messages: "API gateway". */
  label: string;
  /** The Deno script it runs, and its arguments. */
  script: string;
  args?: string[];
  env: Record<string, string>;
  /** Checked free before a start. */
  port?: number;
  /** Polled until it answers 200 before a start counts as done. */
  healthUrl?: string;
}

const HEALTH_TIMEOUT_MS = 60_000;

export const pidFile = (cfg: StackConfig, s: Pick<Service, 'name'>) => join(cfg.stateDir, `${s.name}.pid`);
export const logFile = (cfg: StackConfig, s: Pick<Service, 'name'>) => join(cfg.stateDir, `${s.name}.log`);

const isRunning = (pid: number, s: Service) => pidAlive(pid) && processCmdline(pid).includes(s.script);

/** The pid of this stack's running service; a pid file left by a crash is removed. */
export async function runningService(cfg: StackConfig, s: Service, report = true): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(pidFile(cfg, s));
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid, s)) return pid;
  await Deno.remove(pidFile(cfg, s)).catch(() => {});
  if (report) console.log(`• removed a stale ${s.name}.pid left by a crash`);
  return null;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function logTail(cfg: StackConfig, s: Service): Promise<string> {
  const text = await Deno.readTextFile(logFile(cfg, s)).catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

async function waitHealthy(s: Service, exited: () => boolean): Promise<void> {
  if (!s.healthUrl) return;
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await healthy(s.healthUrl)) return;
    if (exited()) throw new Error(`the ${s.label} exited during startup`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the ${s.label} did not become healthy within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

/** `up` and `npm test`: a detached process logging to <name>.log. */
export async function startBackground(cfg: StackConfig, s: Service): Promise<'started' | 'running'> {
  const pid = await runningService(cfg, s);
  if (pid) {
    await waitHealthy(s, () => !isRunning(pid, s));
    return 'running';
  }
  if (s.port) await assertPortFree(s.port, s.label);
  await Deno.mkdir(cfg.stateDir, { recursive: true });
  // setsid: the process outlives this command and ignores the terminal's Ctrl-C.
  const child = new Deno.Command('setsid', {
    args: ['bash', '-c', 'echo $$ > "$1"; exec "$0" run --allow-all "${@:3}" >>"$2" 2>&1',
      Deno.execPath(), pidFile(cfg, s), logFile(cfg, s), s.script, ...(s.args ?? [])],
    cwd: repoRoot,
    env: { ...Deno.env.toObject(), ...s.env },
    stdin: 'null',
    stdout: 'null',
    stderr: 'null',
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  child.unref();
  try {
    await waitHealthy(s, () => exited);
    await waitPidFile(cfg, s, () => exited);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ${logFile(cfg, s)} ---\n${await logTail(cfg, s)}`);
  }
  return 'started';
}

/** Until the pid file names the running script (the wrapper has exec'd into Deno). */
async function waitPidFile(cfg: StackConfig, s: Service, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await runningService(cfg, s, false))) {
    if (exited()) throw new Error(`the ${s.label} exited during startup`);
    if (Date.now() > deadline) throw new Error(`the ${s.label} did not start within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `start`: the service as a child whose output goes to this terminal (and a pid file, so other commands find it). */
export async function startForeground(cfg: StackConfig, s: Service): Promise<Deno.ChildProcess> {
  if (await runningService(cfg, s)) {
    throw new Error(`a background ${s.label} of this stack is running (npm run up); stop it with \`npm run down\` first`);
  }
  if (s.port) await assertPortFree(s.port, s.label);
  // Own session (setsid): the terminal's Ctrl-C reaches only `start`, which then stops
  // the services in order instead of racing their exits.
  const child = new Deno.Command('setsid', {
    args: [Deno.execPath(), 'run', '--allow-all', s.script, ...(s.args ?? [])],
    cwd: repoRoot,
    env: { ...Deno.env.toObject(), ...s.env },
    stdin: 'null',
    stdout: 'inherit',
    stderr: 'inherit',
  }).spawn();
  let exited = false;
  child.status.then(async () => {
    exited = true;
    const text = await Deno.readTextFile(pidFile(cfg, s)).catch(() => '');
    if (text.trim() === String(child.pid)) await Deno.remove(pidFile(cfg, s)).catch(() => {});
  });
  // A pid file like a background start writes: `npm run up`, `status` and the benchmarks in
  // another terminal then find this stack and use it instead of tripping over its ports.
  // (Written once the child runs the script: before its exec it is still a copy of this process.)
  for (let i = 0; i < 200 && !exited && !isRunning(child.pid, s); i++) await new Promise((r) => setTimeout(r, 50));
  await Deno.mkdir(cfg.stateDir, { recursive: true });
  if (!exited) await Deno.writeTextFile(pidFile(cfg, s), String(child.pid));
  await waitHealthy(s, () => exited);
  return child;
}

/** SIGTERM, then SIGKILL after 5 s. False if it was not running. */
export async function stopService(cfg: StackConfig, s: Service): Promise<boolean> {
  const pid = await runningService(cfg, s);
  if (!pid) return false;
  Deno.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && isRunning(pid, s); i++) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid, s)) Deno.kill(pid, 'SIGKILL');
  await Deno.remove(pidFile(cfg, s)).catch(() => {});
  return true;
}
