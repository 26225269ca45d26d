import assert from 'node:assert/strict';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { generateJwtSecret, generateKeys, mintRoleKey } from './keys.ts';

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
