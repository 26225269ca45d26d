// The single supabase-js client of a page, created once config.json is known.
import { useEffect, useState } from 'react';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { loadConfig, type RuntimeConfig } from './config';
import type { Database } from '../../../supabase/types/database';
import type { RpcClient } from './rpc';

export interface Backend {
  supabase: SupabaseClient<Database>;
  rpc: RpcClient;
  config: RuntimeConfig;
}

let pending: Promise<Backend> | null = null;

export class NotConfiguredError extends Error {
  constructor() {
    super('config.json has no supabaseUrl/anonKey and the build has no defaults');
    this.name = 'NotConfiguredError';
  }
}

function siteBase(): string {
  const base = (import.meta as unknown as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return new URL(base, window.location.origin).toString();
}

export function getBackend(): Promise<Backend> {
  pending ??= (async () => {
    const config = await loadConfig(fetch, siteBase());
    if (!config) throw new NotConfiguredError();
    const supabase = createClient<Database>(config.supabaseUrl, config.anonKey, {
      auth: { persistSession: true, autoRefreshToken: true, storageKey: 'vibe-crm-auth' },
    });
    // No cast: the typed client must fit RpcClient, so tsc checks the two agree.
    return { supabase, rpc: supabase, config };
  })();
  pending.catch(() => {
    pending = null;
  });
  return pending;
}

/** Tests install a fake backend. */
export function setBackendForTests(backend: Backend | null): void {
  pending = backend ? Promise.resolve(backend) : null;
}

/** The page's runtime config (e.g. the ingest URL for the snippet); undefined while loading, null if missing. */
export function useRuntimeConfig(): RuntimeConfig | null | undefined {
  const [config, setConfig] = useState<RuntimeConfig | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    getBackend().then(
      (b) => live && setConfig(b.config),
      () => live && setConfig(null),
    );
    return () => {
      live = false;
    };
  }, []);
  return config;
}
