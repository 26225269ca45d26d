// crm.ingest over SQL, with concurrent requests coalesced: every batch that arrives
// within a few milliseconds goes into one crm.ingest_batches call, which applies them
// all set-based in one statement (one round trip, one commit). Each request is
// answered only after that commit, so nothing acknowledged is lost.
import { coalesce } from '../_shared/coalesce.ts';
import type { Sql } from '../_shared/db.ts';
import type { IngestCall, IngestResult } from './result.ts';

interface Item {
  batch: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** maxInFlight matches the pool (connect's max): a group never waits for a connection. */
export function sqlIngest(sql: Sql, opts = { windowMs: 3, maxItems: 64, maxInFlight: 4 }): IngestCall {
  const call = coalesce(async (items: Item[]): Promise<IngestResult[]> => {
    const [row] = await sql`select crm.ingest_batches(${sql.json(items as never)}) as results`;
    return row.results as IngestResult[];
  }, opts);
  return (batch, context) => call({ batch, context });
}
