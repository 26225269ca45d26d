// deploy() in-process with its exec and fetch injected: what main_test.ts's subprocess
// runs cannot easily reach, such as the project's REST API refusing the alerts' RPC.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Fetch } from './alerts.ts';
import { BUILT, deploy, StepFailed } from './deploy.ts';
import type { Command } from './exec.ts';

const REF = 'abcdefghijklmnopqrst';
const KEYS = JSON.stringify([
  { name: 'anon', type: 'legacy', api_key: 'eyJanon' },
  { name: 'service_role', type: 'legacy', api_key: 'eyJservice' },
]);

async function fakeRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: 'deploy-inproc-' });
  for (const file of BUILT) {
    await Deno.mkdir(join(root, file, '..'), { recursive: true });
    await Deno.writeTextFile(join(root, file), 'built');
  }
  return root;
}

function io(root: string, fetch: Fetch, keys = KEYS) {
  const printed: string[] = [];
  const ran: string[] = [];
  return {
    printed,
    ran,
    io: {
      root,
      projectUrl: 'https://project.example',
      env: () => undefined,
      print: (line: string) => printed.push(line),
      exec: (cmd: Command) => {
        ran.push(cmd.args.slice(0, 2).join(' '));
        return Promise.resolve(
          cmd.args[0] === 'projects' ? keys : cmd.args[0] === 'secrets' ? '[]' : '',
        );
      },
      fetch,
    },
  };
}

Deno.test('a refused RPC stops the deploy at the alerts step with the answer, before config.json', async () => {
  const root = await fakeRoot();
  try {
    const t = io(
      root,
      () =>
        Promise.resolve(
          Response.json({ code: '42501', message: 'not allowed: service_role only' }, {
            status: 403,
          }),
        ),
    );
    await assert.rejects(
      deploy({ projectRef: REF, dryRun: false }, t.io),
      (err: unknown) =>
        err instanceof StepFailed && err.step === '8/9 (store the alert settings in Vault)' &&
        err.reason === 'configure_crm_alerts answered 403: 42501: not allowed: service_role only',
    );
    assert.ok(!t.printed.join('\n').includes('eyJservice'), 'the service key is never printed');
    await assert.rejects(Deno.stat(join(root, 'site/dist/config.json')), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test('no usable service key: the keys step fails before any request', async () => {
  const root = await fakeRoot();
  let fetched = 0;
  try {
    const t = io(root, () => {
      fetched++;
      return Promise.resolve(new Response(null, { status: 204 }));
    }, JSON.stringify([{ name: 'anon', type: 'legacy', api_key: 'eyJanon' }]));
    await assert.rejects(
      deploy({ projectRef: REF, dryRun: false }, t.io),
      (err: unknown) =>
        err instanceof StepFailed && err.step === '7/9 (get the API keys)' &&
        /no service_role or secret key/.test(err.reason),
    );
    assert.equal(fetched, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test('the dry run sends no request', async () => {
  let fetched = 0;
  const t = io('/nonexistent', () => {
    fetched++;
    return Promise.resolve(new Response(null, { status: 204 }));
  });
  await deploy({ projectRef: REF, dryRun: true, dashboardUrl: 'https://crm.example.com' }, t.io);
  assert.equal(fetched, 0);
  assert.deepEqual(t.ran, []);
  assert.ok(t.printed.includes(
    '  POST https://project.example/rest/v1/rpc/configure_crm_alerts (apikey and Authorization: Bearer <service key>)',
  ));
});
