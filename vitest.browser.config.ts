import { defineConfig } from 'vitest/config';

// Browser tests: real Chromium against the running test stack (npm test starts it
// and passes API_URL, DB_URL and keys). One file at a time: they share the stack.
export default defineConfig({
  test: {
    include: ['e2e/**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    passWithNoTests: false,
  },
});
