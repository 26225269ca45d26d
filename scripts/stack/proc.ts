// Small process helpers: run a command (optionally as the `postgres` system user
// when we are root), and find out who holds a TCP port.
import { isRoot } from './config.ts';

export interface RunOptions {
  asPostgres?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  /** Stream output to the terminal instead of capturing it. */
  inherit?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [bin, argv] = opts.asPostgres && isRoot
    ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]]
    : [cmd, args];
  const out = await new Deno.Command(bin, {
    args: argv,
    env: opts.env,
    cwd: opts.cwd,
    stdin: 'null',
    stdout: opts.inherit ? 'inherit' : 'piped',
    stderr: opts.inherit ? 'inherit' : 'piped',
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: opts.inherit ? '' : dec.decode(out.stdout),
    stderr: opts.inherit ? '' : dec.decode(out.stderr),
  };
}

/** Like run, but throws with the command's own output when it fails. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const detail = (res.stderr || res.stdout).trim();
    throw new Error(`${cmd.split('/').pop()} ${args[0] ?? ''} failed (exit ${res.code})${detail ? `:\n${detail}` : ''}`);
  }
  return res.stdout;
}

export function portIsFree(port: number): boolean {
  try {
    const listener = Deno.listen({ hostname: '127.0.0.1', port });
    listener.close();
    return true;
  } catch {
    return false;
  }
}

/** "postgres (pid 1234)" or a fallback, for the port-in-use message. */
export async function portHolder(port: number): Promise<string> {
  try {
    const res = await run('ss', ['-Hltnp', `sport = :${port}`]);
    const m = res.stdout.match(/users:\(\("([^"]+)",pid=(\d+)/);
    if (m) return `${m[1]} (pid ${m[2]})`;
  } catch {
    // ss is not installed: fall through.
  }
  return 'another process';
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  if (portIsFree(port)) return;
  throw new Error(
    `port ${port} (${what}) is already in use by ${await portHolder(port)}. ` +
      `Stop that process, or choose other ports (VIBE_DB_PORT / VIBE_API_PORT / VIBE_SITE_PORT / VIBE_POOLER_PORT; VIBE_TEST_* for npm test).`,
  );
}

export function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

export function processCmdline(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
