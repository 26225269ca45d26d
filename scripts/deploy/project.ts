// What one hosted project looks like to the dashboard and the tracker: its URLs, the
// anon key the CLI reports, and the config.json the static dashboard reads at runtime
// (site/src/data/config.ts: supabaseUrl, anonKey, ingestUrl).
import { join } from 'node:path';

export interface SiteConfig {
  supabaseUrl: string;
  anonKey: string;
  ingestUrl: string;
}

export function projectUrl(ref: string): string {
  return `https://${ref}.supabase.co`;
}

export function ingestUrl(ref: string): string {
  return `${projectUrl(ref)}/functions/v1/ingest`;
}

export function siteConfig(ref: string, anonKey: string): SiteConfig {
  return { supabaseUrl: projectUrl(ref), anonKey, ingestUrl: ingestUrl(ref) };
}

interface ApiKey {
  name?: unknown;
  type?: unknown;
  api_key?: unknown;
}

/**
 * The browser key from `supabase projects api-keys -o json`: the legacy `anon` JWT (the
 * kind the local stack and the tests use), else the first publishable key. Null when
 * neither is there in full (the CLI masks what it will not reveal with '·').
 */
export function pickAnonKey(
  cliOutput: string,
): { key: string; kind: 'anon' | 'publishable' } | null {
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
  const usable = (k: ApiKey) =>
    typeof k.api_key === 'string' && k.api_key !== '' && !k.api_key.includes('·');
  const keys = (list as ApiKey[]).filter((k) => k && typeof k === 'object' && usable(k));
  const anon = keys.find((k) => k.name === 'anon' && k.type !== 'secret');
  if (anon) return { key: anon.api_key as string, kind: 'anon' };
  const publishable = keys.find((k) => k.type === 'publishable');
  return publishable ? { key: publishable.api_key as string, kind: 'publishable' } : null;
}

/** Writes config.json beside the dashboard's index.html; returns its path. */
export async function writeSiteConfig(siteDist: string, config: SiteConfig): Promise<string> {
  const path = join(siteDist, 'config.json');
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + '\n');
  return path;
}
