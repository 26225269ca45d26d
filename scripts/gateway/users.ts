// Local logins in auth.users, with bcrypt from pgcrypto (what GoTrue stores: $2a$, cost 10).
import type { Sql } from './db.ts';

export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  banned_until: Date | null;
  is_anonymous: boolean;
  created_at: Date | null;
  updated_at: Date | null;
}

export const USER_COLUMNS =
  `id, aud, role, email, phone, email_confirmed_at, confirmed_at, last_sign_in_at,
  raw_app_meta_data, raw_user_meta_data, banned_until, is_anonymous, created_at, updated_at`;

/** The user object GoTrue returns with a session and from GET /user. */
export function userJson(u: UserRow) {
  return {
    id: u.id,
    aud: u.aud ?? 'authenticated',
    role: u.role ?? 'authenticated',
    email: u.email ?? '',
    email_confirmed_at: u.email_confirmed_at,
    phone: u.phone ?? '',
    confirmed_at: u.confirmed_at ?? u.email_confirmed_at,
    last_sign_in_at: u.last_sign_in_at,
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: [],
    created_at: u.created_at,
    updated_at: u.updated_at,
    is_anonymous: u.is_anonymous,
  };
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Creates a confirmed user, or sets a new password for an existing email. Returns its id. */
export async function upsertUser(
  sql: Sql,
  email: string,
  password: string,
): Promise<{ id: string; created: boolean }> {
  if (!EMAIL_RE.test(email)) throw new Error(`"${email}" is not an email address`);
  if (password.length < 6) throw new Error('the password must have at least 6 characters');
  const [row] = await sql.unsafe<{ id: string; created: boolean }[]>(
    `insert into auth.users (email, encrypted_password, email_confirmed_at, aud, role)
     values (lower($1), extensions.crypt($2, extensions.gen_salt('bf', 10)), now(), 'authenticated', 'authenticated')
     on conflict (email) do update
       set encrypted_password = excluded.encrypted_password, updated_at = now()
     returning id, (xmax = 0) as created`,
    [email, password],
  );
  return row!;
}
