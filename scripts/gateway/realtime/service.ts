// /realtime/v1: the websocket endpoint and the HTTP broadcast endpoint.
import type { Db } from '../db.ts';
import { BadJson, bearer, BodyTooLarge, json, readBody, readJson } from '../http.ts';
import type { Jwt } from '../jwt.ts';
import { canRead, canWrite } from './authz.ts';
import type { Claims } from '../jwt.ts';
import { Connection, tokenRefusal } from './connection.ts';
import { Hub } from './hub.ts';
import type { Vsn } from './protocol.ts';

export class Realtime {
  readonly hub: Hub;
  #connections = new Set<Connection>();

  constructor(
    private db: Db,
    private jwt: Jwt,
    private log: (msg: string) => void,
    private reauthMs = 2000,
  ) {
    this.hub = new Hub(db.realtime, db.listener, log);
  }

  /**
   * Read checks of joined channels, shared for half a period: the subscribers of one
   * topic with the same claims (a user's tabs, a bench's hundred) cost one check.
   */
  #reads = new Map<string, { at: number; ok: Promise<boolean> }>();
  #canStillRead = (claims: Claims, topic: string): Promise<boolean> => {
    const key = `${topic}\n${JSON.stringify(claims)}`;
    const now = Date.now();
    const hit = this.#reads.get(key);
    if (hit && now - hit.at < this.reauthMs / 2) return hit.ok;
    if (this.#reads.size > 10_000) this.#reads.clear();
    const ok = canRead(this.db.api, claims, topic);
    this.#reads.set(key, { at: now, ok });
    ok.catch(() => this.#reads.delete(key));
    return ok;
  };

  #sweeper: ReturnType<typeof setInterval> | undefined;

  start(): Promise<void> {
    this.#sweeper ??= setInterval(() => {
      for (const c of this.#connections) if (c.closeIfSilent()) this.#connections.delete(c);
    }, 15_000);
    return this.hub.start();
  }

  stop(): Promise<void> {
    clearInterval(this.#sweeper);
    return this.hub.stop();
  }

  get connections(): number {
    return this.#connections.size;
  }

  async handle(req: Request, path: string): Promise<Response> {
    if (path === '/realtime/v1/websocket' || path === '/realtime/v1/websocket/') {
      return await this.#upgrade(req);
    }
    if (path === '/realtime/v1/api/broadcast' && req.method === 'POST') {
      return await this.#httpBroadcast(req);
    }
    const one = path.match(/^\/realtime\/v1\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/);
    if (one && req.method === 'POST') {
      return await this.#httpSendOne(req, decodeURIComponent(one[1]!), decodeURIComponent(one[2]!));
    }
    return json(404, { message: `${req.method} ${path} is not served by the local gateway` });
  }

  async #upgrade(req: Request): Promise<Response> {
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return json(400, { message: 'expected a websocket upgrade' });
    }
    const url = new URL(req.url);
    const vsnParam = url.searchParams.get('vsn') ?? '1.0.0';
    if (vsnParam !== '1.0.0' && vsnParam !== '2.0.0') {
      return json(400, { message: `unsupported vsn ${vsnParam} (1.0.0 and 2.0.0 are served)` });
    }
    const apikey = url.searchParams.get('apikey') ?? req.headers.get('apikey') ?? '';
    if (!apikey) return json(401, { message: 'No API key found in request' });
    const check = await this.jwt.verify(apikey);
    if (!check.ok) return json(403, { message: tokenRefusal(check) });
    const { socket, response } = Deno.upgradeWebSocket(req);
    const conn = new Connection(socket, vsnParam as Vsn, apikey, {
      jwt: this.jwt,
      api: this.db.api,
      hub: this.hub,
      log: this.log,
      canStillRead: this.#canStillRead,
      reauthMs: this.reauthMs,
    });
    this.#connections.add(conn);
    socket.addEventListener('close', () => this.#connections.delete(conn));
    return response;
  }

  /** `POST /realtime/v1/api/broadcast/TOPIC/events/EVENT[?private=true]` (realtime-js `httpSend`): the body is the payload. */
  async #httpSendOne(req: Request, topic: string, event: string): Promise<Response> {
    const token = bearer(req) || req.headers.get('apikey') || '';
    const check = await this.jwt.verify(token);
    if (!check.ok) return json(401, { message: tokenRefusal(check) });
    const isPrivate = new URL(req.url).searchParams.get('private') === 'true';
    let bytes: Uint8Array;
    try {
      bytes = await readBody(req, 1024 * 1024);
    } catch (e) {
      if (e instanceof BodyTooLarge) return json(413, { message: e.message });
      throw e;
    }
    const binary = (req.headers.get('content-type') ?? '').startsWith('application/octet-stream');
    let payload: unknown = null;
    if (!binary) {
      try {
        payload = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        return json(400, { message: `invalid JSON: ${(e as Error).message}` });
      }
    }
    if (
      isPrivate && !(await canWrite(this.db.api, check.claims, topic, event).catch(() => false))
    ) {
      return json(403, {
        message:
          `Unauthorized: You do not have permissions to write to this Channel topic: ${topic}`,
      });
    }
    this.hub.broadcast(
      topic,
      isPrivate,
      binary ? { event, payload: null, raw: bytes } : { event, payload },
    );
    return new Response(null, { status: 202 });
  }

  /** `POST /realtime/v1/api/broadcast` (realtime-js `send` before joining); private topics pass the write policy. */
  async #httpBroadcast(req: Request): Promise<Response> {
    const token = bearer(req) || req.headers.get('apikey') || '';
    const check = await this.jwt.verify(token);
    if (!check.ok) return json(401, { message: tokenRefusal(check) });
    let body: unknown;
    try {
      body = await readJson(req, 1024 * 1024);
    } catch (e) {
      if (e instanceof BadJson) return json(400, { message: `invalid JSON: ${e.message}` });
      if (e instanceof BodyTooLarge) return json(413, { message: e.message });
      throw e;
    }
    const messages = (body as { messages?: unknown })?.messages;
    if (!Array.isArray(messages)) {
      return json(400, {
        message: 'body must be {"messages": [{topic, event, payload, private}]}',
      });
    }
    for (const m of messages as Record<string, unknown>[]) {
      if (typeof m?.topic !== 'string' || typeof m.event !== 'string') {
        return json(400, { message: 'every message needs a string topic and event' });
      }
    }
    for (
      const m of messages as {
        topic: string;
        event: string;
        payload?: unknown;
        private?: boolean;
      }[]
    ) {
      const isPrivate = m.private === true;
      if (
        isPrivate &&
        !(await canWrite(this.db.api, check.claims, m.topic, m.event).catch(() => false))
      ) continue;
      this.hub.broadcast(m.topic, isPrivate, { event: m.event, payload: m.payload ?? {} });
    }
    return new Response(null, { status: 202 });
  }
}
