// /functions/v1/NAME → supabase/functions/NAME/index.ts. Each function runs
// unchanged in its own Deno process (function-host.ts) on an internal port, with the
// environment a hosted function gets, and the gateway proxies to it — so the same
// index.ts that calls Deno.serve(handler) deploys to Supabase as is. A worker starts
// on first use and is restarted when its files change or it dies.
import { join } from 'node:path';
import type { FunctionRoot, GatewayConfig } from './config.ts';
import { repoRoot } from './config.ts';
import { READY_MARKER } from './function-host.ts';
import { bearer, BodyTooLarge, json, readBody } from './http.ts';
import type { Jwt } from './jwt.ts';
import { functionSettings, verifyJwtFor } from './toml.ts';

const HOST_SCRIPT = new URL('./function-host.ts', import.meta.url).pathname;
const BOOT_TIMEOUT_MS = 60_000;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
];
/**
 * Headers that name the client's address. A client may send any of them, so every one
 * it sent is dropped and the gateway sets its own from the connection, as hosted
 * Supabase's Cloudflare front does (cf-connecting-ip, and appending to x-forwarded-for).
 */
const CLIENT_ADDRESS_HEADERS = [
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'true-client-ip',
  'x-real-ip',
  'x-forwarded-for',
  'forwarded',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-envoy-external-address',
  'fastly-client-ip',
];
/** Parent variables a function process may see besides its SUPABASE_* ones. */
const PASS_ENV = ['PATH', 'HOME', 'DENO_DIR', 'TMPDIR', 'LANG', 'NO_COLOR', 'TZ'];

class BootError extends Error {}

interface Worker {
  port: number;
  child: Deno.ChildProcess;
  ready: Promise<void>;
  exited: boolean;
}

