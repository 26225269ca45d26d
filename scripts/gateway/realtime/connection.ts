// One websocket: Phoenix channel joins, heartbeats, token refresh, leaves and
// client broadcasts. Never throws out of a handler: a bad frame or a
// database failure becomes an error reply or a log line, not a crash.
import { isConnectionError, type Sql } from '../db.ts';
import type { Claims, Jwt, JwtCheck } from '../jwt.ts';
import { canRead, canWrite } from './authz.ts';
import type { Hub, Subscriber } from './hub.ts';
import {
  type BroadcastMessage,
  decodeBinary,
  decodeText,
  encodeText,
  type Frame,
  ProtocolError,
  type Vsn,
} from './protocol.ts';

export const LIMITS = {
  frameBytes: 1024 * 1024,
  channelsPerSocket: 100,
  /** A client this far behind is too slow to keep: close it rather than buffer without bound. */
  bufferedBytes: 16 * 1024 * 1024,
  badFrames: 50,
  /** Clients heartbeat every 25 s; silence this long means the client vanished. */
  silenceMs: 60_000,
};

/** setTimeout's delay is a signed 32-bit number of milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ConnectionDeps {
  jwt: Jwt;
  api: Sql;
  hub: Hub;
  log: (msg: string) => void;
  /** The read check of a joined private channel, asked again every reauthMs. */
  canStillRead: (claims: Claims, topic: string) => Promise<boolean>;
  reauthMs: number;
}

/** Why a token is refused, in the words the Realtime server uses. */
export function tokenRefusal(
  check: Exclude<JwtCheck, { ok: true }> | { ok: false; kind: 'claims' },
): string {
  if (check.kind === 'expired') {
    return `InvalidJWTToken: Token has expired ${check.secondsAgo} seconds ago`;
  }
  if (check.kind === 'malformed') return 'MalformedJWT: The token provided is not a valid JWT';
  if (check.kind === 'claims') {
    return 'InvalidJWTToken: Fields `role` and `exp` are required in JWT';
  }
  return `InvalidJWTToken: ${check.message}`;
}

class Channel implements Subscriber {
  claims: Claims;
  writeAllowed: Promise<boolean> | null = null;
  expiry: ReturnType<typeof setTimeout> | undefined;
  reauth: ReturnType<typeof setInterval> | undefined;
  constructor(
    readonly conn: Connection,
    readonly topic: string,
    readonly joinRef: string | null,
    readonly isPrivate: boolean,
    readonly self: boolean,
    claims: Claims,
  ) {
    this.claims = claims;
  }
  get subTopic(): string {
    return this.topic.replace(/^realtime:/, '');
  }
  get vsn(): Vsn {
    return this.conn.vsn;
  }
  deliver(frame: string | Uint8Array): void {
    this.conn.sendRaw(frame);
  }
}

export class Connection {
  #channels = new Map<string, Channel>();
  #badFrames = 0;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #lastSeen = Date.now();

  constructor(
    private ws: WebSocket,
    readonly vsn: Vsn,
    /** The `apikey` query value: the token of a join that carries none. */
    private apikey: string,
    private deps: ConnectionDeps,
  ) {
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => this.#onMessage(ev.data);
    ws.onclose = () => this.#dispose();
    ws.onerror = () => this.#dispose();
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  sendRaw(frame: string | Uint8Array): void {
    if (this.#closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > LIMITS.bufferedBytes) {
      this.deps.log('realtime: closing a client that does not keep up (send buffer full)');
      this.#close(1008, 'client too slow');
      return;
    }
    try {
      this.ws.send(frame);
    } catch {
      this.#dispose();
    }
  }

  #send(f: Frame): void {
    this.sendRaw(encodeText(f, this.vsn));
  }

