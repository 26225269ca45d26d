// The test stack's coordinates, handed over by `npm test` (scripts/stack/run-tests.ts).
export function stackEnv() {
  const get = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: browser tests run inside \`npm test\`, which starts the test stack`);
    return v;
  };
  return {
    apiUrl: get('API_URL'),
    dbUrl: get('DB_URL'),
    anonKey: get('ANON_KEY'),
    serviceRoleKey: get('SERVICE_ROLE_KEY'),
  };
}
