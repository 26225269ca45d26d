import assert from 'node:assert/strict';
import {
  envFileText,
  generateToken,
  MASK,
  planSecrets,
  secretNames,
  shownPairs,
} from './secrets.ts';

const TOKEN = 'tok_0123456789abcdef0123456789abcdef';
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const gen = () => 'generated';

Deno.test('IP_HASH_SECRET: from the environment, kept when the project has one, else generated once', () => {
  const plan = (vars: Record<string, string>, existing: Set<string> | null, header?: string) =>
    planSecrets(
      { env: envOf(vars), existing, clientIpHeader: header, notifyToken: TOKEN },
      gen,
    );
  assert.equal(
    plan({ IP_HASH_SECRET: 'mine' }, new Set(['IP_HASH_SECRET'])).set.IP_HASH_SECRET,
    'mine',
  );
  assert.ok(!('IP_HASH_SECRET' in plan({}, new Set(['IP_HASH_SECRET'])).set));
  assert.deepEqual(plan({ IP_HASH_SECRET: '' }, new Set(), 'x-real-ip').set, {
    IP_HASH_SECRET: 'generated',
    CLIENT_IP_HEADER: 'x-real-ip',
    VIBE_NOTIFY_TOKEN: TOKEN,
  });
  assert.match(plan({}, null).notes[0]!, /only if the project has none/);
  assert.match(
    planSecrets({ env: envOf({}), existing: null, notifyToken: TOKEN }).set.IP_HASH_SECRET!,
    /^[0-9a-f]{64}$/,
  );
});

Deno.test('VIBE_NOTIFY_TOKEN always set and masked; the email secrets passed through when set', () => {
  const plan = planSecrets({
    env: envOf({
      RESEND_API_KEY: 're_key',
      ALERT_EMAIL_FROM: 'Vibe CRM <alerts@example.com>',
      RESEND_API_URL: 'https://mail.example.com/emails',
      IP_HASH_SECRET: 'ip',
    }),
    existing: null,
    clientIpHeader: 'x-real-ip',
    notifyToken: TOKEN,
  }, gen);
  assert.deepEqual(shownPairs(plan), [
    `IP_HASH_SECRET=${MASK}`,
    'CLIENT_IP_HEADER=x-real-ip',
    `VIBE_NOTIFY_TOKEN=${MASK}`,
    `RESEND_API_KEY=${MASK}`,
    'ALERT_EMAIL_FROM=Vibe CRM <alerts@example.com>',
    'RESEND_API_URL=https://mail.example.com/emails',
  ]);
  assert.equal(
    envFileText(plan),
    "IP_HASH_SECRET='ip'\nCLIENT_IP_HEADER='x-real-ip'\nVIBE_NOTIFY_TOKEN='" + TOKEN +
      "'\nRESEND_API_KEY='re_key'\nALERT_EMAIL_FROM='Vibe CRM <alerts@example.com>'\n" +
      "RESEND_API_URL='https://mail.example.com/emails'\n",
  );
  assert.ok(!plan.notes.some((n) => n.includes('email alerts stay off')));
});

Deno.test('email off: one note naming what is missing, unless the project already has it', () => {
  const note = (vars: Record<string, string>, existing: Set<string> | null) =>
    planSecrets({ env: envOf(vars), existing, notifyToken: TOKEN }, gen).notes.find((n) =>
      n.includes('email alerts stay off')
    );
  assert.equal(
    note({}, null),
    'RESEND_API_KEY and ALERT_EMAIL_FROM not in the environment: email alerts stay off until both are exported and the deploy is run again (docs/alerts.md)',
  );
  assert.match(
    note({ RESEND_API_KEY: 'k' }, new Set())!,
    /^ALERT_EMAIL_FROM not in .* until it is/,
  );
  assert.equal(note({ RESEND_API_KEY: 'k' }, new Set(['ALERT_EMAIL_FROM'])), undefined);
  assert.equal(
    note({ RESEND_API_KEY: '', ALERT_EMAIL_FROM: '' }, new Set())?.startsWith('RESEND_API_KEY and'),
    true,
  );
});

Deno.test('the env file refuses what it cannot carry, without showing the value', () => {
  for (const bad of ["it's", 'two\nlines', 'cr\r']) {
    const plan = planSecrets({
      env: envOf({ RESEND_API_KEY: bad }),
      existing: null,
      notifyToken: TOKEN,
    });
    assert.throws(
      () => envFileText(plan),
      (err: Error) =>
        /RESEND_API_KEY holds a ' or a line break/.test(err.message) && !err.message.includes(bad),
    );
  }
});

Deno.test('the notify token: 32 random bytes as base64url, new each time', () => {
  const a = generateToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateToken(), a);
});

Deno.test('secret names from `secrets list -o json`', () => {
  assert.deepEqual(
    secretNames('[{"name":"IP_HASH_SECRET","value":"d1"},{"name":"X"}]'),
    new Set(['IP_HASH_SECRET', 'X']),
  );
  assert.deepEqual(secretNames('[]\n'), new Set());
  assert.equal(secretNames('error'), null);
});

Deno.test('AUTH_JWT_SECRET passed through masked when exported; a note when neither exported nor on the project', () => {
  const withIt = planSecrets({ env: envOf({ AUTH_JWT_SECRET: 'legacy-secret' }), existing: new Set(), notifyToken: TOKEN }, gen);
  assert.equal(withIt.set.AUTH_JWT_SECRET, 'legacy-secret');
  assert.ok(shownPairs(withIt).includes(`AUTH_JWT_SECRET=${MASK}`));
  assert.ok(!withIt.notes.some((n) => n.startsWith('AUTH_JWT_SECRET')));
  const without = planSecrets({ env: envOf({}), existing: new Set(), notifyToken: TOKEN }, gen);
  assert.equal('AUTH_JWT_SECRET' in without.set, false);
  assert.ok(without.notes.some((n) => /^AUTH_JWT_SECRET not in the environment: fine on JWT signing keys/.test(n)));
  const kept = planSecrets({ env: envOf({}), existing: new Set(['AUTH_JWT_SECRET']), notifyToken: TOKEN }, gen);
  assert.ok(!kept.notes.some((n) => n.startsWith('AUTH_JWT_SECRET')), 'a secret the project has stays');
});
