// Kills a stack's API gateway with SIGKILL and starts it again, for tests of what
// clients do when the gateway dies (the dashboard's live table resuming).
//
//   deno run -A scripts/stack/restart-gateway.ts [dev|test]
import { stackConfig } from './config.ts';
import { gatewayService } from './gateway.ts';
import { pidAlive } from './proc.ts';
import { pidFile } from './service.ts';
import { bringUpGateway } from './stack.ts';
import { readState } from './state.ts';

const cfg = stackConfig(Deno.args[0] === 'dev' ? 'dev' : 'test');
const state = await readState(cfg);
if (!state) throw new Error(`no ${cfg.profile} stack is running`);
const pid = Number((await Deno.readTextFile(pidFile(cfg, gatewayService(cfg, {})))).trim());
Deno.kill(pid, 'SIGKILL');
// Once the process is gone, a new gateway (returns once /health answers).
for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
await bringUpGateway(cfg, state);
