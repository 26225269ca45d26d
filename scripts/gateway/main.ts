// Entry point of the local API gateway (started by the stack: scripts/stack/gateway.ts).
// Environment: API_URL, DB_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET, and optionally
// GATEWAY_JWT_EXPIRY, GATEWAY_PID_FILE, GATEWAY_LOG_REQUESTS=0, GATEWAY_MAX_BODY_BYTES,
// GATEWAY_FUNCTION_TIMEOUT_MS (default 400 s, hosted Supabase's wall-clock limit).
import { gatewayConfigFromEnv } from './config.ts';
import { startGateway } from './server.ts';

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);

// A bug in one request or socket must not take the gateway down.
globalThis.addEventListener('unhandledrejection', (e) => {
  log(`unhandled rejection: ${(e.reason as Error)?.stack ?? e.reason}`);
  e.preventDefault();
});
globalThis.addEventListener('error', (e) => {
  log(`uncaught error: ${(e.error as Error)?.stack ?? e.message}`);
  e.preventDefault();
});

let cfg;
try {
  cfg = gatewayConfigFromEnv();
} catch (e) {
  console.error(`✗ ${(e as Error).message}`);
  Deno.exit(2);
}
const pidFile = Deno.env.get('GATEWAY_PID_FILE');
let gateway;
try {
  gateway = startGateway(cfg, () => {
    if (pidFile) Deno.writeTextFileSync(pidFile, `${Deno.pid}\n`);
  });
} catch (e) {
  console.error(`✗ gateway could not start: ${(e as Error).message}`);
  Deno.exit(1);
}

let stopping = false;
async function stop(sig: string) {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping the gateway`);
  await gateway!.close().catch(() => {});
  if (pidFile) {
    try {
      if (Deno.readTextFileSync(pidFile).trim() === String(Deno.pid)) Deno.removeSync(pidFile);
    } catch {
      // already gone
    }
  }
  Deno.exit(0);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(sig, () => stop(sig));
