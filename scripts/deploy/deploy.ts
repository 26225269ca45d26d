// The deploy, step by step. One code path serves the real run and the dry run (which
// prints each command instead of running it), so the dry run cannot drift from the deploy.
import { join } from 'node:path';
import { configureAlerts, type Fetch, RpcFailed, shownRpc } from './alerts.ts';
import type { DeployOptions } from './args.ts';
import { type Command, CommandFailed, display } from './exec.ts';
import { nextSteps } from './next.ts';
import {
  functionUrl,
  pickAnonKey,
  pickServiceKey,
  siteConfig,
  writeSiteConfig,
} from './project.ts';
import { envFileText, generateToken, planSecrets, secretNames, shownPairs } from './secrets.ts';

export interface DeployIO {
  /** The repository: commands run here; site/dist and the function live under it. */
  root: string;
  /** The project's URL, https://REF.supabase.co: config.json's supabaseUrl and the REST calls. */
  projectUrl: string;
  env(name: string): string | undefined;
  print(line: string): void;
  exec(cmd: Command): Promise<string>;
  /** For the REST call of the alerts step. */
  fetch: Fetch;
}

export class StepFailed extends Error {
  constructor(readonly step: string, readonly reason: string, readonly output = '') {
    super(`step ${step} failed: ${reason}`);
  }
}

