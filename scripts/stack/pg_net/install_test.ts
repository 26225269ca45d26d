import assert from 'node:assert/strict';
import { join } from 'node:path';
import { installPgNet, sourceDir } from './install.ts';

Deno.test('the pg_net stand-in is copied when missing or changed, and left alone when current', async () => {
  const target = await Deno.makeTempDir({ prefix: 'vibe-pg-net-ext-' });
  try {
    assert.equal(await installPgNet(target), 'installed');
    const control = await Deno.readTextFile(join(target, 'pg_net.control'));
    assert.equal(control, await Deno.readTextFile(join(sourceDir, 'pg_net.control')));
    assert.match(control, /^default_version = '(\d+\.\d+\.\d+)'$/m);
    const version = control.match(/^default_version = '(.+)'$/m)![1];
    await Deno.stat(join(target, `pg_net--${version}.sql`)); // the script CREATE EXTENSION runs
    assert.equal((await Deno.stat(join(target, 'pg_net.control'))).mode! & 0o777, 0o644);

    assert.equal(await installPgNet(target), 'current');

    await Deno.writeTextFile(join(target, `pg_net--${version}.sql`), '-- an older stand-in\n');
    assert.equal(await installPgNet(target), 'installed');
    assert.equal(
      await Deno.readTextFile(join(target, `pg_net--${version}.sql`)),
      await Deno.readTextFile(join(sourceDir, `pg_net--${version}.sql`)),
    );
  } finally {
    await Deno.remove(target, { recursive: true });
  }
});
