// The Postgres connection of a function: SUPABASE_DB_URL, safe behind a transaction
// pooler (no prepared statements), few connections per isolate.
import postgres from 'npm:postgres@3.4.9';

export type Sql = ReturnType<typeof postgres>;

/**
 * A statement running longer than this is cancelled (SQLSTATE 57014), so a stuck
 * database answers requests with a retryable 503 instead of holding them (and the
 * pool) until the platform's wall-clock limit. A coalesced ingest call takes
 * milliseconds; 10 s only trips when something is wrong.
 */
export const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Seconds before reconnecting after a failed connection: doubling from 0.1 s, at most
 * 0.5 s. postgres.js's own grows to 20 s, and queries wait behind it: while Postgres was
 * down a request waited up to 19 s instead of getting its 503 at once, and after a
 * restart the function stayed blind for as long.
 */
export const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 0.5);

/**
 * A pooler-safe connection: no prepared statements, and no startup parameter a pooler
 * may refuse (PgBouncer refuses any it does not know, statement_timeout among them;
 * application_name it knows).
 */
export function connect(url: string, max = 4): Sql {
  return postgres(url, {
    prepare: false,
    max,
    idle_timeout: 30,
    connect_timeout: 10,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: 'vibe-ingest' },
  });
}

type Cancellable<T> = PromiseLike<T> & { cancel(): unknown };

/**
 * Awaits a query, cancelling it (CancelRequest, which poolers forward; a query still
 * queued is dropped) once it has run `ms`: it then fails with 57014 as a server-side
 * statement_timeout would. The timeout is not a setting of the connection, since a
 * transaction pooler keeps no session state, nor `SET LOCAL`, since crm.ingest_call
 * commits inside and a setting made in the call cannot bound the call itself.
 */
export async function withDeadline<T>(query: Cancellable<T>, ms = STATEMENT_TIMEOUT_MS): Promise<T> {
  const timer = setTimeout(() => query.cancel(), ms);
  try {
    return await query;
  } finally {
    clearTimeout(timer);
  }
}
