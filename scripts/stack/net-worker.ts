// The local stack's stand-in for pg_net's background worker (the stand-in extension is
// scripts/stack/pg_net/). Like that worker it connects as the superuser, to the stack's
// own database only, and:
// - claims committed requests by deleting them from net.http_request_queue (so each is
//   sent at most once: nothing is retried, a crash loses what was in flight);
// - sends them concurrently, each cut off after its timeout_milliseconds, so a slow
//   receiver never holds up the others;
// - writes each outcome to net._http_response (status, content_type, headers, content,
//   timed_out = false; or error_msg) and deletes responses older than pg_net.ttl;
// - logs one line per request, and survives PostgreSQL restarts (reconnects with backoff).
// It wakes on net.wake()'s NOTIFY (sent at commit), and polls the queue every second
// besides (every 200 ms while it has no LISTEN connection).
// Started and stopped with the API gateway (scripts/stack/stack.ts); never deployed.
import { join } from 'node:path';
import postgres from 'postgres';
import { reconnectBackoff } from '../../supabase/functions/_shared/db.ts';
import { adminDbUrl, repoRoot, type StackConfig } from './config.ts';
import type { Service } from './service.ts';

const VERSION = '0.19.5';
/** Found by net.check_worker_is_up() and net.wait_until_running(). */
const APPLICATION_NAME = `pg_net ${VERSION} worker`;
const WAKE_CHANNEL = 'pg_net_wake';
/** Without a LISTEN connection: how often the queue is looked at. */
const POLL_MS = 200;
/** With one, the fallback poll (for rows queued without net.wake()): cheaper when idle. */
const IDLE_POLL_MS = 1000;
const EXPIRE_EVERY_MS = 2000;
/** Requests in flight at once; pg_net.batch_size (default 200) caps each claim. */
const MAX_IN_FLIGHT = 1000;
/** Reconnect attempts while the database is down: cheap on loopback, and requests flow again within a second of its return. */
const MAX_BACKOFF_MS = 1000;
/** How long a response that cannot be written (database down) is retried before it is dropped. */
const RECORD_GIVE_UP_MS = 60_000;

