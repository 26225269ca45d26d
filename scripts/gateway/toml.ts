// What the local stack reads from supabase/config.toml, the one place these settings
// live for the Supabase CLI and hosted projects alike: verify_jwt per function, and
// the access tokens' lifetime.
import { parse } from 'smol-toml';

export interface FunctionSettings {
  verifyJwt: boolean;
}

export function functionSettings(toml: string): Map<string, FunctionSettings> {
  const fns = (parse(toml).functions ?? {}) as Record<string, { verify_jwt?: unknown }>;
  return new Map(Object.entries(fns).map(([name, f]) => [name, { verifyJwt: f.verify_jwt !== false }]));
}

/** verify_jwt for a function: true unless config.toml says false (the Supabase default). */
export function verifyJwtFor(settings: Map<string, FunctionSettings>, name: string): boolean {
  return settings.get(name)?.verifyJwt ?? true;
}

/** `[auth] jwt_expiry` in seconds (Supabase's default: 3600). */
export function jwtExpiry(toml: string): number {
  const v = (parse(toml).auth as { jwt_expiry?: unknown } | undefined)?.jwt_expiry;
  return typeof v === 'number' && v > 0 ? v : 3600;
}
