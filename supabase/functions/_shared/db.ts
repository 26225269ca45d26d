// The Postgres connection of a function: SUPABASE_DB_URL, safe behind a transaction
// pooler (no prepared statements), few connections per isolate.
import postgres from 'npm:postgres@3.4.9';

export type Sql = ReturnType<typeof postgres>;

export function connect(url: string, max = 4): Sql {
  return postgres(url, {
    prepare: false,
    max,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'vibe-ingest' },
  });
}
