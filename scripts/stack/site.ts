// The dashboard as a service of the stack: site/dist served with a config.json made
// from the stack's variables (scripts/stack/serve-site.ts). Built first when missing or
// older than its sources.
import { join } from 'node:path';
import { dashboardUrl, repoRoot, type StackConfig } from './config.ts';
import { runOk } from './proc.ts';
import type { Service } from './service.ts';

export function siteService(cfg: StackConfig, stackVars: Record<string, string>): Service {
  return {
    name: 'site',
    label: 'dashboard server',
    script: join(repoRoot, 'scripts', 'stack', 'serve-site.ts'),
    port: cfg.sitePort,
    healthUrl: `${dashboardUrl(cfg)}/config.json`,
    env: { ...stackVars, SITE_PORT: String(cfg.sitePort), SITE_HOST: '127.0.0.1' },
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory ? newestMtime(path) : Deno.statSync(path).mtime?.getTime() ?? 0);
  }
  return newest;
}

/** Builds tracker and site (npm run build) unless site/dist is newer than every source. */
export async function buildSiteIfStale(): Promise<'built' | 'fresh'> {
  let built = 0;
  try {
    built = Deno.statSync(join(repoRoot, 'site', 'dist', 'index.html')).mtime?.getTime() ?? 0;
  } catch {
    // not built yet
  }
  const sources = Math.max(newestMtime(join(repoRoot, 'site', 'src')), newestMtime(join(repoRoot, 'tracker', 'src')));
  if (built > sources) return 'fresh';
  await runOk('npm', ['run', '--silent', 'build'], { cwd: repoRoot });
  return 'built';
}
