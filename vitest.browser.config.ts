import { defineConfig } from 'vitest/config';

// Browser tests: real Chromium against the running test stack (npm test starts it
// and passes API_URL, DB_URL and keys). One file at a time: they share the stack.
export default defineConfig({
  test: {
    include: ['e2e/**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // A page waits for RPCs on two shared cores: poll for what it shows longer than the 1 s default.
    expect: { poll: { timeout: 10_000 } },
    passWithNoTests: false,
  },
});