export function netWorkerService(cfg: StackConfig): Service {
  return {
    name: 'net-worker',
    label: 'pg_net worker',
    script: join(repoRoot, 'scripts', 'stack', 'net-worker.ts'),
    env: { NET_WORKER_DB_URL: adminDbUrl(cfg) },
  };
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown> | null;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

type Outcome =
  | { status: number; contentType: string | null; headers: Record<string, string>; content: string | null }
  | { error: string };

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The URL for the log: no credentials, query or fragment (they may carry secrets). */
function logUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return raw.replace(/[?#].*$/, '');
  }
}

/** libcurl's words for what went wrong, where pg_net would have them. */
function curlError(e: unknown): string {
  const text = `${(e as Error)?.message ?? e} ${(e as { cause?: Error })?.cause?.message ?? ''}`;
  if (/connection refused/i.test(text)) return "Couldn't connect to server";
  if (/dns error|failed to lookup|name or service not known|no address associated/i.test(text)) return "Couldn't resolve host name";
  if (/certificate|invalid peer|tls|ssl/i.test(text)) return 'SSL peer certificate or SSH remote key was not OK';
  if (/connection reset/i.test(text)) return 'Recv failure: Connection reset by peer';
  if (/connection closed before message completed|incomplete message|unexpected eof/i.test(text)) {
    return 'Server returned nothing (no headers, no data)';
  }
  return text.trim();
}

/** One request, as pg_net's curl handle sends it: redirects followed, http(s) only. */
async function send(req: QueuedRequest): Promise<Outcome> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { error: 'URL using bad/illegal format or missing URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'Unsupported protocol' };
  if (req.timeout_milliseconds < 0) return { error: 'A libcurl function was given a bad argument' };
  const headers = new Headers();
  try {
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      if (value === null) continue; // pg_net drops a header whose value is JSON null
      headers.append(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
  } catch (e) {
    return { error: `bad request header: ${(e as Error).message}` };
  }
  if (!headers.has('user-agent')) headers.set('user-agent', `pg_net/${VERSION}`);
  if (url.username || url.password) {
    // curl sends URL credentials as Basic auth; fetch refuses a URL that carries them.
    if (!headers.has('authorization')) {
      headers.set('authorization', `Basic ${btoa(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`)}`);
    }
    url.username = '';
    url.password = '';
  }
  const method = req.method.toUpperCase();
  const started = performance.now();
  const deadline = new AbortController();
  // 0 means no limit, as CURLOPT_TIMEOUT_MS 0 does.
  const timer = req.timeout_milliseconds > 0 ? setTimeout(() => deadline.abort(), req.timeout_milliseconds) : undefined;
  try {
    const res = await fetch(url, {
      method,
      headers,
      // fetch cannot send a body with GET (pg_net's http_get never queues one).
      body: (method === 'GET' ? undefined : req.body ?? (method === 'POST' ? new Uint8Array() : undefined)) as BodyInit | undefined,
      redirect: 'follow',
      signal: deadline.signal,
    });
    const bytes = new Uint8Array(await res.arrayBuffer()); // the deadline covers the body too
    // Text as pg_net stores it (no NUL in PostgreSQL text); an empty body is null.
    const content = bytes.length ? new TextDecoder().decode(bytes).replaceAll('\0', '') : null;
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      headers: Object.fromEntries(res.headers),
      content,
    };
  } catch (e) {
    if (deadline.signal.aborted) {
      const total = (performance.now() - started).toFixed(6);
      // pg_net's words; libcurl also splits the total into DNS, handshake and HTTP time,
      // which fetch cannot measure.
      return { error: `Timeout of ${req.timeout_milliseconds} ms reached. Total time: ${total} ms` };
    }
    return { error: curlError(e) };
  } finally {
    clearTimeout(timer);
  }
}

function isConnectionError(e: unknown): boolean {
  const code = String((e as { code?: string })?.code ?? '');
  return /^(08|57P0)/.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']
      .includes(code);
}

/** The extension is not (or no longer) created in this database. */
const isMissingExtension = (e: unknown) => ['42P01', '3F000'].includes(String((e as { code?: string })?.code));

class Worker {
  #sql: postgres.Sql;
  #listener: postgres.Sql | null = null;
  #inFlight = new Set<Promise<void>>();
  #stopping = false;
  #wakePending = false;
  #wakeUp: (() => void) | null = null;
  #lastExpire = 0;
  #downSince: number | null = null;
  /**
   * Whether net.http_request_queue was there last time (null: not looked yet). Unless it
   * was, it is probed with to_regclass first: a failing DELETE every second would fill
   * the server log.
   */
  #hasQueue: boolean | null = null;

  constructor(private url: string) {
    // Connections close only when the server drops them (restart, terminated backend).
    this.#sql = this.#client(4, () => this.#dropListener());
  }

  #client(max: number, onclose?: () => void): postgres.Sql {
    return postgres(this.url, {
      max,
      idle_timeout: 0, // stay connected: that is how net.check_worker_is_up() sees the worker
      max_lifetime: null,
      connect_timeout: 5,
      // Not postgres.js's default, which grows to 20 s: after a restart, a connection that
      // failed while the database was down waited that long, and responses with it.
      backoff: reconnectBackoff,
      onnotice: () => {},
      ...(onclose ? { onclose } : {}),
      connection: { application_name: APPLICATION_NAME },
    });
  }

  wake(): void {
    this.#wakePending = true;
    this.#wakeUp?.();
  }

  /** Until woken or `ms` passed. */
  #pause(ms: number): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeUp = null;
        this.#wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeUp = done;
    });
  }

  /**
   * LISTEN on a connection of its own. postgres.js listens again when that connection
   * drops, but gives up silently if the server is still down then; so whenever the
   * database goes away (a pool connection closes) the listener is dropped, the worker
   * polls fast, and the next round listens anew.
   */
  async #listen(): Promise<void> {
    if (this.#listener) return;
    const listener = this.#client(1);
    try {
      await listener.listen(WAKE_CHANNEL, (payload) => {
        if (payload === 'restart') log('net.worker_restart() called: settings are read again on the next poll');
        this.wake();
      });
      this.#listener = listener;
    } catch {
      await listener.end({ timeout: 0 }).catch(() => {});
    }
  }

  #dropListener(): void {
    const listener = this.#listener;
    this.#listener = null;
    listener?.end({ timeout: 0 }).catch(() => {});
  }

  async #claim(room: number): Promise<QueuedRequest[]> {
    return await this.#sql<QueuedRequest[]>`
      delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id
                     limit least(${room}::int, coalesce(nullif(current_setting('pg_net.batch_size', true), '')::int, 200))
                     for update skip locked)
      returning id, method, url, headers, body, timeout_milliseconds`;
  }

  async #expire(): Promise<void> {
    this.#lastExpire = Date.now();
    await this.#sql`
      delete from net._http_response
       where created < now() - coalesce(nullif(current_setting('pg_net.ttl', true), ''), '6 hours')::interval`;
  }

  async #record(req: QueuedRequest, outcome: Outcome): Promise<void> {
    const until = Date.now() + RECORD_GIVE_UP_MS;
    for (let wait = 250;; wait = Math.min(wait * 2, MAX_BACKOFF_MS)) {
      try {
        if ('error' in outcome) {
          await this.#sql`insert into net._http_response (id, error_msg) values (${req.id}, ${outcome.error})`;
        } else {
          await this.#sql`
            insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
            values (${req.id}, ${outcome.status}, ${outcome.contentType}, ${JSON.stringify(outcome.headers)}::text::jsonb,
                    ${outcome.content}, false)`;
        }
        return;
      } catch (e) {
        if (!isConnectionError(e) || Date.now() > until) {
          log(`could not record the response to request ${req.id}: ${(e as Error).message}`);
          return;
        }
        await sleep(wait);
      }
    }
  }

  #dispatch(req: QueuedRequest): void {
    const started = performance.now();
    const task = send(req).then(async (outcome) => {
      const ms = Math.round(performance.now() - started);
      const what = 'error' in outcome ? `error: ${outcome.error}` : String(outcome.status);
      log(`${req.method.toUpperCase()} ${logUrl(req.url)} ${what} ${ms} ms`);
      await this.#record(req, outcome);
    }).catch((e) => log(`request ${req.id} failed unexpectedly: ${(e as Error).stack ?? e}`))
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  /** The database answered; `hasQueue`: with net.http_request_queue in place. */
  #databaseUp(hasQueue: boolean): void {
    if (this.#downSince !== null) {
      log(`database reachable again after ${((Date.now() - this.#downSince) / 1000).toFixed(1)} s`);
      this.#downSince = null;
    }
    if (hasQueue !== this.#hasQueue) {
      log(hasQueue ? 'net.http_request_queue found: sending requests' : 'net.http_request_queue does not exist: waiting for `create extension pg_net`');
      this.#hasQueue = hasQueue;
    }
  }

  async run(): Promise<void> {
    log(`pg_net ${VERSION} stand-in worker started (woken by NOTIFY ${WAKE_CHANNEL}; polls every ${IDLE_POLL_MS} ms, ${POLL_MS} ms without LISTEN)`);
    let backoff = 100;
    while (!this.#stopping) {
      try {
        await this.#listen();
        if (this.#hasQueue !== true) {
          const [{ found }] = await this.#sql<{ found: boolean }[]>`select to_regclass('net.http_request_queue') is not null as found`;
          if (!found) throw Object.assign(new Error('net.http_request_queue does not exist'), { code: '42P01' });
        }
        const room = MAX_IN_FLIGHT - this.#inFlight.size;
        const claimed = room > 0 ? await this.#claim(room) : [];
        this.#databaseUp(true);
        backoff = 100;
        for (const req of claimed) this.#dispatch(req);
        if (Date.now() - this.#lastExpire >= EXPIRE_EVERY_MS) await this.#expire();
        if (claimed.length > 0) continue; // more may be waiting: claim again at once
        // Listening, a commit's NOTIFY wakes the worker at once; the poll is a fallback.
        await this.#pause(this.#listener ? IDLE_POLL_MS : POLL_MS);
      } catch (e) {
        if (isMissingExtension(e)) {
          this.#databaseUp(false);
          await this.#pause(1000); // the first net.http_*() after the extension is created wakes us
          continue;
        }
        if (this.#downSince === null) {
          this.#downSince = Date.now();
          log(`database unreachable (${(e as Error).message}); retrying`);
          this.#dropListener(); // its LISTEN died with the server; a new one once it is back
        }
        await this.#pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Stops claiming, gives requests in flight a moment to finish (they are not retried), disconnects. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.wake();
    await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(4000)]);
    await Promise.allSettled([this.#sql.end({ timeout: 1 }), this.#listener?.end({ timeout: 1 })]);
  }
}

if (import.meta.main) {
  const url = Deno.env.get('NET_WORKER_DB_URL');
  if (!url) {
    console.error('✗ NET_WORKER_DB_URL is not set (the stack sets it: scripts/stack/stack.ts)');
    Deno.exit(2);
  }
  // A bug in one request must not stop the others being sent.
  globalThis.addEventListener('unhandledrejection', (e) => {
    log(`unhandled rejection: ${(e.reason as Error)?.stack ?? e.reason}`);
    e.preventDefault();
  });
  const worker = new Worker(url);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    Deno.addSignalListener(sig, async () => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping the pg_net worker`);
      await worker.stop();
      Deno.exit(0);
    });
  }
  await worker.run();
}
