// The gateway: one HTTP server routing like Kong does on a Supabase project —
// /rest/v1, /auth/v1, /realtime/v1, /functions/v1 — with CORS, the apikey check,
// one log line per request, and a last-resort 500 so no request can crash it.
import { Auth } from './auth.ts';
import type { GatewayConfig } from './config.ts';
import { type Db, openDb } from './db.ts';
import { Functions } from './functions.ts';
import { BodyTimeout, json, preflight, withCors } from './http.ts';
import { Jwt } from './jwt.ts';
import { Realtime } from './realtime/service.ts';
import { Rest } from './rest.ts';

export interface Gateway {
  server: Deno.HttpServer;
  realtime: Realtime;
  close(): Promise<void>;
}

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);

/** Kong's key-auth: /rest/v1 and /auth/v1 need the anon or service_role key. */
function apikeyRefusal(req: Request, cfg: GatewayConfig): Response | null {
  const key = req.headers.get('apikey') ?? new URL(req.url).searchParams.get('apikey');
  if (!key) {
    return json(401, {
      message: 'No API key found in request',
      hint: 'No `apikey` request header or url param was found.',
    });
  }
  if (key !== cfg.anonKey && key !== cfg.serviceRoleKey) {
    return json(401, {
      message: 'Invalid API key',
      hint: 'Double check your Supabase `anon` or `service_role` API key.',
    });
  }
  return null;
}

export function startGateway(cfg: GatewayConfig, onListen?: () => void): Gateway {
  const db: Db = openDb({ api: cfg.apiDbUrl, auth: cfg.authDbUrl, realtime: cfg.realtimeDbUrl });
  const jwt = new Jwt(cfg.jwtSecret);
  const rest = new Rest(cfg, db, jwt);
  const auth = new Auth(cfg, db, jwt);
  const realtime = new Realtime(db, jwt, log, cfg.realtimeReauthMs);
  const functions = new Functions(cfg, jwt, log);
  functions.watch();

  // LISTEN needs the database; if it is not up yet, keep trying without blocking startup.
  let listening = false;
  const listen = async () => {
    while (!listening) {
      try {
        await realtime.start();
        listening = true;
      } catch (e) {
        log(`realtime: waiting for the database (${(e as Error).message})`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const listenDone = listen();

  async function route(req: Request, path: string, remote: string): Promise<Response> {
    // A function answers for its own CORS, preflight included, as on hosted Supabase:
    // nothing is added on its way out (a refused origin stays refused).
    if (path.startsWith('/functions/v1/')) return await functions.handle(req, path, remote);
    if (req.method === 'OPTIONS') return preflight(req);
    if (path === '/health') {
      let dbOk = false;
      try {
        await db.api.unsafe('select 1');
        dbOk = true;
      } catch {
        // reported below
      }
      const ok = dbOk && realtime.hub.listening;
      return json(ok ? 200 : 503, {
        status: ok ? 'ok' : 'degraded',
        database: dbOk ? 'ok' : 'unreachable',
        realtime: {
          listening: realtime.hub.listening,
          connections: realtime.connections,
          subscriptions: realtime.hub.size,
        },
      });
    }
    if (path.startsWith('/rest/v1')) return apikeyRefusal(req, cfg) ?? await rest.handle(req, path);
    if (path.startsWith('/auth/v1')) return apikeyRefusal(req, cfg) ?? await auth.handle(req, path);
    if (path.startsWith('/realtime/v1/')) return await realtime.handle(req, path);
    return json(404, { message: 'no Route matched with those values' });
  }

  const server = Deno.serve({
    port: cfg.port,
    hostname: cfg.hostname,
    onListen: () => {
      log(`gateway listening on http://${cfg.hostname}:${cfg.port}`);
      onListen?.();
    },
    onError: (e) => {
      log(`unhandled error: ${(e as Error).stack ?? e}`);
      return json(500, { message: 'internal gateway error' });
    },
  }, async (req, info) => {
    const started = performance.now();
    const url = new URL(req.url);
    let res: Response;
    try {
      res = await route(req, url.pathname, (info.remoteAddr as Deno.NetAddr).hostname);
    } catch (e) {
      if (e instanceof BodyTimeout) {
        res = json(408, { message: e.message });
      } else {
        log(`error on ${req.method} ${url.pathname}: ${(e as Error).stack ?? e}`);
        // The cause goes to the log only: its text may be the database's.
        res = json(500, { message: 'internal gateway error' });
      }
    }
    if (cfg.logRequests) {
      log(
        `${req.method} ${url.pathname} ${res.status} ${(performance.now() - started).toFixed(1)}ms`,
      );
    }
    return res.status === 101 || url.pathname.startsWith('/functions/v1/') ? res : withCors(res);
  });

  return {
    server,
    realtime,
    close: async () => {
      listening = true; // stops the retry loop
      await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 2000))]);
      await Promise.race([listenDone, new Promise((r) => setTimeout(r, 100))]);
      await realtime.stop();
      await functions.close();
      await db.close();
    },
  };
}
