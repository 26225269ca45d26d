// `npm run deploy -- --project-ref REF [--dry-run] …`: deploys Vibe CRM to a hosted
// Supabase project with the pinned Supabase CLI (docs/deploying.md). Exit 0 done,
// 1 a step failed (named, with the CLI's output), 2 bad usage.
//
// VIBE_DEPLOY_ROOT replaces the repository root (where commands run, site/dist and
// node_modules/.bin/supabase are found), VIBE_DEPLOY_PROJECT_URL the project's URL
// https://REF.supabase.co (config.json's supabaseUrl, the function URLs, the REST call);
// the tests point them at fakes.
import { fileURLToPath } from 'node:url';
import { parseDeployArgs, USAGE, UsageError } from './args.ts';
import { deploy, StepFailed } from './deploy.ts';
import { execCommand } from './exec.ts';
import { projectUrl } from './project.ts';

let opts;
try {
  opts = parseDeployArgs(Deno.args);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`error: ${err.message}\n\n${USAGE}`);
  Deno.exit(2);
}
if (opts === null) {
  console.log(USAGE);
  Deno.exit(0);
}

const root = Deno.env.get('VIBE_DEPLOY_ROOT') ?? fileURLToPath(new URL('../..', import.meta.url));
try {
  await deploy(opts, {
    root,
    projectUrl: Deno.env.get('VIBE_DEPLOY_PROJECT_URL') || projectUrl(opts.projectRef),
    env: (name) => Deno.env.get(name),
    print: (line) => console.log(line),
    exec: (cmd) => execCommand(root, cmd),
    fetch: (url, init) => fetch(url, init),
  });
} catch (err) {
  if (!(err instanceof StepFailed)) throw err;
  const lines = err.output.trimEnd().split('\n').slice(-20).join('\n');
  console.error(
    `\ndeploy stopped at step ${err.step}: ${err.reason}${
      lines ? `\n--- last output ---\n${lines}` : ''
    }`,
  );
  Deno.exit(1);
}
