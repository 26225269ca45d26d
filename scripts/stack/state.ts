// Per-profile state kept in the git-ignored .local/<profile>/state.json: the keys
// (generated once) and where the cluster lives.
import { join } from 'node:path';
import type { StackConfig } from './config.ts';
import { generateKeys, type StackKeys } from './keys.ts';

export interface StackState extends StackKeys {
  clusterDir: string;
  createdAt: string;
}

const stateFile = (cfg: StackConfig) => join(cfg.stateDir, 'state.json');

export async function readState(cfg: StackConfig): Promise<StackState | null> {
  try {
    return JSON.parse(await Deno.readTextFile(stateFile(cfg)));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${stateFile(cfg)} is unreadable (${(e as Error).message}); delete it to regenerate keys`);
  }
}

export async function ensureState(cfg: StackConfig): Promise<{ state: StackState; created: boolean }> {
  const existing = await readState(cfg);
  if (existing) return { state: existing, created: false };
  await Deno.mkdir(cfg.stateDir, { recursive: true });
  const state: StackState = { ...(await generateKeys()), clusterDir: cfg.clusterDir, createdAt: new Date().toISOString() };
  // Secrets: readable by the owner only.
  await Deno.writeTextFile(stateFile(cfg), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  return { state, created: true };
}
