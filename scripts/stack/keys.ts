// The JWT secret and the long-lived anon / service_role keys, generated once per
// stack (like `supabase start`) and kept in the git-ignored state folder.
import { SignJWT } from 'jose';

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
}

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

export function generateJwtSecret(): string {
  // Hex: safe in URLs, env files and command lines (never starts with '-').
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

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
  };
}
