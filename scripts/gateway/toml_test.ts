import assert from 'node:assert/strict';
import { functionSettings, verifyJwtFor } from './toml.ts';

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