  #reply(f: Frame, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.#send({
      joinRef: f.joinRef,
      ref: f.ref,
      topic: f.topic,
      event: 'phx_reply',
      payload: { status, response },
    });
  }

  #close(code: number, reason: string): void {
    try {
      this.ws.close(code, reason);
    } catch {
      // already closing
    }
    this.#dispose();
  }

  #dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ch of this.#channels.values()) this.#drop(ch);
    this.#channels.clear();
  }

  #drop(ch: Channel): void {
    clearTimeout(ch.expiry);
    clearInterval(ch.reauth);
    this.deps.hub.remove(ch);
    if (this.#channels.get(ch.topic) === ch) this.#channels.delete(ch.topic);
  }

  /** Closes a socket whose client went silent without closing it (lost network, sleeping laptop). */
  closeIfSilent(now = Date.now()): boolean {
    if (now - this.#lastSeen <= LIMITS.silenceMs) return false;
    this.deps.log('realtime: closing a socket silent for more than 60 s (no heartbeat)');
    this.#close(1000, 'heartbeat timeout');
    return true;
  }

  #onMessage(data: unknown): void {
    this.#lastSeen = Date.now();
    let frame: Frame & { message?: BroadcastMessage };
    try {
      const size = typeof data === 'string' ? data.length : (data as ArrayBuffer).byteLength;
      if (size > LIMITS.frameBytes) {
        this.#close(1009, `frame larger than ${LIMITS.frameBytes} bytes`);
        return;
      }
      frame = typeof data === 'string'
        ? decodeText(data, this.vsn)
        : decodeBinary(new Uint8Array(data as ArrayBuffer));
    } catch (e) {
      const why = e instanceof ProtocolError ? e.message : 'unreadable frame';
      if (++this.#badFrames === 1) this.deps.log(`realtime: ignored a bad frame (${why})`);
      if (this.#badFrames > LIMITS.badFrames) this.#close(1003, 'too many malformed frames');
      return;
    }
    // Heartbeats are answered at once, even while a join waits for the database.
    if (frame.topic === 'phoenix' && frame.event === 'heartbeat') {
      this.#reply(frame, 'ok', {});
      return;
    }
    // Everything else in arrival order, so a broadcast never overtakes its join.
    this.#queue = this.#queue.then(() => this.#handle(frame)).catch((e) => {
      this.deps.log(
        `realtime: error handling ${frame.event} on ${frame.topic}: ${(e as Error).message}`,
      );
    });
  }

  async #handle(f: Frame & { message?: BroadcastMessage }): Promise<void> {
    if (this.#closed) return;
    if (f.event === 'phx_join') return await this.#join(f);
    const ch = this.#channels.get(f.topic);
    if (!ch) {
      this.#reply(f, 'error', { reason: 'unmatched topic' });
      return;
    }
    switch (f.event) {
      case 'phx_leave':
        this.#drop(ch);
        this.#reply(f, 'ok', {});
        return;
      case 'access_token':
        return await this.#refreshToken(ch, f);
      case 'broadcast':
        return await this.#clientBroadcast(ch, f);
      default:
        // presence and others are not served locally; acknowledge so clients do not time out.
        if (f.ref) this.#reply(f, 'ok', {});
    }
  }

  async #verify(token: string): Promise<{ claims: Claims } | { reason: string }> {
    const check = await this.deps.jwt.verify(token);
    if (!check.ok) return { reason: tokenRefusal(check) };
    if (typeof check.claims.role !== 'string' || typeof check.claims.exp !== 'number') {
      return { reason: tokenRefusal({ ok: false, kind: 'claims' }) };
    }
    return { claims: check.claims };
  }

  async #join(f: Frame): Promise<void> {
    const p = (f.payload ?? {}) as {
      config?: { private?: boolean; broadcast?: { self?: boolean } };
      access_token?: string;
    };
    const isPrivate = p.config?.private === true;
    const token = typeof p.access_token === 'string' && p.access_token
      ? p.access_token
      : this.apikey;
    const subTopic = f.topic.replace(/^realtime:/, '');
    const existing = this.#channels.get(f.topic);
    if (!existing && this.#channels.size >= LIMITS.channelsPerSocket) {
      this.#reply(f, 'error', {
        reason: `ChannelRateLimitReached: Too many channels (max ${LIMITS.channelsPerSocket})`,
      });
      return;
    }
    const who = await this.#verify(token);
    if ('reason' in who) {
      this.#reply(f, 'error', { reason: who.reason });
      return;
    }
    if (isPrivate) {
      const denied = await this.#authorise(who.claims, subTopic);
      if (denied) {
        this.#reply(f, 'error', { reason: denied });
        return;
      }
    }
    if (this.#closed) return;
    if (existing) this.#drop(existing); // a rejoin replaces the old subscription
    const ch = new Channel(
      this,
      f.topic,
      f.joinRef,
      isPrivate,
      p.config?.broadcast?.self === true,
      who.claims,
    );
    this.#channels.set(f.topic, ch);
    this.deps.hub.add(ch);
    this.#armExpiry(ch);
    if (isPrivate) this.#armReauth(ch);
    this.#reply(f, 'ok', { postgres_changes: [] });
  }

  /**
   * A private channel's read permission is asked again every reauthMs, so a member who
   * is removed (or whose project is deleted) stops receiving within that time, not at
   * the token's expiry. Hosted Realtime checks at join and token refresh only.
   */
  #armReauth(ch: Channel): void {
    ch.reauth = setInterval(async () => {
      let ok = true;
      try {
        ok = await this.deps.canStillRead(ch.claims, ch.subTopic);
      } catch {
        return; // a database hiccup is not a verdict: ask again next time
      }
      if (!ok && this.#channels.get(ch.topic) === ch) {
        this.#shutdown(ch, `Unauthorized: You do not have permissions to read from this Channel topic: ${ch.subTopic}`);
      }
    }, this.deps.reauthMs);
  }

  /** null when the token may read the topic; otherwise the refusal reason. */
  async #authorise(claims: Claims, subTopic: string): Promise<string | null> {
    try {
      if (await canRead(this.deps.api, claims, subTopic)) return null;
      return `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
    } catch (e) {
      const msg = (e as Error).message;
      if (isConnectionError(e)) return `UnableToConnectToTenantDatabase: ${msg}`;
      return `Unauthorized: could not check permissions for ${subTopic}: ${msg}`;
    }
  }

  #armExpiry(ch: Channel): void {
    clearTimeout(ch.expiry);
    const exp = Number(ch.claims.exp);
    const ms = exp * 1000 - Date.now();
    ch.expiry = setTimeout(() => {
      if (Number(ch.claims.exp) * 1000 > Date.now()) return this.#armExpiry(ch); // re-armed past the timer cap
      const ago = Math.max(0, Math.floor(Date.now() / 1000 - exp));
      this.#shutdown(ch, `Token has expired ${ago} seconds ago`);
    }, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
  }

  /** What the server does when a channel may no longer stay: a system error, then phx_close. */
  #shutdown(ch: Channel, message: string): void {
    this.#send({
      joinRef: ch.joinRef,
      ref: null,
      topic: ch.topic,
      event: 'system',
      payload: { message, status: 'error', extension: 'system', channel: ch.subTopic },
    });
    this.#send({
      joinRef: ch.joinRef,
      ref: ch.joinRef,
      topic: ch.topic,
      event: 'phx_close',
      payload: {},
    });
    this.#drop(ch);
  }

  async #refreshToken(ch: Channel, f: Frame): Promise<void> {
    const token = (f.payload as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || !token) return;
    const who = await this.#verify(token);
    if ('reason' in who) return this.#shutdown(ch, who.reason);
    if (ch.isPrivate) {
      const denied = await this.#authorise(who.claims, ch.subTopic);
      if (denied) return this.#shutdown(ch, denied);
    }
    ch.claims = who.claims;
    ch.writeAllowed = null; // new claims: the write policy is asked again
    this.#armExpiry(ch);
  }

  async #clientBroadcast(ch: Channel, f: Frame & { message?: BroadcastMessage }): Promise<void> {
    const p = f.payload as { type?: unknown; event?: unknown; payload?: unknown };
    const message: BroadcastMessage = f.message ??
      { event: typeof p.event === 'string' ? p.event : '', payload: p.payload ?? {} };
    if (ch.isPrivate) {
      ch.writeAllowed ??= canWrite(this.deps.api, ch.claims, ch.subTopic, message.event).catch(
        (e) => {
          this.deps.log(`realtime: write check failed on ${ch.subTopic}: ${(e as Error).message}`);
          ch.writeAllowed = null; // a database hiccup is not a verdict: ask again next time
          return false;
        },
      );
      if (!(await ch.writeAllowed)) {
        if (f.ref) this.#reply(f, 'ok', {}); // refused broadcasts are dropped silently, like the server
        return;
      }
    }
    this.deps.hub.broadcast(ch.subTopic, ch.isPrivate, message, ch);
    if (f.ref) this.#reply(f, 'ok', {});
  }
}
