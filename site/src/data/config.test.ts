import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from './config';

const defaults = { supabaseUrl: 'http://build:54321', anonKey: 'build-key' };

describe('resolveConfig', () => {
  it('lets config.json override the build defaults and trims trailing slashes', () => {
    expect(resolveConfig({ supabaseUrl: 'https://x.supabase.co/', anonKey: 'k', ingestUrl: 'https://i.example/' }, defaults)).toEqual({
      supabaseUrl: 'https://x.supabase.co',
      anonKey: 'k',
      ingestUrl: 'https://i.example',
    });
  });

  it('falls back per field and derives the ingest function URL', () => {
    expect(resolveConfig({ anonKey: 'runtime' }, defaults)).toEqual({
      supabaseUrl: 'http://build:54321',
      anonKey: 'runtime',
      ingestUrl: 'http://build:54321/functions/v1/ingest',
    });
  });

  it('is null when neither names a project', () => {
    expect(resolveConfig({ supabaseUrl: '' }, {})).toBeNull();
    expect(resolveConfig('nonsense', { supabaseUrl: 'http://a' })).toBeNull();
  });
});

describe('loadConfig', () => {
  it('reads config.json relative to the site base', async () => {
    const seen: string[] = [];
    const fetchFn = (async (url: string) => {
      seen.push(url);
      return new Response(JSON.stringify({ supabaseUrl: 'http://rt', anonKey: 'rk' }));
    }) as unknown as typeof fetch;
    const cfg = await loadConfig(fetchFn, 'http://127.0.0.1:4321/', defaults);
    expect(seen).toEqual(['http://127.0.0.1:4321/config.json']);
    expect(cfg?.supabaseUrl).toBe('http://rt');
  });

  it('uses the defaults when config.json is missing or unreachable', async () => {
    const missing = (async () => new Response('nope', { status: 404 })) as unknown as typeof fetch;
    const broken = (async () => {
      throw new TypeError('offline');
    }) as unknown as typeof fetch;
    expect((await loadConfig(missing, 'http://h/', defaults))?.anonKey).toBe('build-key');
    expect((await loadConfig(broken, 'http://h/', defaults))?.anonKey).toBe('build-key');
  });
});
