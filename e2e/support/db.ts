// Direct SQL for arranging and checking browser tests (as the database owner).
import postgres from 'postgres';

export type Sql = ReturnType<typeof postgres>;

export function connectDb(url: string): Sql {
  return postgres(url, { max: 2, onnotice: () => {} });
}

export interface TestProject {
  id: string;
  publicKey: string;
  identitySecret: string;
}

export async function createProject(sql: Sql, name: string, origins: string[]): Promise<TestProject> {
  const [p] = await sql`
    insert into crm.projects (name, allowed_origins) values (${name}, ${origins})
    returning id, public_key, identity_secret`;
  return { id: p!.id, publicKey: p!.public_key, identitySecret: p!.identity_secret };
}

/** A confirmed Supabase Auth user that signs in with this password; returns its email and id. */
export async function createAuthUser(sql: Sql, prefix: string, password: string) {
  const email = `${prefix}-${crypto.randomUUID().slice(0, 8)}@e2e.test`;
  const [u] = await sql`
    insert into auth.users (email, encrypted_password, email_confirmed_at)
    values (${email}, extensions.crypt(${password}, extensions.gen_salt('bf', 4)), now())
    returning id`;
  return { email, userId: u!.id as string };
}

/** A dashboard login that is a member of the project; returns its email. */
export async function createMember(sql: Sql, projectId: string, role: 'owner' | 'admin' | 'viewer', password: string) {
  const user = await createAuthUser(sql, role, password);
  await sql`insert into crm.project_members (project_id, user_id, role) values (${projectId}, ${user.userId}, ${role})`;
  return user;
}

/** Polls until check() returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}
