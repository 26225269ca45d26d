// The function secrets (docs/ingest.md, "Environment variables"; docs/alerts.md, "Setting
// it up"). IP_HASH_SECRET keys the daily IP salt: a value from the environment is set on
// every deploy; without one, a random value is set once and kept afterwards, because
// replacing it mid-day changes every IP hash (cookieless visitor ids, per-IP rate limits)
// until midnight UTC. VIBE_NOTIFY_TOKEN is new on every deploy: hosted secrets cannot be
// read back, and Vault must get the same value. The email secrets and AUTH_JWT_SECRET
// come from the shell.

export const MASK = '********';

/** The token notify accepts; Vault keeps the same as vibe_notify_token. */
export const NOTIFY_TOKEN = 'VIBE_NOTIFY_TOKEN';
/** Passed through from the deploying shell when set; never required. */
export const EMAIL_SECRETS = ['RESEND_API_KEY', 'ALERT_EMAIL_FROM', 'RESEND_API_URL'] as const;
/** Without both of these, notify records email deliveries as "email is not configured". */
const EMAIL_REQUIRED = ['RESEND_API_KEY', 'ALERT_EMAIL_FROM'];
/**
 * The project's legacy JWT secret, for ingest to verify HS256 Supabase Auth tokens
 * (data-supabase-auth). Hosted functions get no such secret of their own; a project on
 * JWT signing keys needs none: its keys are in SUPABASE_JWKS.
 */
export const AUTH_JWT_SECRET = 'AUTH_JWT_SECRET';
const MASKED = new Set(['IP_HASH_SECRET', NOTIFY_TOKEN, 'RESEND_API_KEY', AUTH_JWT_SECRET]);

export interface SecretsPlan {
  /** name → value to set (values never printed). */
  set: Record<string, string>;
  /** Names whose values are secret and are masked when shown. */
  masked: Set<string>;
  /** What was decided and why, one progress line each. */
  notes: string[];
}

export interface SecretsInput {
  env(name: string): string | undefined;
  /** The secret names the project has (`secrets list`), or null when unknown (dry run). */
  existing: Set<string> | null;
  clientIpHeader?: string;
  /** This deploy's token (generateToken), also given to Vault. */
  notifyToken: string;
}

/** 32 random bytes as hex: the generated IP_HASH_SECRET. */
export function generateSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, '0'),
  ).join('');
}

/** 32 random bytes as base64url (43 characters): the notify token. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_')
    .replace(/=+$/, '');
}

/** What to set. With `existing` null, a generated IP_HASH_SECRET is shown as it would be set. */
export function planSecrets(input: SecretsInput, generate = generateSecret): SecretsPlan {
  const env = (name: string) => {
    const v = input.env(name);
    return v === undefined || v === '' ? undefined : v;
  };
  const set: Record<string, string> = {};
  const notes: string[] = [];
  const fromEnv = env('IP_HASH_SECRET');
  if (fromEnv !== undefined) {
    set.IP_HASH_SECRET = fromEnv;
    notes.push('IP_HASH_SECRET from the environment');
  } else if (input.existing?.has('IP_HASH_SECRET')) {
    notes.push('IP_HASH_SECRET already set on the project: kept');
  } else {
    set.IP_HASH_SECRET = generate();
    notes.push(
      input.existing === null
        ? 'IP_HASH_SECRET generated, and set only if the project has none yet'
        : 'IP_HASH_SECRET generated (the project had none)',
    );
  }
  if (input.clientIpHeader !== undefined) set.CLIENT_IP_HEADER = input.clientIpHeader;
  set[NOTIFY_TOKEN] = input.notifyToken;
  notes.push(`${NOTIFY_TOKEN} generated anew; Vault gets the same value (configure_crm_alerts)`);
  for (const name of EMAIL_SECRETS) {
    const value = env(name);
    if (value !== undefined) set[name] = value;
  }
  // A secret the project already has stays as it is: only the ones it lacks keep email off.
  const missing = EMAIL_REQUIRED.filter((n) => !(n in set) && !input.existing?.has(n));
  if (missing.length > 0) {
    notes.push(
      `${missing.join(' and ')} not in the environment: email alerts stay off until ${
        missing.length > 1 ? 'both are' : 'it is'
      } exported and the deploy is run again (docs/alerts.md)`,
    );
  }
  const jwtSecret = env(AUTH_JWT_SECRET);
  if (jwtSecret !== undefined) set[AUTH_JWT_SECRET] = jwtSecret;
  else if (!input.existing?.has(AUTH_JWT_SECRET)) {
    notes.push(
      `${AUTH_JWT_SECRET} not in the environment: fine on JWT signing keys; on the legacy JWT secret, Supabase Auth identity (data-supabase-auth) refuses every token until it is exported and the deploy is run again (docs/deploying.md)`,
    );
  }
  return { set, masked: MASKED, notes };
}

/**
 * The .env text for `secrets set --env-file` (keeps values out of the process list).
 * Values are single-quoted: the CLI reads those literally, while an unquoted value ends
 * at its first `#`. A quote or line break has no literal form there, so it is refused.
 */
export function envFileText(plan: SecretsPlan): string {
  return Object.entries(plan.set).map(([k, v]) => {
    if (/['\r\n]/.test(v)) {
      throw new Error(`${k} holds a ' or a line break, which the CLI's env file cannot carry`);
    }
    return `${k}='${v}'\n`;
  }).join('');
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
