// Who listens to what, and the feed of new realtime.messages rows. The hosted server
// reads the WAL; locally a trigger of the baseline NOTIFYs the row id on
// `realtime_messages`, and the hub fetches the rows in batches and fans them out.
import type { Sql } from '../db.ts';
import { type BroadcastMessage, encodeBroadcast, type Vsn } from './protocol.ts';

export interface Subscriber {
  /** Channel name without the `realtime:` prefix. */
  readonly subTopic: string;
  readonly isPrivate: boolean;
  /** Receive one's own client broadcasts (`broadcast.self`). */
  readonly self: boolean;
  readonly vsn: Vsn;
  deliver(frame: string | Uint8Array): void;
}

const key = (topic: string, isPrivate: boolean) => `${isPrivate ? 'p' : 'o'}:${topic}`;
const RECENT_IDS = 20_000;
const WATCHDOG_MS = 5_000;
const PING_TIMEOUT_MS = 3_000;

export class Hub {
  #subs = new Map<string, Set<Subscriber>>();
  #pending: string[] = [];
  #flushing = false;
  #recent = new Set<string>();
  #listening = false;
  #listener: Sql | null = null;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #checking = false;
  #ping: { token: string; resolve: (heard: boolean) => void } | null = null;
  #log: (msg: string) => void;
  readonly #startedAt = new Date().toISOString().replace('Z', '');

  constructor(private admin: Sql, private listenerFactory: () => Sql, log: (msg: string) => void) {
    this.#log = log;
  }

  get size(): number {
    let n = 0;
    for (const s of this.#subs.values()) n += s.size;
    return n;
  }

  add(s: Subscriber): void {
    const k = key(s.subTopic, s.isPrivate);
    let set = this.#subs.get(k);
    if (!set) this.#subs.set(k, set = new Set());
    set.add(s);
  }

  remove(s: Subscriber): void {
    const k = key(s.subTopic, s.isPrivate);
    const set = this.#subs.get(k);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.#subs.delete(k);
  }

  /** Fans a message out to every subscriber of the topic and privacy, except `from` unless it asked for self. */
  broadcast(subTopic: string, isPrivate: boolean, m: BroadcastMessage, from?: Subscriber): number {
    const set = this.#subs.get(key(subTopic, isPrivate));
    if (!set) return 0;
    const frames = new Map<Vsn, string | Uint8Array | null>();
    let n = 0;
    for (const s of set) {
      if (s === from && !s.self) continue;
      let frame = frames.get(s.vsn);
      if (frame === undefined) {
        frames.set(s.vsn, frame = encodeBroadcast(`realtime:${subTopic}`, m, s.vsn));
      }
      if (frame !== null) {
        s.deliver(frame);
        n++;
      }
    }
    return n;
  }

  /**
   * LISTENs on a connection of its own, and proves every few seconds that it still
   * hears: a ping NOTIFY must come back. If it does not while the database answers,
   * the listener is replaced and rows inserted meanwhile are caught up — so a
   * Postgres restart or a dropped connection never silences Realtime for good.
   */
  async start(): Promise<void> {
    await this.#connectListener(false);
    this.#watchdog ??= setInterval(() => this.#checkListener(), WATCHDOG_MS);
  }

  async #connectListener(catchUp: boolean): Promise<void> {
    const old = this.#listener;
    this.#listener = null;
    if (old) await old.end({ timeout: 0 }).catch(() => {});
    const sql = this.listenerFactory();
    try {
      let first = true;
      await sql.listen('realtime_messages', (id) => this.#notified(id), () => {
        // The driver re-LISTENs by itself after a reconnect: catch up on what it missed.
        if (!first) {
          this.#catchUp().catch((e) =>
            this.#log(`realtime: catch-up failed: ${(e as Error).message}`)
          );
        }
        first = false;
      });
    } catch (e) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw e;
    }
    this.#listener = sql;
    this.#listening = true;
    if (catchUp) {
      this.#log('realtime: LISTEN re-established');
      await this.#catchUp().catch((e) =>
        this.#log(`realtime: catch-up failed: ${(e as Error).message}`)
      );
    }
  }

  async #checkListener(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const token = `ping:${crypto.randomUUID()}`;
      const heard = new Promise<boolean>((resolve) => {
        this.#ping = { token, resolve };
        setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      });
      try {
        await this.admin.unsafe(`select pg_notify('realtime_messages', $1)`, [token]);
      } catch {
        this.#listening = false; // the database is down: nothing to hear yet
        this.#ping?.resolve(false);
      }
      if (await heard) return;
      this.#listening = false;
      await this.#connectListener(true).catch((e) => {
        this.#log(`realtime: LISTEN not possible yet (${(e as Error).message})`);
      });
    } finally {
      this.#ping = null;
      this.#checking = false;
    }
  }

  get listening(): boolean {
    return this.#listening;
  }

  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#ping?.resolve(true);
    await this.#listener?.end({ timeout: 0 }).catch(() => {});
  }

  #remember(id: string): boolean {
    if (this.#recent.has(id)) return false;
    this.#recent.add(id);
    if (this.#recent.size > RECENT_IDS) {
      // Sets iterate in insertion order: drop the oldest.
      const oldest = this.#recent.values().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    return true;
  }

  #notified(id: string): void {
    if (id.startsWith('ping:')) {
      if (this.#ping?.token === id) this.#ping.resolve(true);
      return;
    }
    if (!this.#remember(id)) return;
    if (this.#subs.size === 0) return; // nobody listens: no need to read the row
    this.#pending.push(id);
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length) {
        const ids = this.#pending.splice(0, 500);
        const rows = await this.admin.unsafe<Row[]>(
          `select id::text, topic, event, payload::text as payload, coalesce(private, false) as private
             from realtime.messages where id = any($1::uuid[]) and extension = 'broadcast'
            order by inserted_at, id`,
          [`{${ids.join(',')}}`],
        );
        this.#deliverRows(rows);
      }
    } catch (e) {
      this.#log(`realtime: could not read new messages: ${(e as Error).message}`);
    } finally {
      this.#flushing = false;
    }
  }

  #deliverRows(rows: Row[]): void {
    for (const r of rows) {
      let payload: unknown = null;
      try {
        payload = r.payload === null ? null : JSON.parse(r.payload);
      } catch {
        // Cannot happen for jsonb; keep null rather than crash the feed.
      }
      this.broadcast(r.topic, r.private, { event: r.event ?? '', payload, meta: { id: r.id } });
    }
  }

  /** Rows inserted after Postgres came back but before LISTEN was re-established. */
  async #catchUp(): Promise<void> {
    if (this.#subs.size === 0) return;
    const rows = await this.admin.unsafe<Row[]>(
      `select id::text, topic, event, payload::text as payload, coalesce(private, false) as private
         from realtime.messages
        where inserted_at > greatest((now() at time zone 'utc') - interval '60 seconds', $1::timestamp)
          and extension = 'broadcast' order by inserted_at, id`,
      [this.#startedAt],
    );
    this.#deliverRows(rows.filter((r) => this.#remember(r.id)));
  }
}

interface Row {
  id: string;
  topic: string;
  event: string | null;
  payload: string | null;
  private: boolean;
}
