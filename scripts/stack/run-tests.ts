// `npm test`: an isolated test stack (own folder and ports), then every suite —
// schema lint, pgTAP, deno test, vitest — and one summary line `N passed, N failed`.
import { join } from 'node:path';
import { dbUrl, repoRoot, type StackConfig, stackConfig, testEmailSinkPort } from './config.ts';
import { removeCluster } from './cluster.ts';
import { applySeed, lint, psql } from './database.ts';
import { bringUp, bringUpGateway, stackEnv } from './stack.ts';
import { gatewayService } from './gateway.ts';
import { netWorkerService } from './net-worker.ts';
import { startBackground, stopService } from './service.ts';
import { siteService } from './site.ts';

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
}

/** Runs a command, streaming its output to the terminal while keeping a copy. */
function tee(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return teeIn(repoRoot, cmd, args, env);
}

async function teeIn(cwd: string, cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(cmd, { args, env, cwd, stdin: 'null', stdout: 'piped', stderr: 'piped' })
    .spawn();
  let out = '';
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      out += dec.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, out };
}

// deno-lint-ignore no-control-regex -- the escape character is what ANSI colours start with
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** A runner that failed without reporting a failed test still counts as one failure. */
function result(name: string, passed: number, failed: number, code: number): SuiteResult {
  return { name, passed, failed: failed === 0 && code !== 0 ? 1 : failed };
}

async function lintSuite(url: string): Promise<SuiteResult> {
  console.log('\n── supabase db lint (crm, public) ──');
  const res = await lint(url, ['crm', 'public']);
  console.log(res.output || 'No schema errors found');
  return { name: 'db lint', passed: res.ok ? 1 : 0, failed: res.ok ? 0 : 1 };
}

