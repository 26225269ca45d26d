// Runtime configuration: one build serves any Supabase project. `config.json` next to the
// pages wins; PUBLIC_* build variables are the defaults.
export interface RuntimeConfig {
  supabaseUrl: string;
  anonKey: string;
  ingestUrl: string;
}

export const CONFIG_PATH = 'config.json';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim().replace(/\/+$/, '') : undefined;
}

/** Merges a parsed config.json (any shape) over the defaults; the ingest URL defaults to the project's `ingest` function. */
export function resolveConfig(json: unknown, defaults: Partial<RuntimeConfig>): RuntimeConfig | null {
  const j = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const supabaseUrl = str(j.supabaseUrl) ?? str(defaults.supabaseUrl);
  const anonKey = str(j.anonKey) ?? str(defaults.anonKey);
  if (!supabaseUrl || !anonKey) return null;
  const ingestUrl = str(j.ingestUrl) ?? str(defaults.ingestUrl) ?? `${supabaseUrl}/functions/v1/ingest`;
  return { supabaseUrl, anonKey, ingestUrl };
}

export function buildDefaults(): Partial<RuntimeConfig> {
  const env = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
  return {
    supabaseUrl: env.PUBLIC_SUPABASE_URL,
    anonKey: env.PUBLIC_SUPABASE_ANON_KEY,
    ingestUrl: env.PUBLIC_INGEST_URL,
  };
}

/** Fetches `config.json` from the site root; a missing or broken file falls back to the defaults. */
export async function loadConfig(
  fetchFn: typeof fetch,
  baseUrl: string,
  defaults: Partial<RuntimeConfig> = buildDefaults(),
): Promise<RuntimeConfig | null> {
  let json: unknown = null;
  try {
    const res = await fetchFn(new URL(CONFIG_PATH, baseUrl).toString(), { cache: 'no-store' });
    if (res.ok) json = await res.json();
  } catch {
    json = null;
  }
  return resolveConfig(json, defaults);
}