function freePort(): number {
  const l = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** KEY=value lines of supabase/functions/.env, as `supabase functions serve` loads them. */
function dotEnv(file: string): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(file).split('\n')) {
      const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
      if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * A function process's variables, a later source winning: the few parent variables a
 * process needs (PASS_ENV), supabase/functions/.env (as `supabase functions serve`
 * loads it), the function secrets (what `supabase secrets set` gives a hosted project's
 * functions: GATEWAY_FUNCTION_SECRETS), then what the platform sets (SUPABASE_URL, …).
 */
export function functionEnv(sources: {
  parent: Record<string, string>;
  dotEnv: Record<string, string>;
  secrets: Record<string, string>;
  platform: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASS_ENV) {
    const v = sources.parent[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...sources.dotEnv, ...sources.secrets, ...sources.platform };
}

export class Functions {
  #workers = new Map<string, Worker>();
  #settings = new Map<string, { stamp: string; settings: ReturnType<typeof functionSettings> }>();
  #watchers: Deno.FsWatcher[] = [];

  constructor(private cfg: GatewayConfig, private jwt: Jwt, private log: (msg: string) => void) {}

  /** Restart workers whose files change, so edits apply on the next request. */
  watch(): void {
    for (const root of this.cfg.functionRoots) {
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(root.dir, { recursive: true });
      } catch {
        continue; // no such folder (yet)
      }
      this.#watchers.push(watcher);
      (async () => {
        for await (const ev of watcher) {
          for (const p of ev.paths) {
            const name = p.slice(root.dir.length + 1).split('/')[0] ?? '';
            if (name.startsWith('_') || name === '.env') this.stopAll();
            else this.#stop(name);
          }
        }
      })().catch(() => {});
    }
  }

  async handle(req: Request, path: string, remote: string): Promise<Response> {
    const m = path.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    const name = m?.[1] ?? '';
    const root = /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)
      ? this.cfg.functionRoots.find((r) => this.#exists(join(r.dir, name, 'index.ts')))
      : undefined;
    if (!root) return json(404, { code: 'NOT_FOUND', message: 'Requested function was not found' });
    const entry = join(root.dir, name, 'index.ts');
    // A preflight carries no Authorization header; it goes to the function unchecked.
    if (req.method !== 'OPTIONS' && this.#verifyJwt(root, name)) {
      const token = bearer(req);
      if (!token) return json(401, { msg: 'Error: Missing authorization header' });
      if (!(await this.jwt.verify(token)).ok) return json(401, { msg: 'Invalid JWT' });
    }
    let body: Uint8Array | null = null;
    if (!['GET', 'HEAD'].includes(req.method)) {
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          return json(413, { code: 'PAYLOAD_TOO_LARGE', message: e.message });
        }
        throw e;
      }
    }
    const headers = new Headers(req.headers);
    for (const h of [...HOP_BY_HOP, ...CLIENT_ADDRESS_HEADERS]) headers.delete(h);
    headers.set('cf-connecting-ip', remote);
    headers.set('x-real-ip', remote);
    headers.set('x-forwarded-for', remote);
    const target = `/${name}${m?.[2] ?? ''}${new URL(req.url).search}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      let worker: Worker;
      try {
        worker = await this.#worker(name, entry, root.dir);
      } catch (e) {
        this.log(`functions: ${name} failed to start: ${(e as Error).message}`);
        return json(503, {
          code: 'BOOT_ERROR',
          message: 'Function failed to start (please check logs)',
        });
      }
      // A client that hangs up does not cancel the function's request: it runs to its
      // end (an ingest still stores what it was sent) and the answer is dropped.
      // Following req.signal cost a third of the proxy's CPU per request (Deno builds
      // an AbortError for every finished request whose signal was touched); a function
      // that does not answer is cut off at the platform's wall-clock limit instead (a
      // timer cleared on the answer: AbortSignal.timeout would keep one per request
      // alive for the whole 400 s).
      const wallClock = new AbortController();
      const timer = setTimeout(() => wallClock.abort(), this.cfg.functionTimeoutMs);
      try {
        const res = await fetch(`http://127.0.0.1:${worker.port}${target}`, {
          method: req.method,
          headers,
          body: body as BodyInit | null,
          redirect: 'manual',
          signal: wallClock.signal,
        });
        const out = new Headers(res.headers);
        for (const h of HOP_BY_HOP) out.delete(h);
        return new Response(res.body, {
          status: res.status,
          statusText: res.statusText,
          headers: out,
        });
      } catch (e) {
        if (wallClock.signal.aborted) {
          this.log(`functions: ${name} did not answer within ${this.cfg.functionTimeoutMs / 1000} s`);
          return json(504, { code: 'WORKER_TIMEOUT', message: 'Function did not answer in time' });
        }
        // The worker died between requests: start a fresh one and try once more.
        if (worker.exited && attempt === 0) continue;
        this.log(`functions: ${name} request failed: ${(e as Error).message}`);
        return json(502, {
          code: 'WORKER_ERROR',
          message: 'Function exited or returned an invalid response',
        });
      } finally {
        clearTimeout(timer); // the answer's headers are in: the function answered in time
      }
    }
    return json(502, { code: 'WORKER_ERROR', message: 'Function exited before answering' });
  }

  #exists(file: string): boolean {
    try {
      return Deno.statSync(file).isFile;
    } catch {
      return false;
    }
  }

  /** verify_jwt from config.toml, re-read only when the file changes (a stat per request). */
  #verifyJwt(root: FunctionRoot, name: string): boolean {
    let stamp = 'missing';
    try {
      const st = Deno.statSync(root.configToml);
      stamp = `${st.mtime?.getTime()}:${st.size}`;
    } catch {
      // no config.toml: Supabase's default applies
    }
    let cached = this.#settings.get(root.configToml);
    if (cached?.stamp !== stamp) {
      let toml = '';
      try {
        toml = Deno.readTextFileSync(root.configToml);
      } catch {
        // as above
      }
      cached = { stamp, settings: functionSettings(toml) };
      this.#settings.set(root.configToml, cached);
    }
    return verifyJwtFor(cached.settings, name);
  }

  #worker(name: string, entry: string, dir: string): Promise<Worker> {
    const existing = this.#workers.get(name);
    if (existing && !existing.exited) return existing.ready.then(() => existing);
    const port = freePort();
    const env = functionEnv({
      parent: Deno.env.toObject(),
      dotEnv: dotEnv(join(dir, '.env')),
      secrets: this.cfg.functionSecrets,
      platform: {
        SUPABASE_URL: this.cfg.apiUrl,
        SUPABASE_ANON_KEY: this.cfg.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: this.cfg.serviceRoleKey,
        SUPABASE_DB_URL: this.cfg.functionsDbUrl,
        VIBE_FUNCTION_PORT: String(port),
        VIBE_GATEWAY_PID: String(Deno.pid),
      },
    });
    const child = new Deno.Command(Deno.execPath(), {
      args: ['run', '--allow-all', '--no-prompt', HOST_SCRIPT, entry],
      cwd: repoRoot,
      clearEnv: true,
      env,
      stdin: 'null',
      stdout: 'piped',
      stderr: 'piped',
    }).spawn();
    const { promise: ready, resolve, reject } = Promise.withResolvers<void>();
    const worker: Worker = { port, child, ready, exited: false };
    const tail: string[] = [];
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const lines = stream.pipeThrough(new TextDecoderStream());
      let buf = '';
      for await (const chunk of lines) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line === READY_MARKER) resolve();
          else {
            this.log(`[fn ${name}] ${line}`);
            tail.push(line);
            if (tail.length > 10) tail.shift();
          }
        }
      }
    };
    pump(child.stdout).catch(() => {});
    pump(child.stderr).catch(() => {});
    const timer = setTimeout(
      () => reject(new BootError(`no Deno.serve within ${BOOT_TIMEOUT_MS} ms`)),
      BOOT_TIMEOUT_MS,
    );
    child.status.then((s) => {
      worker.exited = true;
      clearTimeout(timer);
      reject(
        new BootError(`exited with code ${s.code}${tail.length ? `: ${tail.join(' | ')}` : ''}`),
      );
      if (this.#workers.get(name) === worker) this.#workers.delete(name);
    });
    ready.then(() => clearTimeout(timer), () => this.#kill(worker));
    this.#workers.set(name, worker);
    return ready.then(() => worker);
  }

  #kill(w: Worker): void {
    if (w.exited) return;
    try {
      w.child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }

  #stop(name: string): void {
    const w = this.#workers.get(name);
    if (!w) return;
    this.#workers.delete(name);
    this.#kill(w);
  }

  stopAll(): void {
    for (const name of [...this.#workers.keys()]) this.#stop(name);
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.close();
    const all = [...this.#workers.values()];
    this.stopAll();
    await Promise.allSettled(all.map((w) => w.child.status));
  }
}
