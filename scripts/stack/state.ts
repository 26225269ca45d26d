// Per-profile state kept in the git-ignored .local/<profile>/state.json: the keys
// (generated once) and where the cluster lives.
import { join } from 'node:path';
import type { StackConfig } from './config.ts';
import { generateKeys, generateNotifyToken, type StackKeys } from './keys.ts';

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

async function writeState(cfg: StackConfig, state: StackState): Promise<void> {
  // Secrets: readable by the owner only (the mode applies when the file is created).
  await Deno.writeTextFile(stateFile(cfg), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/**
 * The stack's state, generated at first start. A state file written before a key was
 * added gets that key now; the keys it has are kept (clients hold them).
 */
export async function ensureState(
  cfg: StackConfig,
): Promise<{ state: StackState; created: boolean; added: string[] }> {
  const existing = await readState(cfg);
  if (existing) {
    const added: string[] = [];
    if (!existing.notifyToken) {
      existing.notifyToken = generateNotifyToken();
      added.push('notifyToken');
    }
    if (added.length) await writeState(cfg, existing);
    return { state: existing, created: false, added };
  }
  await Deno.mkdir(cfg.stateDir, { recursive: true });
  const state: StackState = { ...(await generateKeys()), clusterDir: cfg.clusterDir, createdAt: new Date().toISOString() };
  await writeState(cfg, state);
  return { state, created: true, added: [] };
}
