// The local API gateway (scripts/gateway) as a service of the stack. It stands in for
// Kong, PostgREST, GoTrue, Realtime and the Edge Runtime on API_URL, and is never
// deployed.
import { join } from 'node:path';
import { apiUrl, repoRoot, type StackConfig } from './config.ts';
import { pidFile, type Service } from './service.ts';
import { jwtExpiry } from '../gateway/toml.ts';

/** The gateway service with the stack's variables plus its own knobs. */
export function gatewayService(cfg: StackConfig, stackVars: Record<string, string>): Service {
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
