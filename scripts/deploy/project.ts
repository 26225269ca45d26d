// What one hosted project looks like to the dashboard, the tracker and the deploy: its
// URLs, the keys the CLI reports, and the config.json the static dashboard reads at
// runtime (site/src/data/config.ts: supabaseUrl, anonKey, ingestUrl).
import { join } from 'node:path';

export interface SiteConfig {
  supabaseUrl: string;
  anonKey: string;
  ingestUrl: string;
}

export function projectUrl(ref: string): string {
  return `https://${ref}.supabase.co`;
}

/** An Edge Function's URL under the project's URL (projectUrl, or the tests' fake). */
export function functionUrl(base: string, name: 'ingest' | 'notify'): string {
  return `${base}/functions/v1/${name}`;
}

/** config.json for the project at `base`: the same URL the deploy's REST calls use. */
export function siteConfig(base: string, anonKey: string): SiteConfig {
  return { supabaseUrl: base, anonKey, ingestUrl: functionUrl(base, 'ingest') };
}

interface ApiKey {
  name?: unknown;
  type?: unknown;
  api_key?: unknown;
}

/** The keys in `supabase projects api-keys -o json`, or null when the answer is not a list. */
function apiKeys(cliOutput: string): ApiKey[] | null {
  let list: unknown;
  try {
    list = JSON.parse(cliOutput);
  } catch {
    // Tolerate a line of chatter around the JSON array.
    const start = cliOutput.indexOf('[');
    const end = cliOutput.lastIndexOf(']');
    if (start < 0 || end < start) return null;
    try {
      list = JSON.parse(cliOutput.slice(start, end + 1));
    } catch {
      return null;
    }
  }
  if (!Array.isArray(list)) return null;
  // The CLI masks what it will not reveal with '·': such a key is of no use.
  const usable = (k: ApiKey) =>
    typeof k.api_key === 'string' && k.api_key !== '' && !k.api_key.includes('·');
  return (list as ApiKey[]).filter((k) => k && typeof k === 'object' && usable(k));
}

/**
 * The browser key: the legacy `anon` JWT (the kind the local stack and the tests use),
 * else the first publishable key. Null when neither is there in full.
 */
export function pickAnonKey(
  cliOutput: string,
): { key: string; kind: 'anon' | 'publishable' } | null {
  const keys = apiKeys(cliOutput) ?? [];
  const anon = keys.find((k) => k.name === 'anon' && k.type !== 'secret');
  if (anon) return { key: anon.api_key as string, kind: 'anon' };
  const publishable = keys.find((k) => k.type === 'publishable');
  return publishable ? { key: publishable.api_key as string, kind: 'publishable' } : null;
}

/**
 * The server key for the deploy's own REST calls: the legacy `service_role` JWT, else
 * the first secret key (`sb_secret_…`, shown in full with `--reveal`). Never printed.
 */
export function pickServiceKey(
  cliOutput: string,
): { key: string; kind: 'service_role' | 'secret' } | null {
  const keys = apiKeys(cliOutput) ?? [];
  const legacy = keys.find((k) => k.name === 'service_role' && k.type !== 'publishable');
  if (legacy) return { key: legacy.api_key as string, kind: 'service_role' };
  const secret = keys.find((k) => k.type === 'secret');
  return secret ? { key: secret.api_key as string, kind: 'secret' } : null;
}

/** Writes config.json beside the dashboard's index.html; returns its path. */
export async function writeSiteConfig(siteDist: string, config: SiteConfig): Promise<string> {
  const path = join(siteDist, 'config.json');
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + '\n');
  return path;
}
