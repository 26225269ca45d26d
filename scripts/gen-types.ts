// `npm run gen:types`: writes supabase/types/database.ts, the `Database` type of the
// public API (schema `public`: the RPC functions), from the local database.
//
// Generator: @supabase/postgrest-typegen 0.2.0, the code that postgres-meta v0.99.0 runs
// for `supabase gen types typescript` (the pinned CLI 2.117.0 embeds the image
// supabase/postgres-meta:v0.99.0; pg-meta 0.99.0 depends on typegen ^0.2.0 and both were
// published from one release). The steps and options are those of pg-meta's
// dist/server/server.js (getTypeOutput) with the CLI's environment:
// PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS=public, DETECT_ONE_TO_ONE_RELATIONSHIPS=true.
// Only `public`: the CLI's default also names graphql_public, which a plain PostgreSQL
// lacks, and its types would differ between here and a hosted project.
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { generateTypescript, introspect, sortGeneratorMetadata } from '@supabase/postgrest-typegen';
import { dbUrl, repoRoot, stackConfig } from './stack/config.ts';

export const TYPES_FILE = join(repoRoot, 'supabase', 'types', 'database.ts');
export const SCHEMAS = ['public'];

/** The generated file's text for the database at `url` (reads catalogs only). */
export async function generateTypes(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 10 });
  try {
    // introspect() wants a `pg`-like query(); the int8 coercion is its own (normalize).
    const db = { query: async (text: string) => ({ rows: [...(await sql.unsafe(text))] }) };
    const metadata = sortGeneratorMetadata(await introspect(db, { includedSchemas: SCHEMAS }));
    // pg-meta prints with console.log: the CLI's output ends with one extra newline.
    return (await generateTypescript(metadata, { detectOneToOneRelationships: true })) + '\n';
  } finally {
    await sql.end({ timeout: 2 });
  }
}

if (import.meta.main) {
  // DB_URL, else the dev stack (127.0.0.1:54322, or VIBE_DB_PORT).
  const url = Deno.env.get('DB_URL') ?? dbUrl(stackConfig('dev'));
  try {
    const text = await generateTypes(url);
    await Deno.mkdir(dirname(TYPES_FILE), { recursive: true });
    await Deno.writeTextFile(TYPES_FILE, text);
    console.log(
      `wrote ${TYPES_FILE.slice(repoRoot.length + 1)} from ${url.replace(/:[^:@/]*@/, ':***@')}`,
    );
  } catch (e) {
    const err = e as { code?: string; message: string };
    const hint = ['ECONNREFUSED', 'CONNECT_TIMEOUT'].includes(err.code ?? '')
      ? ' — is the stack up? (npm run up)'
      : '';
    console.error(`✗ could not generate the types: ${err.message}${hint}`);
    Deno.exit(1);
  }
}
