// The Postgres connection of a function: SUPABASE_DB_URL, safe behind a transaction
// pooler (no prepared statements), few connections per isolate.
import postgres from 'npm:postgres@3.4.9';

export type Sql = ReturnType<typeof postgres>;

/**
 * A statement running longer than this is cancelled by Postgres (SQLSTATE 57014), so
 * a stuck database answers requests with a retryable 503 instead of holding them
 * (and the pool) until the platform's wall-clock limit. A coalesced ingest call takes
 * milliseconds; 10 s only trips when something is wrong.
 */
export const STATEMENT_TIMEOUT_MS = 10_000;

export function connect(url: string, max = 4, statementTimeoutMs = STATEMENT_TIMEOUT_MS): Sql {
  return postgres(url, {
    prepare: false,
    max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // Startup parameters: set once per connection, no extra round trip per call.
    connection: { application_name: 'vibe-ingest', statement_timeout: statementTimeoutMs },
  });
}
