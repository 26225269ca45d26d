import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { StackConfig } from './config.ts';
import { pidFile, runningService, type Service, startBackground, startForeground, stopService } from './service.ts';

async function tempStack(): Promise<StackConfig> {
  const stateDir = await Deno.makeTempDir({ prefix: 'vibe-service-test-' });
  return { profile: 'test', stateDir, clusterDir: join(stateDir, 'cluster'), dbPort: 1, apiPort: 1, sitePort: 1, poolerPort: 1 };
}

async function sleeper(): Promise<Service> {
  const script = join(await Deno.makeTempDir(), 'sleeper.ts');
  await Deno.writeTextFile(script, 'setInterval(() => {}, 1000);\n');
  return { name: 'sleeper', label: 'sleeper', script, env: {} };
}

Deno.test('a pid file left by a crash (pid gone or reused by another program) is removed', async () => {
  const cfg = await tempStack();
  const s = await sleeper();
  for (const pid of [Deno.pid /* alive, but not the service */, 999_999_999 /* gone */]) {
    await Deno.writeTextFile(pidFile(cfg, s), `${pid}\n`);
    assert.equal(await runningService(cfg, s, false), null);
    await assert.rejects(Deno.stat(pidFile(cfg, s)), Deno.errors.NotFound);
  }
});

Deno.test('a background service is found by its pid file, not started twice, and stopped', async () => {
  const cfg = await tempStack();
  const s = await sleeper();
  try {
    assert.equal(await startBackground(cfg, s), 'started');
    const pid = await runningService(cfg, s, false);
    assert.ok(pid, 'the service should be running');
    assert.equal(await startBackground(cfg, s), 'running');
    assert.equal(await runningService(cfg, s, false), pid, 'the second start must not spawn another');
    assert.equal(await stopService(cfg, s), true);
    assert.equal(await runningService(cfg, s, false), null);
    assert.equal(await stopService(cfg, s), false);
  } finally {
    await stopService(cfg, s); // never leave a sleeper behind, even when an assertion failed
  }
});

Deno.test('a service `npm start` runs in the foreground is found by the other commands, and forgotten when it exits', async () => {
  const cfg = await tempStack();
  const s = await sleeper();
  const child = await startForeground(cfg, s);
  try {
    // The child writes its pid file once it runs its script: on a loaded machine that can
    // come a few ms after startForeground returns (a full CI run failed here once).
    for (let i = 0; i < 100 && (await runningService(cfg, s, false)) === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await runningService(cfg, s, false), child.pid, '`npm run up` / status find the foreground service');
    assert.equal(await startBackground(cfg, s), 'running', 'a background start uses it instead of starting another');
  } finally {
    child.kill('SIGTERM');
    await child.status;
  }
  for (let i = 0; i < 50 && (await Deno.stat(pidFile(cfg, s)).then(() => true, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await assert.rejects(Deno.stat(pidFile(cfg, s)), Deno.errors.NotFound, 'its pid file goes with it');
});
