// A fixture web site on loopback that carries the tracker snippet, and a proxy in
// front of the real ingest URL that a test can take down and bring back (connection
// refused while down), to play a flaky network or a server restart.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export function snippetPage(opts: { title: string; scriptUrl: string; project: string; api: string }): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${opts.title}</title>
<script>['vibeTrack','vibeIdentify','vibeReset'].forEach(function(f){window[f]=window[f]||function(){(window.vibeQ=window.vibeQ||[]).push([f,arguments])}})</script>
<script defer src="${opts.scriptUrl}" data-project="${opts.project}" data-api="${opts.api}" data-allow-localhost></script>
</head><body><h1>${opts.title}</h1><a id="next" href="/next">next</a></body></html>`;
}

async function listen(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Serves the same page for every path (like an SPA's fallback), except the scripts in
 * `files` (path → JavaScript source), which a page loads from its own origin.
 */
export async function startSite(page: () => string, files: Record<string, string> = {}) {
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    const type = file == null ? 'text/html' : 'text/javascript';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
    res.end(file ?? page());
  });
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

export async function startIngestProxy(target: string) {
  let requests = 0;
  const handler: http.RequestListener = async (req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = { 'x-forwarded-for': '127.0.0.1' };
    for (const h of ['content-type', 'origin', 'user-agent', 'access-control-request-method', 'access-control-request-headers']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    try {
      const up = await fetch(target, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (k.startsWith('access-control-') || k === 'content-type' || k === 'retry-after') out[k] = v;
      });
      res.writeHead(up.status, out);
      res.end(Buffer.from(await up.arrayBuffer()));
    } catch {
      res.writeHead(502);
      res.end();
    }
  };
  let server = http.createServer(handler);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/functions/v1/ingest`,
    requests: () => requests,
    /** Stop accepting connections and cut the open ones: the endpoint is down. */
    async down() {
      await new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      });
    },
    async up() {
      server = http.createServer(handler);
      await listen(server, port);
    },
    close() {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}
