import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BUDGET, buildTracker, bundleScript, dist, sizes } from '../build';

// Builds dist/ itself, so a clean clone needs no prior `npm run build:tracker`.
it(`dist/vibe.js stays within ${BUDGET} B gzip`, async () => {
  const lines: string[] = [];
  const s = await buildTracker((l) => lines.push(l));
  const file = readFileSync(join(dist, 'vibe.js'), 'utf8');
  expect(sizes(file)).toEqual(s);
  expect(file).toBe(await bundleScript()); // the bundle the other tests load is the shipped one
  expect(s.gzip).toBeLessThanOrEqual(BUDGET);
  expect(lines.join('\n')).toMatch(/\d+ B raw, \d+ B gzip, \d+ B brotli \(goal 1500 B gzip, budget 2048 B\)/);
}, 60_000);

it('the build fails above its budget, and writes nothing then', async () => {
  await buildTracker(() => {});
  const written = () => ['vibe.js', 'index.js', 'index.d.ts'].map((f) => statSync(join(dist, f)).mtimeMs);
  const before = written();
  await new Promise((r) => setTimeout(r, 20));
  await expect(buildTracker(() => {}, 1000)).rejects.toThrow(/vibe\.js is \d+ B gzip, over the 1000 B budget/);
  expect(written()).toEqual(before);
}, 60_000);

it('the ESM build exports init, track, identify and reset, with declarations', () => {
  const esm = readFileSync(join(dist, 'index.js'), 'utf8');
  const dts = readFileSync(join(dist, 'index.d.ts'), 'utf8');
  expect(esm).toMatch(/export\s*\{[^}]*\bas init\b|export\s*\{[^}]*\binit\b/);
  for (const name of ['init(options: VibeOptions)', 'track: (name: string, props?: Props)', 'identify: (identity: Identity)', 'reset: ()']) {
    expect(dts).toContain(name);
  }
});
