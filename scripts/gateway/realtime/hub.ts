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

export class Hub {
  #subs = new Map<string, Set<Subscriber>>();
  #pending: string[] = [];
  #flushing = false;
  #recent = new Set<string>();
  #listening = false;
  #unlisten: (() => Promise<void>) | null = null;
  #log: (msg: string) => void;
  readonly #startedAt = new Date().toISOString().replace('Z', '');

  constructor(private admin: Sql, log: (msg: string) => void) {
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

  /** LISTENs; the driver re-LISTENs after a reconnect and we then catch up on missed rows. */
  async start(): Promise<void> {
    let first = true;
    const { unlisten } = await this.admin.listen(
      'realtime_messages',
      (id) => this.#notified(id),
      () => {
        this.#listening = true;
        if (!first) {
          this.#log('realtime: LISTEN re-established after a database reconnect');
          this.#catchUp().catch((e) =>
            this.#log(`realtime: catch-up failed: ${(e as Error).message}`)
          );
        }
        first = false;
      },
    );
    this.#unlisten = unlisten;
  }

  get listening(): boolean {
    return this.#listening;
  }

  async stop(): Promise<void> {
    await this.#unlisten?.().catch(() => {});
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
