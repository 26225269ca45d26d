// The ingest function's secrets (docs/ingest.md, "Environment variables"). IP_HASH_SECRET
// keys the daily IP salt: a value from the environment is set on every deploy; without
// one, a random value is set once and kept afterwards, because replacing it mid-day
// changes every IP hash (cookieless visitor ids, per-IP rate limits) until midnight UTC.

export const MASK = '********';

export interface SecretsPlan {
  /** name → value to set (values never printed). */
  set: Record<string, string>;
  /** Names whose values are secret and are masked when shown. */
  masked: Set<string>;
  /** Why IP_HASH_SECRET is (not) set, for the progress line. */
  note: string;
}

/** 32 random bytes as hex: the generated IP_HASH_SECRET. */
export function generateSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, '0'),
  ).join('');
}

/**
 * What to set. `existing` are the secret names the project has (`secrets list`), or
 * null when unknown (dry run): then a generated value is shown as it would be set.
 */
export function planSecrets(
  fromEnv: string | undefined,
  existing: Set<string> | null,
  clientIpHeader: string | undefined,
  generate: () => string = generateSecret,
): SecretsPlan {
  const set: Record<string, string> = {};
  let note: string;
  if (fromEnv !== undefined && fromEnv !== '') {
    set.IP_HASH_SECRET = fromEnv;
    note = 'IP_HASH_SECRET from the environment';
  } else if (existing?.has('IP_HASH_SECRET')) {
    note = 'IP_HASH_SECRET already set on the project: kept';
  } else {
    set.IP_HASH_SECRET = generate();
    note = existing === null
      ? 'IP_HASH_SECRET generated, and set only if the project has none yet'
      : 'IP_HASH_SECRET generated (the project had none)';
  }
  if (clientIpHeader !== undefined) set.CLIENT_IP_HEADER = clientIpHeader;
  return { set, masked: new Set(['IP_HASH_SECRET']), note };
}

/** The .env text for `secrets set --env-file` (keeps values out of the process list). */
export function envFileText(plan: SecretsPlan): string {
  return Object.entries(plan.set).map(([k, v]) => `${k}=${v}\n`).join('');
}

/** NAME=value pairs as printed: secret values masked. */
export function shownPairs(plan: SecretsPlan): string[] {
  return Object.entries(plan.set).map(([k, v]) => `${k}=${plan.masked.has(k) ? MASK : v}`);
}

/** Secret names from `supabase secrets list -o json` ([{name, value}]). */
export function secretNames(cliOutput: string): Set<string> | null {
  try {
    const list = JSON.parse(
      cliOutput.slice(cliOutput.indexOf('['), cliOutput.lastIndexOf(']') + 1),
    );
    if (!Array.isArray(list)) return null;
    return new Set(
      list.map((s: { name?: unknown }) => s?.name).filter((n): n is string =>
        typeof n === 'string'
      ),
    );
  } catch {
    return null;
  }
}