/** Strict TypeScript over tracker, site and e2e (vitest only strips types). */
async function typecheckSuite(env: Record<string, string>): Promise<SuiteResult> {
  console.log('\n── tsc --noEmit (tracker, site, e2e) ──');
  const { code } = await tee(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--noEmit'], env);
  if (code === 0) console.log('no type errors');
  return { name: 'typecheck', passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}

/**
 * pgTAP as `supabase test db` runs it (its internal/db/test): pgTAP enabled as the
 * connecting user (and dropped again if that created it), then `pg_prove --ext .pg
 * --ext .sql -r` over the absolute tests folder, from inside it, with the connection
 * in PG* variables. Helpers (`helpers/*.psql`) are not tests by their extension and
 * are included with `\ir`. `--verbose` is what `supabase test db --debug` adds.
 */
async function pgTapSuite(url: string, env: Record<string, string>): Promise<SuiteResult> {
  console.log('\n── pgTAP (supabase/tests, run as `supabase test db` runs it) ──');
  const created = (await psql(url, { sql: "select not exists (select from pg_extension where extname = 'pgtap')" })) === 't';
  await psql(url, { sql: 'create extension if not exists pgtap with schema extensions' });
  const u = new URL(url);
  const testsDir = join(repoRoot, 'supabase', 'tests');
  const { code, out } = await teeIn(testsDir, 'pg_prove', ['--ext', '.pg', '--ext', '.sql', '-r', testsDir, '--verbose'], {
    ...env,
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: u.pathname.slice(1),
  });
  if (created) await psql(url, { sql: 'drop extension if exists pgtap' });
  const passed = out.match(/^\s*ok \d+/gm)?.length ?? 0;
  const failed = out.match(/^\s*not ok \d+/gm)?.length ?? 0;
  return result('pgTAP', passed, failed, code);
}

async function denoSuite(env: Record<string, string>): Promise<SuiteResult> {
  console.log('\n── deno test (scripts, supabase/functions) ──');
  const { code, out } = await tee(Deno.execPath(), ['test', '--allow-all'], env);
  const m = stripAnsi(out).match(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
  return result('deno test', Number(m?.[1] ?? 0), Number(m?.[2] ?? 0), code);
}

async function vitestSuite(
  name: string,
  config: string,
  env: Record<string, string>,
  stateDir: string,
): Promise<SuiteResult> {
  console.log(`\n── ${name} (vitest run -c ${config}) ──`);
  const report = join(stateDir, `${name}.json`);
  await Deno.remove(report).catch(() => {});
  const { code } = await tee(join(repoRoot, 'node_modules', '.bin', 'vitest'), [
    'run', '-c', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ], env);
  try {
    const json = JSON.parse(await Deno.readTextFile(report));
    return result(name, json.numPassedTests, json.numFailedTests, code);
  } catch {
    return result(name, 0, 0, code || 1);
  }
}

/**
 * Real Chromium against this stack: serves the built dashboard on DASHBOARD_URL, runs e2e/.
 */
async function browserSuite(cfg: StackConfig, env: Record<string, string>): Promise<SuiteResult> {
  await startBackground(cfg, siteService(cfg, env));
  return await vitestSuite('browser', 'vitest.browser.config.ts', { ...env, VIBE_SCREENSHOTS: join(cfg.stateDir, 'screenshots') }, cfg.stateDir);
}

export async function runTests(): Promise<number> {
  const cfg = stackConfig('test');
  const results: SuiteResult[] = [];
  const started = Date.now();
  try {
    console.log(`Starting the isolated test stack (db 127.0.0.1:${cfg.dbPort}, api 127.0.0.1:${cfg.apiPort})`);
    // A fresh cluster with only the baseline; `supabase db push` (as postgres) applies
    // the migrations, as a deploy does; pgTAP runs on exactly that, the seed after it.
    const state = await bringUp(cfg, { fresh: true, seed: false });
    await bringUpGateway(cfg, state);
    const env: Record<string, string> = {
      ...Deno.env.toObject(),
      ...stackEnv(cfg, state),
      // Node 24 from the `node` devDependency, also when not started through npm.
      PATH: `${join(repoRoot, 'node_modules', '.bin')}:${Deno.env.get('PATH') ?? ''}`,
      PGPASSWORD: 'postgres',
      // The port of the e-mail sink a test binds: the notify function's RESEND_API_URL.
      EMAIL_SINK_PORT: String(testEmailSinkPort()),
      VIBE_TEST: '1',
      NO_COLOR: '1',
    };
    const url = dbUrl(cfg);
    // The ingest function serves the built tracker; the browser suite serves the dashboard.
    console.log('\n── build (tracker, dashboard) ──');
    const build = await tee('npm', ['run', 'build'], env);
    results.push({ name: 'build', passed: build.code === 0 ? 1 : 0, failed: build.code === 0 ? 0 : 1 });
    results.push(await lintSuite(url));
    results.push(await typecheckSuite(env));
    results.push(await pgTapSuite(url, env));
    await applySeed(url);
    results.push(await denoSuite(env));
    results.push(await vitestSuite('vitest', 'vitest.config.ts', env, cfg.stateDir));
    results.push(await browserSuite(cfg, env));
  } catch (err) {
    console.error(`\n✗ ${(err as Error).message}`);
    results.push({ name: 'test stack', passed: 0, failed: 1 });
  } finally {
    await stopService(cfg, siteService(cfg, {})).catch((e) => console.error(`✗ could not stop the test dashboard: ${e.message}`));
    await stopService(cfg, netWorkerService(cfg)).catch((e) => console.error(`✗ could not stop the test pg_net worker: ${e.message}`));
    await stopService(cfg, gatewayService(cfg, {})).catch((e) => console.error(`✗ could not stop the test gateway: ${e.message}`));
    await removeCluster(cfg).catch((e) => console.error(`✗ could not remove the test cluster: ${e.message}`));
  }
  console.log('\n── summary ──');
  for (const r of results) console.log(`${r.name.padEnd(12)} ${r.passed} passed, ${r.failed} failed`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
