import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pickAnonKey, siteConfig, writeSiteConfig } from './project.ts';
import { envFileText, MASK, planSecrets, secretNames, shownPairs } from './secrets.ts';

const REF = 'abcdefghijklmnopqrst';

Deno.test('config.json for a ref: the URLs the dashboard reads, written beside index.html', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'deploy-config-' });
  try {
    const path = await writeSiteConfig(dir, siteConfig(REF, 'eyJanon'));
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

Deno.test('IP_HASH_SECRET: from the environment, kept when the project has one, else generated once', () => {
  const gen = () => 'generated';
  assert.deepEqual(planSecrets('mine', new Set(['IP_HASH_SECRET']), undefined, gen).set, {
    IP_HASH_SECRET: 'mine',
  });
  assert.deepEqual(planSecrets(undefined, new Set(['IP_HASH_SECRET']), undefined, gen).set, {});
  assert.deepEqual(planSecrets('', new Set(), 'x-real-ip', gen).set, {
    IP_HASH_SECRET: 'generated',
    CLIENT_IP_HEADER: 'x-real-ip',
  });
  const plan = planSecrets(undefined, null, 'x-real-ip', gen);
  assert.match(plan.note, /only if the project has none/);
  assert.deepEqual(shownPairs(plan), [`IP_HASH_SECRET=${MASK}`, 'CLIENT_IP_HEADER=x-real-ip']);
  assert.equal(envFileText(plan), 'IP_HASH_SECRET=generated\nCLIENT_IP_HEADER=x-real-ip\n');
  assert.match(planSecrets(undefined, null, undefined).set.IP_HASH_SECRET!, /^[0-9a-f]{64}$/);
});

Deno.test('secret names from `secrets list -o json`', () => {
  assert.deepEqual(
    secretNames('[{"name":"IP_HASH_SECRET","value":"d1"},{"name":"X"}]'),
    new Set(['IP_HASH_SECRET', 'X']),
  );
  assert.deepEqual(secretNames('[]\n'), new Set());
  assert.equal(secretNames('error'), null);
});
