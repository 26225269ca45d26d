// crm.ingest over SQL, with concurrent requests coalesced: every batch that arrives
// within a few milliseconds goes into one crm.ingest_batches call, which applies them
// all set-based in one statement (one round trip, one commit). Each request is
// answered only after that commit, so nothing acknowledged is lost.
import { coalesce, type CoalesceOptions } from '../_shared/coalesce.ts';
import type { Sql } from '../_shared/db.ts';
import type { IngestCall, IngestResult } from './result.ts';

interface Item {
  batch: Record<string, unknown>;
  context: Record<string, unknown>;
}

/**
 * A group holds at most 32 batches, so a burst spreads over several pooled connections
 * and Postgres works on groups in parallel: a group is one statement, i.e. one core,
 * and with 64 all requests in flight formed one or two groups while a core idled.
 * At most one group per pooled connection runs; at most 2,000 requests wait (beyond,
 * 503 and the tracker retries). crm.ingest_batches isolates a faulty batch itself; a
 * call that throws a data error (SQLSTATE class 22: Postgres refused a parameter before
 * the function ran) is split so only the faulty batch fails; any other error means the
 * database is unusable and fails the group at once.
 */
export function sqlIngest(sql: Sql, opts: Partial<CoalesceOptions> = {}): IngestCall {
  const call = coalesce(async (items: Item[]): Promise<IngestResult[]> => {
    const [row] = await sql`select crm.ingest_batches(${sql.json(items as never)}) as results`;
    return row.results as IngestResult[];
  }, { windowMs: 3, maxItems: 32, maxInFlight: sql.options.max, maxQueued: 2000, splitOnError: (err) => /^22/.test(String((err as { code?: unknown })?.code ?? '')), ...opts });
  return (batch, context) => call({ batch, context });
}
