// A throw-away database on the dev stack's cluster for a benchmark: created from the
// Supabase baseline (as the superuser, supabase_admin) and every migration (as postgres,
// as a hosted project would have them), dropped at the end. DB_URL (from `npm run
// status`) names the cluster.
import postgres from 'postgres';

const root = new URL('../../', import.meta.url).pathname;

export function benchDatabase(name: string) {
  const adminUrl = Deno.env.get('DB_URL') ?? 'postgresql://postgres:postgres@127.0.0.1:54322/postgres';
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  // The baseline needs the superuser, whose local password is the same non-secret one.
  const su = new URL(url);
  su.username = 'supabase_admin';

  const admin = async (statement: string) => {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(statement);
    } finally {
      await sql.end();
    }
  };

  return {
    name,
    url,
    host: u.host,
    /** (Re)creates the database with baseline + migrations; returns a connection to finish setting it up. */
    async create(): Promise<ReturnType<typeof postgres>> {
      await admin(`drop database if exists ${name} with (force)`);
      await admin(`create database ${name}`);
      const superuser = postgres(su.toString(), { max: 1, onnotice: () => {} });
      try {
        await superuser.unsafe(await Deno.readTextFile(`${root}scripts/stack/supabase-baseline.sql`));
      } finally {
        await superuser.end();
      }
      const db = postgres(url, { max: 1, onnotice: () => {} });
      const dir = `${root}supabase/migrations`;
      const files = [...Deno.readDirSync(dir)].map((f) => f.name).filter((n) => n.endsWith('.sql')).sort();
      for (const f of files) await db.unsafe(await Deno.readTextFile(`${dir}/${f}`));
      return db;
    },
    drop: () => admin(`drop database if exists ${name} with (force)`),
  };
}
