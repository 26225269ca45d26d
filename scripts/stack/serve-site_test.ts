import assert from 'node:assert/strict';
import { join } from 'node:path';
import { configFromEnv, resolvePath, siteHandler, startSiteServer } from './serve-site.ts';

async function fixture(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: 'serve-site-' });
  await Deno.mkdir(join(root, 'users'), { recursive: true });
  await Deno.mkdir(join(root, '_astro'), { recursive: true });
  await Deno.writeTextFile(join(root, 'index.html'), '<h1>dashboard</h1>');
  await Deno.writeTextFile(join(root, 'users', 'index.html'), '<h1>users</h1>');
  await Deno.writeTextFile(join(root, '_astro', 'app.abc.js'), 'export {}');
  await Deno.writeTextFile(join(root, '404.html'), '<h1>missing</h1>');
  return root;
}

const config = {
  supabaseUrl: 'http://127.0.0.1:54321',
  anonKey: 'anon',
  ingestUrl: 'http://127.0.0.1:54321/functions/v1/ingest',
};
const get = (h: (r: Request) => Promise<Response>, path: string, init?: RequestInit) =>
  h(new Request(`http://127.0.0.1:4321${path}`, init));

Deno.test('serves pages, directory indexes and hashed assets with their types and caching', async () => {
  const root = await fixture();
  const h = siteHandler(root, config);
  const index = await get(h, '/');
  assert.deepEqual([index.status, await index.text(), index.headers.get('content-type')], [
    200,
    '<h1>dashboard</h1>',
    'text/html; charset=utf-8',
  ]);
  assert.deepEqual(index.headers.get('cache-control'), 'no-cache');
  assert.deepEqual(await (await get(h, '/users/')).text(), '<h1>users</h1>');
  const js = await get(h, '/_astro/app.abc.js');
  assert.deepEqual(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.ok(js.headers.get('cache-control')?.includes('immutable'));
  await js.body?.cancel();
  await Deno.remove(root, { recursive: true });
});

Deno.test('redirects a directory without its slash', async () => {
  const root = await fixture();
  const res = await get(siteHandler(root, config), '/users?x=1');
  assert.deepEqual([res.status, res.headers.get('location')], [
    301,
    'http://127.0.0.1:4321/users/?x=1',
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test('generates config.json from the given config, uncached', async () => {
  const root = await fixture();
  const res = await get(siteHandler(root, config), '/config.json');
  assert.deepEqual(await res.json(), config);
  assert.deepEqual(res.headers.get('cache-control'), 'no-store');
  await Deno.remove(root, { recursive: true });
});

Deno.test('answers 404 with 404.html, refuses escapes and non-GET methods', async () => {
  const root = await fixture();
  const h = siteHandler(root, null);
  const missing = await get(h, '/nope.js');
  assert.deepEqual([missing.status, await missing.text()], [404, '<h1>missing</h1>']);
  const noConfig = await get(h, '/config.json');
  assert.deepEqual(noConfig.status, 404);
  await noConfig.body?.cancel();
  const escape = await get(h, '/x/..%2f..%2f..%2fetc%2fpasswd');
  assert.deepEqual(escape.status, 400);
  await escape.body?.cancel();
  const post = await get(h, '/', { method: 'POST' });
  assert.deepEqual(post.status, 405);
  await post.body?.cancel();
  await Deno.remove(root, { recursive: true });
});

Deno.test('resolvePath keeps every path inside the root', () => {
  assert.deepEqual(resolvePath('/srv/site', '/a/b.html'), '/srv/site/a/b.html');
  assert.deepEqual(resolvePath('/srv/site', '/a/../../x'), null);
  assert.deepEqual(resolvePath('/srv/site', '/%E0%A4%A'), null);
  assert.deepEqual(resolvePath('/srv/site', '/a%00b'), null);
});

Deno.test('configFromEnv reads the stack variables and derives the ingest URL', () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.deepEqual(configFromEnv(env({ API_URL: 'http://h:1/', ANON_KEY: 'k' })), {
    supabaseUrl: 'http://h:1',
    anonKey: 'k',
    ingestUrl: 'http://h:1/functions/v1/ingest',
  });
  assert.deepEqual(configFromEnv(env({ API_URL: 'http://h:1' })), null);
});

Deno.test('startSiteServer listens and serves over HTTP', async () => {
  const root = await fixture();
  const ac = new AbortController();
  const server = startSiteServer({ root, config, port: 0, signal: ac.signal });
  const res = await fetch(`http://127.0.0.1:${server.addr.port}/config.json`);
  assert.deepEqual((await res.json()).anonKey, 'anon');
  ac.abort();
  await server.finished;
  await Deno.remove(root, { recursive: true });
});
