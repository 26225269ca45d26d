// The deploy as a user runs it: a subprocess through `npm run deploy` (dry run), bad
// input, and a full run in a scratch copy of the repository where `link` and `db push`
// are faked but secrets, functions deploy and api-keys go through the real pinned CLI
// to a fake Management API (a CLI profile pointing at it), and the alerts' RPC goes to
// a fake project REST API (VIBE_DEPLOY_PROJECT_URL).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integrationSnippet } from '../../site/src/lib/snippet.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(REPO, 'scripts/deploy/main.ts');
const DENO = join(REPO, 'node_modules/.bin/deno');
const REF = 'abcdefghijklmnopqrst';
const BASE_ENV = { PATH: Deno.env.get('PATH') ?? '', HOME: Deno.env.get('HOME') ?? '/tmp' };

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: REPO,
    clearEnv: true,
    env: { ...BASE_ENV, ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
const deploy = (args: string[], env: Record<string, string> = {}) =>
  run(DENO, ['run', '--allow-all', MAIN, ...args], env);

const SB = 'node_modules/.bin/supabase';
const DRY_RUN = `Vibe CRM deploy to project ${REF} (https://${REF}.supabase.co)
Dry run: prints each command, secrets masked, and runs none.
  SUPABASE_ACCESS_TOKEN: not set (the CLI uses the token of \`supabase login\`)
  SUPABASE_DB_PASSWORD: not set (the CLI asks the Management API for a temporary login role)
[1/9] build the tracker and the dashboard
  $ npm run build
[2/9] link the project
  $ ${SB} link --project-ref ${REF}
[3/9] apply the migrations
  $ ${SB} db push --linked --yes
[4/9] set the function secrets
  $ ${SB} secrets list --project-ref ${REF} -o json
  IP_HASH_SECRET generated, and set only if the project has none yet
  VIBE_NOTIFY_TOKEN generated anew; Vault gets the same value (configure_crm_alerts)
  RESEND_API_KEY and ALERT_EMAIL_FROM not in the environment: email alerts stay off until both are exported and the deploy is run again (docs/alerts.md)
  AUTH_JWT_SECRET not in the environment: fine on JWT signing keys; on the legacy JWT secret, Supabase Auth identity (data-supabase-auth) refuses every token until it is exported and the deploy is run again (docs/deploying.md)
  $ ${SB} secrets set --project-ref ${REF} --env-file <temp file holding IP_HASH_SECRET=******** VIBE_NOTIFY_TOKEN=********>
[5/9] deploy the ingest function
  $ ${SB} functions deploy ingest --project-ref ${REF} --no-verify-jwt --use-api
[6/9] deploy the notify function
  $ ${SB} functions deploy notify --project-ref ${REF} --no-verify-jwt --use-api
[7/9] get the API keys
  $ ${SB} projects api-keys --project-ref ${REF} --reveal -o json
[8/9] store the alert settings in Vault
  POST https://${REF}.supabase.co/rest/v1/rpc/configure_crm_alerts (apikey and Authorization: Bearer <service key>)
    {"p_notify_url":"https://${REF}.supabase.co/functions/v1/notify","p_notify_token":"********"}
  no --dashboard-url: vibe_dashboard_url stays as an earlier deploy left it
[9/9] write site/dist/config.json
  would write {"supabaseUrl":"https://${REF}.supabase.co","anonKey":"<anon key>","ingestUrl":"https://${REF}.supabase.co/functions/v1/ingest"}

Dry run done: nothing was run.
`;

Deno.test('npm run deploy -- --dry-run prints every command in order, and the snippet', async () => {
  const res = await run('npm', [
    'run',
    '--silent',
    'deploy',
    '--',
    '--project-ref',
    REF,
    '--dry-run',
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.slice(0, DRY_RUN.length), DRY_RUN);
  assert.ok(
    res.stdout.includes(
      integrationSnippet(`https://${REF}.supabase.co/functions/v1/ingest`, 'pk_…'),
    ),
  );
  assert.equal(res.stderr, '');
});

Deno.test('dry run with secrets from the environment: masked, no secrets list, --anon-key in config.json', async () => {
  const secret = 'do-not-print-me-0123456789';
  const resendKey = 're_do_not_print_me';
  const res = await deploy([
    '--project-ref',
    REF,
    '--dry-run',
    '--anon-key',
    'eyJgiven',
    '--client-ip-header',
    'x-real-ip',
    '--dashboard-url',
    'https://crm.example.com',
  ], {
    IP_HASH_SECRET: secret,
    SUPABASE_ACCESS_TOKEN: 'sbp_token_value',
    SUPABASE_DB_PASSWORD: 'db-password-value',
    RESEND_API_KEY: resendKey,
    ALERT_EMAIL_FROM: 'alerts@example.com',
  });
  assert.equal(res.code, 0, res.stderr);
  for (const value of [secret, 'sbp_token_value', 'db-password-value', resendKey]) {
    assert.ok(!res.stdout.includes(value), value);
  }
  const lines = res.stdout.split('\n');
  assert.ok(lines.includes('  SUPABASE_ACCESS_TOKEN: set'));
  assert.ok(lines.includes('  SUPABASE_DB_PASSWORD: set'));
  assert.ok(lines.includes(
    `  $ ${SB} secrets set --project-ref ${REF} --env-file <temp file holding IP_HASH_SECRET=******** CLIENT_IP_HEADER=x-real-ip VIBE_NOTIFY_TOKEN=******** RESEND_API_KEY=******** ALERT_EMAIL_FROM=alerts@example.com>`,
  ));
  assert.ok(!res.stdout.includes('secrets list') && !res.stdout.includes('email alerts stay off'));
  // The service key for the alerts step still comes from api-keys.
  assert.ok(lines.includes(`  $ ${SB} projects api-keys --project-ref ${REF} --reveal -o json`));
  assert.ok(lines.includes('  anon key from --anon-key'));
  assert.ok(lines.includes(
    `    {"p_notify_url":"https://${REF}.supabase.co/functions/v1/notify","p_notify_token":"********","p_dashboard_url":"https://crm.example.com"}`,
  ));
  assert.ok(!res.stdout.includes('no --dashboard-url') && !res.stdout.includes('6. For links'));
  assert.ok(res.stdout.includes('"anonKey":"eyJgiven"'));
});

Deno.test('bad input: usage on stderr and exit 2, nothing run', async () => {
  for (
    const args of [
      [],
      ['--project-ref', 'short'],
      ['--project-ref', REF, '--bogus'],
      ['--dry-run', 'x'],
      ['--project-ref', REF, '--dashboard-url', 'crm.example.com'],
    ]
  ) {
    const res = await deploy(args);
    assert.equal(res.code, 2, args.join(' '));
    assert.match(
      res.stderr,
      /^error: .+\n\nusage: npm run deploy -- --project-ref REF/,
      args.join(' '),
    );
    assert.equal(res.stdout, '');
  }
  const help = await deploy(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: npm run deploy/);
});

/** A scratch repository: the function sources and config, a fake npm and a CLI wrapper. */
async function scratch(apiPort: number, projectPort = 9) {
  const tmp = await Deno.makeTempDir({ prefix: 'deploy-run-' });
  const root = join(tmp, 'repo');
  await Deno.mkdir(join(tmp, 'bin'), { recursive: true });
  await Deno.mkdir(join(tmp, 'home'));
  await Deno.mkdir(join(root, 'node_modules/.bin'), { recursive: true });
  await Deno.mkdir(join(root, 'supabase'));
  await run('cp', [
    '-r',
    join(REPO, 'supabase/functions'),
    join(REPO, 'supabase/config.toml'),
    join(root, 'supabase/'),
  ]);
  await Deno.remove(join(root, 'supabase/functions/ingest/vibe.js')).catch(() => {});
  const log = join(tmp, 'calls.log');
  await Deno.writeTextFile(
    join(tmp, 'bin/npm'),
    `#!/bin/bash\necho "npm $*" >> "${log}"\nmkdir -p site/dist && echo '<h1>dashboard</h1>' > site/dist/index.html\necho '/* tracker */' > supabase/functions/ingest/vibe.js\n`,
    { mode: 0o755 },
  );
  // link and db push need a real database; everything else runs the real CLI.
  await Deno.writeTextFile(
    join(root, SB),
    `#!/bin/bash
echo "supabase $*" >> "${log}"
case "$1 $2" in
  "link --project-ref") echo "Finished supabase link."; exit 0 ;;
  "db push") [ -n "$FAKE_FAIL_PUSH" ] && { echo "boom: connection refused" >&2; exit 1; }; echo "Remote database is up to date."; exit 0 ;;
esac
exec "${join(REPO, SB)}" "$@"
`,
    { mode: 0o755 },
  );
  const profile = join(tmp, 'profile.yaml');
  await Deno.writeTextFile(
    profile,
    `name: fake\napi_url: http://127.0.0.1:${apiPort}\ndashboard_url: http://127.0.0.1:${apiPort}/dashboard\nproject_host: localhost\n`,
  );
  const env = {
    PATH: `${join(tmp, 'bin')}:${BASE_ENV.PATH}`,
    HOME: join(tmp, 'home'),
    VIBE_DEPLOY_ROOT: root,
    VIBE_DEPLOY_PROJECT_URL: `http://127.0.0.1:${projectPort}`,
    SUPABASE_ACCESS_TOKEN: 'sbp_0123456789abcdef0123456789abcdef01234567',
    SUPABASE_PROFILE: profile,
    SUPABASE_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
  };
  return {
    tmp,
    root,
    log,
    env,
    calls: async () => (await Deno.readTextFile(log)).trim().split('\n'),
  };
}

interface Seen {
  method: string;
  path: string;
  body: string;
}

function fakeManagementApi(seen: Seen[]) {
  return Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({ method: req.method, path: url.pathname + url.search, body: await req.text() });
    if (url.pathname.endsWith('/api-keys')) {
      return Response.json([
        { name: 'service_role', type: 'legacy', api_key: 'eyJservice' },
        { name: 'anon', type: 'legacy', api_key: 'eyJanon' },
      ]);
    }
    if (url.pathname.endsWith('/secrets')) {
      return req.method === 'GET' ? Response.json([]) : new Response(null, { status: 201 });
    }
    if (url.pathname.endsWith('/functions/deploy')) {
      const slug = url.searchParams.get('slug');
      return Response.json({
        id: 'f',
        slug,
        name: slug,
        status: 'ACTIVE',
        version: 1,
      }, { status: 201 });
    }
    if (url.pathname === `/v1/projects/${REF}`) {
      return Response.json({
        id: REF,
        ref: REF,
        organization_id: 'o',
        name: 'p',
        region: 'us-east-1',
        status: 'ACTIVE_HEALTHY',
        created_at: '2000-01-01T00:00:00Z',
      });
    }
    return Response.json({ message: 'not faked' }, { status: 404 });
  });
}

