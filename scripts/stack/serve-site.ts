// Serves the built dashboard (site/dist) and a generated config.json, so one static build
// runs against any Supabase project. Handler separate from Deno.serve so tests call it.
//
//   deno run --allow-net --allow-read --allow-env scripts/stack/serve-site.ts
//   env: API_URL, ANON_KEY (as `npm run status` prints), INGEST_URL (default
//   $API_URL/functions/v1/ingest), SITE_PORT (4321), SITE_HOST (127.0.0.1), SITE_DIR.
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SiteConfig {
  supabaseUrl: string;
  anonKey: string;
  ingestUrl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export const DEFAULT_SITE_DIR = fileURLToPath(new URL('../../site/dist', import.meta.url));

/** The config from the stack's variables; null without a URL and key. */
export function configFromEnv(env: { get(name: string): string | undefined }): SiteConfig | null {
  const supabaseUrl = (env.get('API_URL') ?? env.get('SUPABASE_URL') ?? '').replace(/\/+$/, '');
  const anonKey = env.get('ANON_KEY') ?? env.get('SUPABASE_ANON_KEY') ?? '';
  if (!supabaseUrl || !anonKey) return null;
  const ingestUrl = (env.get('INGEST_URL') ?? `${supabaseUrl}/functions/v1/ingest`).replace(
    /\/+$/,
    '',
  );
  return { supabaseUrl, anonKey, ingestUrl };
}

async function fileAt(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}

/** Maps a URL path to a file under root, or null when it tries to leave root. */
export function resolvePath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').includes('..')) return null;
  const full = normalize(join(root, decoded));
  const base = normalize(root).replace(/[\\/]+$/, '');
  return full === base || full.startsWith(base + sep) ? full : null;
}

export function siteHandler(
  root: string,
  config: SiteConfig | null,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return new Response('method not allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const url = new URL(req.url);
    const head = req.method === 'HEAD';
    if (url.pathname === '/config.json' && config) {
      return new Response(head ? null : JSON.stringify(config), {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    }
    let path = resolvePath(root, url.pathname);
    if (!path) return new Response('bad path', { status: 400 });
    let info = await fileAt(path);
    if (info?.isDirectory) {
      // /users → /users/ so relative URLs in the page resolve under it.
      if (!url.pathname.endsWith('/')) {
        return Response.redirect(new URL(url.pathname + '/' + url.search, url), 301);
      }
      path = join(path, 'index.html');
      info = await fileAt(path);
    }
    if (!info?.isFile) {
      const notFound = join(root, '404.html');
      const body = (await fileAt(notFound))?.isFile ? await Deno.readFile(notFound) : 'not found';
      return new Response(head ? null : body, {
        status: 404,
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
    }
    const hashed = url.pathname.startsWith('/_astro/');
    return new Response(head ? null : await Deno.readFile(path), {
      headers: {
        'content-type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(info.size),
        // Hashed build assets never change; pages and config must be re-read.
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  };
}

export interface SiteServerOptions {
  root?: string;
  config: SiteConfig | null;
  port?: number;
  hostname?: string;
  signal?: AbortSignal;
}

/** Starts the server (the lead's `npm start` can call this); it listens once this returns. */
export function startSiteServer(opts: SiteServerOptions): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    {
      port: opts.port ?? 4321,
      hostname: opts.hostname ?? '127.0.0.1',
      signal: opts.signal,
      onListen: () => {},
    },
    siteHandler(opts.root ?? DEFAULT_SITE_DIR, opts.config),
  );
}

if (import.meta.main) {
  const config = configFromEnv(Deno.env);
  if (!config) {
    console.warn(
      'serve-site: API_URL/ANON_KEY not set; the pages fall back to their build-time defaults',
    );
  }
  const root = Deno.env.get('SITE_DIR') ?? DEFAULT_SITE_DIR;
  if (!(await fileAt(join(root, 'index.html')))?.isFile) {
    console.error(`serve-site: ${root}/index.html is missing; run npm run build:site first`);
    Deno.exit(1);
  }
  const server = startSiteServer({
    root,
    config,
    port: Number(Deno.env.get('SITE_PORT') ?? 4321),
    hostname: Deno.env.get('SITE_HOST') ?? '127.0.0.1',
  });
  console.log(`DASHBOARD_URL=http://${server.addr.hostname}:${server.addr.port}`);
}
