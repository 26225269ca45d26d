// Shared by the Deno and the Node conformance suites: the stack's environment, the
// SQL fixtures (fixtures.sql / teardown.sql) and the test logins.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { upsertUser } from '../users.ts';

export interface TestEnv {
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  dbUrl: string;
  /** What functions get as SUPABASE_DB_URL: postgres through the transaction pooler. */
  poolerUrl: string;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface Fixtures {
  /** Reads and writes gwtest:room. */
  member: TestUser;
  /** Reads gwtest:room but may not broadcast to it. */
  reader: TestUser;
  /** No membership at all. */
  outsider: TestUser;
  room: string;
}

export function testEnv(): TestEnv {
  const get = (k: string) => {
    const v = process.env[k];
    if (!v) {
      throw new Error(`${k} is not set: the gateway conformance tests run inside \`npm test\``);
    }
    return v;
  };
  return {
    apiUrl: get('API_URL'),
    anonKey: get('ANON_KEY'),
    serviceRoleKey: get('SERVICE_ROLE_KEY'),
    jwtSecret: get('JWT_SECRET'),
    dbUrl: get('DB_URL'),
    poolerUrl: get('POOLER_URL'),
  };
}

const sqlFile = (name: string) =>
  readFileSync(fileURLToPath(new URL(name, import.meta.url)), 'utf8');

export function superuser(env: TestEnv) {
  return postgres(env.dbUrl, { prepare: false, onnotice: () => {}, max: 2, connect_timeout: 10 });
}

export async function setupFixtures(env: TestEnv, label: string): Promise<Fixtures> {
  const sql = superuser(env);
  try {
    await sql.unsafe(sqlFile('./fixtures.sql'));
    const mk = async (role: string): Promise<TestUser> => {
      const email = `gwtest-${label}-${role}-${crypto.randomUUID().slice(0, 8)}@example.test`;
      const password = `pw-${crypto.randomUUID()}`;
      const { id } = await upsertUser(sql, email, password);
      return { id, email, password };
    };
    const fx: Fixtures = {
      member: await mk('member'),
      reader: await mk('reader'),
      outsider: await mk('outsider'),
      room: `gwtest:room-${label}`,
    };
    await sql.unsafe(
      `insert into gwtest.members (topic, user_id, can_write) values ($1, $2, true), ($1, $3, false)`,
      [fx.room, fx.member.id, fx.reader.id],
    );
    return fx;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export async function teardownFixtures(env: TestEnv): Promise<void> {
  const sql = superuser(env);
  try {
    await sql.unsafe(sqlFile('./teardown.sql'));
  } finally {
    await sql.end({ timeout: 2 });
  }
}
