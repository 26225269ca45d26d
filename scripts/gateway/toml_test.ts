import assert from 'node:assert/strict';
import { functionSettings, jwtExpiry, verifyJwtFor } from './toml.ts';

Deno.test('verify_jwt per function from config.toml; true when unset', () => {
  const s = functionSettings(`
[api]
port = 54321 # not a function
[functions.ingest]
# browsers call it with the project key
verify_jwt = false
[functions."quoted-name"]
verify_jwt = false  # trailing comment
[functions.strict]
verify_jwt = true
[functions.plain]
import_map = "x"
`);
  assert.equal(verifyJwtFor(s, 'ingest'), false);
  assert.equal(verifyJwtFor(s, 'quoted-name'), false);
  assert.equal(verifyJwtFor(s, 'strict'), true);
  assert.equal(verifyJwtFor(s, 'plain'), true);
  assert.equal(verifyJwtFor(s, 'unknown'), true);
});

Deno.test("the repo's config.toml turns verify_jwt off for ingest", async () => {
  const text = await Deno.readTextFile(new URL('../../supabase/config.toml', import.meta.url));
  assert.equal(verifyJwtFor(functionSettings(text), 'ingest'), false);
});

Deno.test("jwt_expiry comes from [auth]; the repo's bounds how long a removed member's channel lives on hosted", async () => {
  assert.equal(jwtExpiry('[auth]\njwt_expiry = 900\n'), 900);
  assert.equal(jwtExpiry('[api]\nport = 1\n'), 3600);
  const text = await Deno.readTextFile(new URL('../../supabase/config.toml', import.meta.url));
  assert.equal(jwtExpiry(text), 600);
});
