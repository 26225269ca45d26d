import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { StackConfig } from './config.ts';
import { generateJwtSecret, generateKeys, mintRoleKey } from './keys.ts';
import { ensureState, readState } from './state.ts';

Deno.test('generated secrets are 256-bit hex and never repeat', () => {
  const a = generateJwtSecret();
  const b = generateJwtSecret();
  assert.ok(a.length >= 40, `secret too short: ${a.length}`);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
});

Deno.test('role keys are HS256 JWTs with role and a far expiry, verifiable with the secret', async () => {
  const keys = await generateKeys();
  for (const [key, role] of [[keys.anonKey, 'anon'], [keys.serviceRoleKey, 'service_role']] as const) {
    assert.equal(decodeProtectedHeader(key).alg, 'HS256');
    const { payload } = await jwtVerify(key, new TextEncoder().encode(keys.jwtSecret));
    assert.equal(payload.role, role);
    assert.ok(payload.exp! - payload.iat! >= 9 * 365 * 24 * 3600, 'key should be long-lived');
  }
});

Deno.test('a key signed with another secret does not verify', async () => {
  const key = await mintRoleKey(generateJwtSecret(), 'anon');
  await assert.rejects(jwtVerify(key, new TextEncoder().encode(generateJwtSecret())));
});

Deno.test('new keys include a 256-bit hex notify token of their own', async () => {
  const [a, b] = [await generateKeys(), await generateKeys()];
  assert.match(a.notifyToken, /^[0-9a-f]{64}$/);
  assert.notEqual(a.notifyToken, b.notifyToken);
  assert.notEqual(a.notifyToken, a.jwtSecret);
});

async function tempStack(): Promise<StackConfig> {
  const stateDir = await Deno.makeTempDir({ prefix: 'vibe-state-test-' });
  return { profile: 'test', stateDir, clusterDir: join(stateDir, 'cluster'), dbPort: 1, apiPort: 1, sitePort: 1, poolerPort: 1 };
}

Deno.test('a state file from before the notify token gains one and keeps its keys', async () => {
  const cfg = await tempStack();
  try {
    const { notifyToken: _, ...keys } = await generateKeys();
    const old = { ...keys, clusterDir: '/var/lib/vibe-crm/old', createdAt: '2026-01-01T00:00:00.000Z' };
    await Deno.writeTextFile(join(cfg.stateDir, 'state.json'), JSON.stringify(old, null, 2) + '\n');

    const first = await ensureState(cfg);
    assert.equal(first.created, false);
    assert.deepEqual(first.added, ['notifyToken']);
    assert.match(first.state.notifyToken, /^[0-9a-f]{64}$/);
    const onDisk = await readState(cfg);
    assert.deepEqual(onDisk, { ...old, notifyToken: first.state.notifyToken }, 'only the token is new, and it is saved');

    const second = await ensureState(cfg);
    assert.deepEqual(second.added, []);
    assert.equal(second.state.notifyToken, first.state.notifyToken, 'the token is generated once');
  } finally {
    await Deno.remove(cfg.stateDir, { recursive: true });
  }
});

Deno.test('a first start writes every key, readable by the owner only', async () => {
  const cfg = await tempStack();
  try {
    const { state, created } = await ensureState(cfg);
    assert.equal(created, true);
    for (const k of ['jwtSecret', 'anonKey', 'serviceRoleKey', 'notifyToken'] as const) assert.ok(state[k], `${k} is set`);
    assert.equal((await Deno.stat(join(cfg.stateDir, 'state.json'))).mode! & 0o777, 0o600);
    assert.deepEqual(await readState(cfg), state);
  } finally {
    await Deno.remove(cfg.stateDir, { recursive: true });
  }
});
