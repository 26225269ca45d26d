import { defineConfig } from 'vitest/config';

// Vitest runs the browser-side code: tracker and site. Deno runs scripts/ and the
// Edge Functions (see deno.json), pgTAP runs supabase/tests.
export default defineConfig({
  test: {
    include: ['tracker/**/*.test.ts', 'site/**/*.test.{ts,tsx}', 'scripts/gateway/**/*.node-test.ts'],
    passWithNoTests: false,
  },
});