/** The project's REST API: records the alerts' RPC and answers as PostgREST does for void. */
function fakeProjectApi(seen: (Seen & { headers: Headers })[] = []) {
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname,
      body: await req.text(),
      headers: req.headers,
    });
    return url.pathname === '/rest/v1/rpc/configure_crm_alerts'
      ? new Response(null, { status: 204 })
      : Response.json({ message: 'not faked' }, { status: 404 });
  });
  return { server, seen };
}

Deno.test('a full run: steps in order, secrets generated and never printed, both functions uploaded, Vault configured, config.json written', async () => {
  const seen: Seen[] = [];
  const api = fakeManagementApi(seen);
  const project = fakeProjectApi();
  const s = await scratch(api.addr.port, project.server.addr.port);
  const base = `http://127.0.0.1:${project.server.addr.port}`;
  // Passed through to the function secrets: a '#' and a '$' must arrive as they are.
  const resendKey = 're_test_$HOME#not-a-comment';
  const from = 'Vibe CRM <alerts@example.com>';
  try {
    const res = await deploy(
      ['--project-ref', REF, '--dashboard-url', 'https://crm.example.com/'],
      {
        ...s.env,
        RESEND_API_KEY: resendKey,
        ALERT_EMAIL_FROM: from,
      },
    );
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const calls = await s.calls();
    const envFile = calls.find((c) => c.startsWith('supabase secrets set'))?.split(' ').pop() ?? '';
    assert.deepEqual(calls, [
      'npm run build',
      `supabase link --project-ref ${REF}`,
      'supabase db push --linked --yes',
      `supabase secrets list --project-ref ${REF} -o json`,
      `supabase secrets set --project-ref ${REF} --env-file ${envFile}`,
      `supabase functions deploy ingest --project-ref ${REF} --no-verify-jwt --use-api`,
      `supabase functions deploy notify --project-ref ${REF} --no-verify-jwt --use-api`,
      `supabase projects api-keys --project-ref ${REF} --reveal -o json`,
    ]);
    await assert.rejects(Deno.stat(envFile), Deno.errors.NotFound, 'the secrets file is removed');

    const post = seen.find((r) => r.method === 'POST' && r.path.endsWith('/secrets'));
    const sent = JSON.parse(post?.body ?? '[]') as { name: string; value: string }[];
    const value = (name: string) => sent.find((x) => x.name === name)?.value ?? '';
    assert.deepEqual(sent.map((x) => x.name), [
      'IP_HASH_SECRET',
      'VIBE_NOTIFY_TOKEN',
      'RESEND_API_KEY',
      'ALERT_EMAIL_FROM',
    ]);
    assert.match(value('IP_HASH_SECRET'), /^[0-9a-f]{64}$/);
    const token = value('VIBE_NOTIFY_TOKEN');
    assert.match(token, /^[A-Za-z0-9_-]{32,}$/);
    assert.equal(value('RESEND_API_KEY'), resendKey);
    assert.equal(value('ALERT_EMAIL_FROM'), from);
    for (const secret of [value('IP_HASH_SECRET'), token, resendKey, 'eyJservice']) {
      assert.ok(!(res.stdout + res.stderr).includes(secret), 'a secret is never printed');
    }

    const upload = seen.find((r) =>
      r.path.startsWith(`/v1/projects/${REF}/functions/deploy?slug=ingest`)
    )?.body ?? '';
    assert.match(upload, /"static_patterns":\["supabase\/functions\/ingest\/vibe\.js"\]/);
    assert.match(upload, /"verify_jwt":false/);
    for (const f of ['ingest/vibe.js', 'ingest/index.ts', '_shared/db.ts']) {
      assert.ok(upload.includes(`filename="supabase/functions/${f}"`), f);
    }
    const notify = seen.find((r) =>
      r.path.startsWith(`/v1/projects/${REF}/functions/deploy?slug=notify`)
    )?.body ?? '';
    assert.match(notify, /"verify_jwt":false/);
    for (const f of ['notify/index.ts', 'notify/handler.ts', '_shared/db.ts']) {
      assert.ok(notify.includes(`filename="supabase/functions/${f}"`), f);
    }

    // Vault gets the token the function got, through the REST API as service_role.
    assert.equal(project.seen.length, 1);
    const rpc = project.seen[0]!;
    assert.equal(`${rpc.method} ${rpc.path}`, 'POST /rest/v1/rpc/configure_crm_alerts');
    assert.equal(rpc.headers.get('apikey'), 'eyJservice');
    assert.equal(rpc.headers.get('authorization'), 'Bearer eyJservice');
    assert.equal(rpc.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(rpc.body), {
      p_notify_url: `${base}/functions/v1/notify`,
      p_notify_token: token,
      p_dashboard_url: 'https://crm.example.com/',
    });

    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(s.root, 'site/dist/config.json'))), {
      supabaseUrl: base,
      anonKey: 'eyJanon',
      ingestUrl: `${base}/functions/v1/ingest`,
    });
    assert.match(res.stdout, /\[9\/9\] write site\/dist\/config\.json\n {2}supabaseUrl http:/);
    assert.ok(res.stdout.includes(`Deployed to ${REF}.`));
  } finally {
    await api.shutdown();
    await project.server.shutdown();
    await Deno.remove(s.tmp, { recursive: true });
  }
});

Deno.test('a failing step stops the deploy, named, with the CLI output and exit 1', async () => {
  const s = await scratch(9);
  try {
    const res = await deploy(['--project-ref', REF], { ...s.env, FAKE_FAIL_PUSH: '1' });
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /deploy stopped at step 3\/9 \(apply the migrations\): node_modules\/\.bin\/supabase db push --linked --yes exited with 1\n--- last output ---\nboom: connection refused/,
    );
    assert.deepEqual(await s.calls(), [
      'npm run build',
      `supabase link --project-ref ${REF}`,
      'supabase db push --linked --yes',
    ]);
    await assert.rejects(Deno.stat(join(s.root, 'site/dist/config.json')), Deno.errors.NotFound);
  } finally {
    await Deno.remove(s.tmp, { recursive: true });
  }
});
