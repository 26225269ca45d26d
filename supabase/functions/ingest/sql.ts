// crm.ingest over SQL, with concurrent requests coalesced: every batch that arrives
// within a few milliseconds goes into one `call crm.ingest_call(…)`, which counts them
// against the rate limits (committed at once) and applies them all in one statement
// (one round trip). Each request is answered only after the durable commit, so nothing
// acknowledged is lost. A batch travels as the JSON text its client sent: the procedure
// takes `json`, so sizes are measured as sent.
import { coalesce, type CoalesceOptions } from '../_shared/coalesce.ts';
import { type Sql, withDeadline } from '../_shared/db.ts';
import type { Trust } from './auth.ts';
import type { Refusal } from './refusals.ts';
import type { IngestCall, IngestResult } from './result.ts';

interface Item {
  batch: string;
  context: Record<string, unknown>;
}

/** `[{"batch": <as sent>, "context": {...}}, …]`: the batches are spliced in, not re-serialised. */
export const itemsJson = (items: Item[]): string =>
  `[${items.map((i) => `{"batch":${i.batch},"context":${JSON.stringify(i.context)}}`).join(',')}]`;

/**
 * A group holds at most 32 batches, so a burst spreads over several pooled connections
 * and Postgres works on groups in parallel: a group is one statement, i.e. one core,
 * and with 64 all requests in flight formed one or two groups while a core idled.
 * At most one group per pooled connection runs; at most 2,000 requests wait (beyond,
 * 503 and the tracker retries). crm.ingest_call isolates a faulty batch itself; a
 * call that throws a data error (SQLSTATE class 22: Postgres refused the parameter
 * before the function ran) is split so only the faulty batch fails; any other error
 * means the database is unusable and fails the group at once.
 */
export function sqlIngest(sql: Sql, opts: Partial<CoalesceOptions> = {}): IngestCall {
  const call = coalesce(async (items: Item[]): Promise<IngestResult[]> => {
    // Bound as text, then cast: a parameter typed json would make postgres.js encode the string again.
    const [row] = await withDeadline(sql`call crm.ingest_call(${itemsJson(items)}::text::json, null)`);
    return row.results as IngestResult[];
  }, {
    windowMs: 3,
    maxItems: 32,
    maxInFlight: sql.options.max,
    maxQueued: 2000,
    splitOnError: (err) => /^22/.test(String((err as { code?: unknown })?.code ?? '')),
    ...opts,
  });
  return (batch, context) => call({ batch, context });
}

/** Sends the function's refusals to crm.record_ingest_refusals. */
export const sqlRefusals = (sql: Sql) => (refusals: Refusal[]) =>
  withDeadline(sql`select crm.record_ingest_refusals(${JSON.stringify(refusals)}::text::json)`);

/**
 * crm.ingest_auth_trust by public key, kept a minute: a changed setting reaches the
 * function within a minute, and SQL checks the trust of every verdict against the
 * project's setting at that moment anyway.
 */
export function sqlAuthTrust(sql: Sql, ttlMs = 60_000, now = Date.now): (publicKey: string) => Promise<Trust | null> {
  const cache = new Map<string, { at: number; trust: Trust | null }>();
  return async (publicKey) => {
    const hit = cache.get(publicKey);
    if (hit && now() - hit.at < ttlMs) return hit.trust;
    const [row] = await withDeadline(sql`select crm.ingest_auth_trust(${publicKey}) as trust`);
    const trust = (row?.trust ?? null) as Trust | null;
    if (cache.size > 10_000) cache.clear(); // keys are client input: bound the memory
    cache.set(publicKey, { at: now(), trust });
    return trust;
  };
}
