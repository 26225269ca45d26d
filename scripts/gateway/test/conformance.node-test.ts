// Gateway conformance under Node 24 (vitest): the same supabase-js cases as the Deno suite.
import { afterAll, beforeAll, it } from 'vitest';
import { cases } from './cases.ts';
import { type Fixtures, setupFixtures, teardownFixtures, testEnv } from './fixtures.ts';

const env = testEnv();
let fx: Fixtures;

beforeAll(async () => {
  fx = await setupFixtures(env, 'node');
});
afterAll(async () => {
  await teardownFixtures(env);
});

for (const c of cases) it(`gateway (node): ${c.name}`, () => c.fn({ env, fx }), 60_000);
