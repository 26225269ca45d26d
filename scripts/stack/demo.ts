// Demo traffic (scripts/stack/demo-traffic.ts) as a service of the dev stack, so a newcomer's
// first dashboard is alive. On by default; `--no-demo` or VIBE_DEMO_TRAFFIC=0 turns it off.
import { join } from 'node:path';
import { repoRoot, type StackConfig } from './config.ts';
import type { Service } from './service.ts';

export function demoWanted(args: string[]): boolean {
  return !args.includes('--no-demo') && Deno.env.get('VIBE_DEMO_TRAFFIC') !== '0';
}

export function demoService(_cfg: StackConfig, stackVars: Record<string, string>): Service {
  return {
    name: 'demo-traffic',
    label: 'demo traffic',
    script: join(repoRoot, 'scripts', 'stack', 'demo-traffic.ts'),
    env: { ...stackVars },
  };
}
