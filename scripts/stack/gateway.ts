// The local API gateway (scripts/gateway) as a service of the stack. It stands in for
// Kong, PostgREST, GoTrue, Realtime and the Edge Runtime on API_URL, and is never
// deployed.
import { join } from 'node:path';
import { apiUrl, repoRoot, type StackConfig, testEmailSinkPort } from './config.ts';
import { pidFile, type Service } from './service.ts';
import type { StackKeys } from './keys.ts';
import { jwtExpiry } from '../gateway/toml.ts';

/**
 * The function secrets of this stack, which `npm run deploy` or `supabase secrets set`
 * give a hosted project: the notify token and the JWT secret the ingest function checks
 * Supabase Auth tokens with (a hosted project on signing keys needs none: it has
 * SUPABASE_JWKS) on both profiles; on the test stack also an
 * e-mail provider that is a local sink (a test listens on its port), so alert e-mail
 * never leaves the machine.
 */
export function functionSecrets(cfg: StackConfig, keys: Pick<StackKeys, 'notifyToken' | 'jwtSecret'>): Record<string, string> {
  return {
    VIBE_NOTIFY_TOKEN: keys.notifyToken,
    AUTH_JWT_SECRET: keys.jwtSecret,
    ...(cfg.profile === 'test'
      ? {
        RESEND_API_URL: `http://127.0.0.1:${testEmailSinkPort()}/emails`,
        RESEND_API_KEY: 're_local_test_key',
        ALERT_EMAIL_FROM: 'Vibe CRM <alerts@vibe-crm.test>',
      }
      : {}),
  };
}

/**
 * The gateway service with the stack's variables plus its own knobs. `keys` (the
 * stack's state) is needed to start it; stopping or finding it needs only the config.
 */
export function gatewayService(
  cfg: StackConfig,
  stackVars: Record<string, string>,
  keys?: Pick<StackKeys, 'notifyToken' | 'jwtSecret'>,
): Service {
  const test = cfg.profile === 'test';
  const service: Service = {
    name: 'gateway',
    label: 'API gateway',
    script: join(repoRoot, 'scripts', 'gateway', 'main.ts'),
    port: cfg.apiPort,
    healthUrl: `${apiUrl(cfg)}/health`,
    env: {},
  };
  service.env = {
    ...stackVars,
    // The dev stack's access tokens live as long as config.toml says (as on hosted);
    // tests use short-lived ones so that refresh is exercised.
    GATEWAY_JWT_EXPIRY: Deno.env.get(test ? 'VIBE_TEST_JWT_EXPIRY' : 'VIBE_JWT_EXPIRY') ??
      (test ? '15' : String(jwtExpiry(Deno.readTextFileSync(join(repoRoot, 'supabase', 'config.toml'))))),
    GATEWAY_PID_FILE: pidFile(cfg, service),
    ...(keys?.notifyToken ? { GATEWAY_FUNCTION_SECRETS: JSON.stringify(functionSecrets(cfg, keys)) } : {}),
    ...(test
      ? {
        GATEWAY_EXTRA_FUNCTIONS_DIR: join(repoRoot, 'scripts', 'gateway', 'test', 'functions'),
        // Short, so the conformance suite can see a hung function cut off (504).
        GATEWAY_FUNCTION_TIMEOUT_MS: '5000',
      }
      : {}),
  };
  return service;
}
