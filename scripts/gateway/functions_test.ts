// Function secrets reach every function process as `supabase secrets set` makes them
// reach hosted functions: over supabase/functions/.env, under the platform's SUPABASE_*.
import assert from 'node:assert/strict';
import { parseFunctionSecrets } from './config.ts';
import { functionEnv } from './functions.ts';

const platform = {
  SUPABASE_URL: 'http://127.0.0.1:1',
  SUPABASE_DB_URL: 'postgresql://postgres@127.0.0.1:2/postgres',
  VIBE_FUNCTION_PORT: '3',
};

Deno.test('function secrets are merged after .env and before the platform variables', () => {
  const env = functionEnv({
    parent: { PATH: '/usr/bin', HOME: '/root', SECRET_OF_THE_GATEWAY: 'x', VIBE_NOTIFY_TOKEN: 'from-parent' },
    dotEnv: { RESEND_API_KEY: 'from-dotenv', ONLY_IN_DOTENV: 'kept', SUPABASE_URL: 'from-dotenv' },
    secrets: { RESEND_API_KEY: 're_local_test_key', VIBE_NOTIFY_TOKEN: 'abc123' },
    platform,
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    HOME: '/root',
    ONLY_IN_DOTENV: 'kept',
    RESEND_API_KEY: 're_local_test_key', // a secret overrides .env
    VIBE_NOTIFY_TOKEN: 'abc123', // and is not the gateway's own variable
    ...platform, // the platform's SUPABASE_* win over everything
  });
  assert.equal('SECRET_OF_THE_GATEWAY' in env, false, 'the gateway\'s own environment does not leak');
});

Deno.test('without secrets a function gets what it got before', () => {
  const env = functionEnv({ parent: { PATH: '/bin' }, dotEnv: { A: '1' }, secrets: {}, platform });
  assert.deepEqual(env, { PATH: '/bin', A: '1', ...platform });
});

Deno.test('GATEWAY_FUNCTION_SECRETS is a JSON object of strings with variable names', () => {
  assert.deepEqual(parseFunctionSecrets(undefined), {});
  assert.deepEqual(parseFunctionSecrets(''), {});
  assert.deepEqual(
    parseFunctionSecrets('{"VIBE_NOTIFY_TOKEN":"t","ALERT_EMAIL_FROM":"Vibe CRM <alerts@vibe-crm.test>"}'),
    { VIBE_NOTIFY_TOKEN: 't', ALERT_EMAIL_FROM: 'Vibe CRM <alerts@vibe-crm.test>' },
  );
  for (const [raw, why] of [
    ['{not json', /not JSON/],
    ['["A"]', /JSON object/],
    ['"A"', /JSON object/],
    ['{"A": 1}', /A must be a string/],
    ['{"A-B": "x"}', /not a variable name/],
    ['{"SUPABASE_URL": "http://evil"}', /reserved/],
    ['{"supabase_db_url": "x"}', /reserved/],
  ] as const) {
    assert.throws(() => parseFunctionSecrets(raw), why, raw);
  }
});
