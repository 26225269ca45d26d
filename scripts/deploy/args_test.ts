import assert from 'node:assert/strict';
import { parseDeployArgs, UsageError } from './args.ts';

const REF = 'abcdefghijklmnopqrst';

Deno.test('parses the ref, --dry-run and the optional values', () => {
  assert.deepEqual(parseDeployArgs(['--project-ref', REF]), { projectRef: REF, dryRun: false });
  assert.deepEqual(
    parseDeployArgs([
      `--project-ref=${REF}`,
      '--dry-run',
      '--anon-key',
      ' k ',
      '--client-ip-header',
      'x-real-ip',
      '--dashboard-url',
      'https://crm.example.com/',
    ]),
    {
      projectRef: REF,
      dryRun: true,
      anonKey: 'k',
      clientIpHeader: 'x-real-ip',
      dashboardUrl: 'https://crm.example.com/',
    },
  );
  assert.deepEqual(
    parseDeployArgs(['--project-ref', REF, '--dashboard-url=http://10.0.0.5:8080']),
    {
      projectRef: REF,
      dryRun: false,
      dashboardUrl: 'http://10.0.0.5:8080',
    },
  );
  assert.equal(parseDeployArgs(['--help']), null);
});

Deno.test('rejects a missing or malformed ref, unknown flags and stray arguments', () => {
  const bad: [string[], RegExp][] = [
    [[], /--project-ref is required/],
    [['--dry-run'], /--project-ref is required/],
    [['--project-ref', 'abc'], /20 lowercase letters/],
    [['--project-ref', 'ABCDEFGHIJKLMNOPQRST'], /20 lowercase letters/],
    [['--project-ref', 'abcdefghijklmnopqrs1'], /20 lowercase letters/],
    [['--project-ref', `${REF}a`], /20 lowercase letters/],
    [['--project-ref', REF, '--force'], /Unknown option '--force'/],
    [['--project-ref', REF, 'extra'], /positional/i],
    [['--project-ref'], /argument missing/],
    [['--project-ref', REF, '--anon-key', ' '], /--anon-key is empty/],
    [['--project-ref', REF, '--client-ip-header', 'X-Real-IP'], /lowercase header name/],
    [['--project-ref', REF, '--dashboard-url', 'crm.example.com'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', 'ftp://crm.example.com'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', 'http:crm.example.com'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', 'HTTPS://crm.example.com'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', 'https://crm.example.com/a b'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', 'https://'], /http\(s\) URL/],
    [['--project-ref', REF, '--dashboard-url', ''], /http\(s\) URL/],
  ];
  for (const [argv, msg] of bad) {
    assert.throws(
      () => parseDeployArgs(argv),
      (err: unknown) => err instanceof UsageError && msg.test(err.message),
      argv.join(' '),
    );
  }
});
