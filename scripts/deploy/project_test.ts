import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  functionUrl,
  pickAnonKey,
  pickServiceKey,
  siteConfig,
  writeSiteConfig,
} from './project.ts';

const REF = 'abcdefghijklmnopqrst';

Deno.test('config.json for a ref: the URLs the dashboard reads, written beside index.html', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'deploy-config-' });
  try {
    const path = await writeSiteConfig(dir, siteConfig(`https://${REF}.supabase.co`, 'eyJanon'));
    assert.equal(path, join(dir, 'config.json'));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
      supabaseUrl: 'https://abcdefghijklmnopqrst.supabase.co',
      anonKey: 'eyJanon',
      ingestUrl: 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/ingest',
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('the anon key: legacy anon first, then publishable; never a secret or a masked key', () => {
  const anon = { name: 'anon', type: 'legacy', api_key: 'eyJanon' };
  const service = { name: 'service_role', type: 'legacy', api_key: 'eyJservice' };
  const publishable = { name: 'default', type: 'publishable', api_key: 'sb_publishable_x' };
  const secret = { name: 'default', type: 'secret', api_key: 'sb_secret_ab········' };
  assert.deepEqual(pickAnonKey(JSON.stringify([service, publishable, anon, secret])), {
    key: 'eyJanon',
    kind: 'anon',
  });
  assert.deepEqual(pickAnonKey(JSON.stringify([service, secret, publishable])), {
    key: 'sb_publishable_x',
    kind: 'publishable',
  });
  assert.deepEqual(pickAnonKey(`note\n${JSON.stringify([anon])}\n`), {
    key: 'eyJanon',
    kind: 'anon',
  });
  assert.equal(pickAnonKey(JSON.stringify([service, secret])), null);
  assert.equal(pickAnonKey(JSON.stringify([{ ...anon, api_key: 'eyJ····' }])), null);
  assert.equal(pickAnonKey('not json'), null);
  assert.equal(pickAnonKey('{"message":"Unauthorized"}'), null);
});

Deno.test('the service key: legacy service_role first, then a secret key shown in full', () => {
  const anon = { name: 'anon', type: 'legacy', api_key: 'eyJanon' };
  const service = { name: 'service_role', type: 'legacy', api_key: 'eyJservice' };
  const publishable = { name: 'default', type: 'publishable', api_key: 'sb_publishable_x' };
  const secret = { name: 'default', type: 'secret', api_key: 'sb_secret_full' };
  const masked = { ...secret, api_key: 'sb_secret_ab········' };
  assert.deepEqual(pickServiceKey(JSON.stringify([anon, secret, service])), {
    key: 'eyJservice',
    kind: 'service_role',
  });
  assert.deepEqual(pickServiceKey(JSON.stringify([anon, publishable, masked, secret])), {
    key: 'sb_secret_full',
    kind: 'secret',
  });
  assert.equal(pickServiceKey(JSON.stringify([anon, publishable, masked])), null);
  assert.equal(pickServiceKey(JSON.stringify([{ ...service, api_key: 'eyJ····' }])), null);
  assert.equal(pickServiceKey('{"message":"Unauthorized"}'), null);
});

Deno.test('function URLs hang under the project URL that config.json gets', () => {
  const base = `https://${REF}.supabase.co`;
  assert.equal(functionUrl(base, 'notify'), `${base}/functions/v1/notify`);
  assert.equal(
    siteConfig('http://127.0.0.1:9', 'k').ingestUrl,
    'http://127.0.0.1:9/functions/v1/ingest',
  );
});
