// Puts the pg_net stand-in (the .control and .sql files of this folder) into
// PostgreSQL 15's extension folder, where CREATE EXTENSION looks for it. Rewritten
// whenever the repository's copy differs, so a changed stand-in is picked up by the next
// database that creates the extension (a database that already has it keeps its objects
// until `npm run db:reset`). The folder belongs to root: as root (CI) the files are
// copied; otherwise the error names the `sudo cp` to run.
import { join } from 'node:path';
import { pgBin, repoRoot } from '../config.ts';
import { run } from '../proc.ts';

export const sourceDir = join(repoRoot, 'scripts', 'stack', 'pg_net');

/** `$(pg_config --sharedir)/extension` of the PostgreSQL the stack runs. */
export async function extensionDir(): Promise<string> {
  const res = await run(join(pgBin, 'pg_config'), ['--sharedir']).catch(() => null);
  const shareDir = res?.code === 0 ? res.stdout.trim() : '/usr/share/postgresql/15';
  return join(shareDir, 'extension');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.(control|sql)$/.test(e.name)) names.push(e.name);
  }
  return names.sort();
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  } catch {
    return false; // not installed yet
  }
}

/** Copies what differs; 'current' when every installed file already matches. */
export async function installPgNet(target?: string, from = sourceDir): Promise<'installed' | 'current'> {
  const dir = target ?? (await extensionDir());
  const stale: string[] = [];
  for (const name of await sourceFiles(from)) {
    if (!(await sameBytes(join(from, name), join(dir, name)))) stale.push(name);
  }
  if (stale.length === 0) return 'current';
  try {
    for (const name of stale) {
      await Deno.writeFile(join(dir, name), await Deno.readFile(join(from, name)), { mode: 0o644 });
      await Deno.chmod(join(dir, name), 0o644); // mode applies to new files only
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    const files = stale.map((n) => join(from, n)).join(' ');
    throw new Error(
      `the pg_net stand-in is missing or outdated in ${dir}, which only root may write. ` +
        `Install it with:\n  sudo cp ${files} ${dir}/\nthen run the command again.`,
    );
  }
  return 'installed';
}
