// `npm run user:create -- EMAIL PASSWORD`: adds (or resets the password of) a local
// login in the dev stack's auth.users, for signInWithPassword against the gateway.
import postgres from 'postgres';
import { dbUrl, stackConfig } from '../stack/config.ts';
import { upsertUser } from './users.ts';

const [email, password] = Deno.args;
if (!email || !password || Deno.args.length !== 2) {
  console.error('usage: npm run user:create -- EMAIL PASSWORD');
  Deno.exit(2);
}
const url = Deno.env.get('DB_URL') ?? dbUrl(stackConfig('dev'));
const sql = postgres(url, { prepare: false, onnotice: () => {}, connect_timeout: 5, max: 1 });
try {
  const { id, created } = await upsertUser(sql, email, password);
  console.log(
    `${created ? 'created' : 'updated the password of'} ${email.toLowerCase()} (id ${id})`,
  );
} catch (e) {
  const err = e as { code?: string; message: string };
  const hint = ['ECONNREFUSED', 'CONNECT_TIMEOUT'].includes(err.code ?? '')
    ? ' — is the stack up? (npm run up)'
    : '';
  console.error(`✗ could not create the user: ${err.message}${hint}`);
  Deno.exitCode = 1;
} finally {
  await sql.end({ timeout: 2 });
}