const TOTAL = 9;
/** Deployed in this order, each its own step; verify_jwt is off for both (config.toml). */
const FUNCTIONS = ['ingest', 'notify'] as const;
/** Files `npm run build` must leave: the dashboard, and the tracker the function serves. */
export const BUILT = ['site/dist/index.html', 'supabase/functions/ingest/vibe.js'];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function deploy(opts: DeployOptions, io: DeployIO): Promise<void> {
  const ref = opts.projectRef;
  const base = io.projectUrl;
  const dry = opts.dryRun;
  const p = io.print;
  let n = 0;
  let current = '';
  const step = (title: string) => {
    current = `${++n}/${TOTAL} (${title})`;
    p(`[${n}/${TOTAL}] ${title}`);
  };
  const fail = (reason: string, output = ''): never => {
    throw new StepFailed(current, reason, output);
  };
  const run = async (cmd: Command): Promise<string> => {
    p(`  $ ${display(cmd)}`);
    if (dry) return '';
    try {
      return await io.exec(cmd);
    } catch (err) {
      if (err instanceof CommandFailed) return fail(err.message, err.output);
      throw err;
    }
  };
  const supabase = (args: string[], more: Partial<Command> = {}): Command => ({
    bin: 'supabase',
    args,
    ...more,
  });
  const isSet = (name: string) => (io.env(name) ?? '') !== '';

  p(`Vibe CRM deploy to project ${ref} (${base})`);
  if (dry) p('Dry run: prints each command, secrets masked, and runs none.');
  p(`  SUPABASE_ACCESS_TOKEN: ${
    isSet('SUPABASE_ACCESS_TOKEN') ? 'set' : 'not set (the CLI uses the token of `supabase login`)'
  }`);
  p(`  SUPABASE_DB_PASSWORD: ${
    isSet('SUPABASE_DB_PASSWORD')
      ? 'set'
      : 'not set (the CLI asks the Management API for a temporary login role)'
  }`);

  step('build the tracker and the dashboard');
  await run({ bin: 'npm', args: ['run', 'build'] });
  for (const file of dry ? [] : BUILT) {
    if (!(await exists(join(io.root, file)))) fail(`npm run build did not leave ${file}`);
  }

  step('link the project');
  await run(supabase(['link', '--project-ref', ref]));

  step('apply the migrations');
  await run(supabase(['db', 'push', '--linked', '--yes']));

  step('set the function secrets');
  const fromEnv = io.env('IP_HASH_SECRET');
  let existing: Set<string> | null = null;
  if (!fromEnv) {
    const listed = await run(
      supabase(['secrets', 'list', '--project-ref', ref, '-o', 'json'], { quiet: true }),
    );
    if (!dry) {
      existing = secretNames(listed) ?? fail('could not read the secret names from `secrets list`');
    }
  }
  // New on every deploy: a hosted secret cannot be read back, and Vault needs the same value.
  const notifyToken = generateToken();
  const secrets = planSecrets({
    env: io.env,
    existing,
    clientIpHeader: opts.clientIpHeader,
    notifyToken,
  });
  for (const note of secrets.notes) p(`  ${note}`);
  let envText = '';
  try {
    envText = envFileText(secrets);
  } catch (err) {
    fail((err as Error).message);
  }
  // Values go through a private temp file, never argv (visible to every local user).
  const file = dry ? '' : await Deno.makeTempFile({ prefix: 'vibe-secrets-', suffix: '.env' });
  try {
    if (!dry) await Deno.writeTextFile(file, envText, { mode: 0o600 });
    await run(supabase(['secrets', 'set', '--project-ref', ref, '--env-file', file], {
      shown: `secrets set --project-ref ${ref} --env-file <temp file holding ${
        shownPairs(secrets).join(' ')
      }>`,
    }));
  } finally {
    if (!dry) await Deno.remove(file).catch(() => {});
  }

  for (const name of FUNCTIONS) {
    step(`deploy the ${name} function`);
    await run(
      supabase(['functions', 'deploy', name, '--project-ref', ref, '--no-verify-jwt', '--use-api']),
    );
  }

  // One answer gives config.json its browser key and the alerts step its service key;
  // --reveal shows secret keys (sb_secret_…) in full, for projects without legacy keys.
  step('get the API keys');
  const keys = await run(
    supabase(['projects', 'api-keys', '--project-ref', ref, '--reveal', '-o', 'json'], {
      quiet: true,
    }),
  );
  let anonKey = opts.anonKey ?? '<anon key>';
  let serviceKey = '';
  if (opts.anonKey) p('  anon key from --anon-key');
  if (!dry) {
    if (!opts.anonKey) {
      const picked = pickAnonKey(keys) ??
        fail('no anon or publishable key in the answer of `projects api-keys`');
      anonKey = picked.key;
      p(`  for config.json: the project's ${picked.kind} key`);
    }
    const service = pickServiceKey(keys) ??
      fail('no service_role or secret key in the answer of `projects api-keys`');
    serviceKey = service.key;
    p(`  for configure_crm_alerts: the project's ${service.kind} key (not shown)`);
  }

  step('store the alert settings in Vault');
  const alerts = {
    notifyUrl: functionUrl(base, 'notify'),
    notifyToken,
    ...(opts.dashboardUrl !== undefined ? { dashboardUrl: opts.dashboardUrl } : {}),
  };
  for (const line of shownRpc(base, alerts)) p(`  ${line}`);
  if (opts.dashboardUrl === undefined) {
    p('  no --dashboard-url: vibe_dashboard_url stays as an earlier deploy left it');
  }
  if (!dry) {
    try {
      await configureAlerts(io.fetch, base, serviceKey, alerts);
    } catch (err) {
      if (err instanceof RpcFailed) fail(err.message);
      throw err;
    }
    p(
      '  vibe_notify_url, vibe_notify_token' +
        (opts.dashboardUrl !== undefined ? ', vibe_dashboard_url' : '') + ' stored',
    );
  }

  step('write site/dist/config.json');
  const config = siteConfig(base, anonKey);
  if (dry) p(`  would write ${JSON.stringify(config)}`);
  else {
    await writeSiteConfig(join(io.root, 'site', 'dist'), config);
    p(`  supabaseUrl ${config.supabaseUrl}, ingestUrl ${config.ingestUrl}`);
  }

  p('');
  p(dry ? 'Dry run done: nothing was run.' : `Deployed to ${ref}.`);
  p(nextSteps(ref, base, 'site/dist', opts.dashboardUrl));
}
