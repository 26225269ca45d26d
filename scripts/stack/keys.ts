// The JWT secret and the long-lived anon / service_role keys, generated once per
// stack (like `supabase start`) and kept in the git-ignored state folder; and the
// notify token, the shared secret between the database (Vault: vibe_notify_token) and
// the notify Edge Function (its VIBE_NOTIFY_TOKEN secret).
import { SignJWT } from 'jose';

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  notifyToken: string;
}

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

/** 256 random bits as hex: safe in URLs, headers, env files and command lines (never starts with '-'). */
function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const generateJwtSecret = randomHex;
export const generateNotifyToken = randomHex;

/** An API key: a JWT carrying only a role, signed HS256 with the stack's secret. */
export async function mintRoleKey(secret: string, role: 'anon' | 'service_role', now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return await new SignJWT({ iss: 'supabase-demo', role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + TEN_YEARS_S)
    .sign(new TextEncoder().encode(secret));
}

export async function generateKeys(): Promise<StackKeys> {
  const jwtSecret = generateJwtSecret();
  return {
    jwtSecret,
    anonKey: await mintRoleKey(jwtSecret, 'anon'),
    serviceRoleKey: await mintRoleKey(jwtSecret, 'service_role'),
    notifyToken: generateNotifyToken(),
  };
}
