// Supabase Auth tokens as the ingest function verifies them: real signatures made with
// jose (HS256 with a shared secret, ES256 with a key set served over HTTP here), each
// refusal with its reason, and the token gone from the batch whatever the verdict.
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'npm:jose@6.2.18';
import { type AuthDeps, KeysUnavailable, tokenVerifier, type Trust, type Verdict } from './auth.ts';

const OWN = 'http://127.0.0.1:54321';
const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const KEY = 'pk_test0000001';
const USER = '8f6a2d0c-3b1e-4c8e-9d2a-5e7f1a2b3c4d';
const OWN_TRUST: Trust = { jwks_url: null, refused_networks: ['127.0.0.0/8', '10.0.0.0/8'] };
const id = (n: number) => `7d0f1a52-6c1e-4c1f-9a53-${String(n).padStart(12, '0')}`;

type Claims = Record<string, unknown>;
const claims = (over: Claims = {}): Claims => ({
  sub: USER,
  email: 'ann@shop.example',
  aud: 'authenticated',
  role: 'authenticated',
  iss: `${OWN}/auth/v1`,
  ...over,
});

/** A token as Supabase Auth issues it on the legacy shared secret. */
async function hs256(over: Claims = {}, secret = SECRET, expiresIn: string | number = '1h') {
  return await new SignJWT(claims(over)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt()
    .setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

/** An ES256 key pair with its public JWKS, as a project on asymmetric signing keys publishes it. */
async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = (over: Claims = {}) =>
    new SignJWT(claims(over)).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).setIssuedAt().setExpirationTime('1h')
      .sign(privateKey);
  return { jwks: { keys: [jwk] }, sign };
}

/**
 * A local HTTP server publishing a key set at /auth/v1/.well-known/jwks.json (or giving
 * `answer` there instead); counts its requests.
 */
function jwksServer(jwks: unknown, answer?: () => Response) {
  let hits = 0;
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, (req) => {
    hits++;
    if (new URL(req.url).pathname !== '/auth/v1/.well-known/jwks.json') return new Response('no', { status: 404 });
    return answer ? answer() : Response.json(jwks);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, url: `${base}/auth/v1/.well-known/jwks.json`, hits: () => hits, close: () => server.shutdown() };
}

function verifier(trust: Trust | null, over: Partial<AuthDeps> = {}) {
  const asked: string[] = [];
  const verify = tokenVerifier({
    ownUrl: OWN,
    jwtSecret: SECRET,
    trust: (pk) => (asked.push(pk), Promise.resolve(trust)),
    ...over,
  });
  return { verify, asked };
}

const identify = (n: number, token: unknown) => ({ id: id(n), ts: Date.now(), type: 'identify', path: '/', token });
const batchOf = (...events: unknown[]) => ({ project: KEY, visitor_id: id(900), session_id: id(901), events });

/** The verdict for one token, and the batch as SQL would get it. */
async function verdictOf(token: unknown, trust: Trust | null = OWN_TRUST, over: Partial<AuthDeps> = {}) {
  const { verify } = verifier(trust, over);
  const out = await verify(batchOf(identify(1, token)));
  assert.ok(out, 'a batch with a token gets a result');
  assert.ok(!JSON.stringify(out.batch).includes('"token"'), 'the token is taken out of the batch');
  return out.auth[id(1)] as Verdict;
}

Deno.test('a valid HS256 token of this project gives its subject and email, and leaves the batch without the token', async () => {
  const token = await hs256();
  const { verify, asked } = verifier(OWN_TRUST);
  const pv = { id: id(2), ts: 1, type: 'pageview', path: '/x' };
  const out = await verify(batchOf(pv, identify(1, token)));
  assert.deepEqual(asked, [KEY]);
  assert.deepEqual(out!.auth, { [id(1)]: { sub: USER, email: 'ann@shop.example', trust: 'own' } });
  const events = (out!.batch as { events: Record<string, unknown>[] }).events;
  assert.deepEqual(events[0], pv, 'other events are untouched');
  assert.deepEqual(Object.keys(events[1]!).sort(), ['id', 'path', 'ts', 'type']);
  assert.ok(!JSON.stringify(out!.batch).includes(token.split('.')[2]!));
});

Deno.test('a token without an email still names the user; its email is null', async () => {
  assert.deepEqual(await verdictOf(await hs256({ email: undefined })), { sub: USER, email: null, trust: 'own' });
});

Deno.test('an expired token is refused, saying when it expired', async () => {
  const exp = Math.floor(Date.now() / 1000) - 60;
  const v = await verdictOf(await hs256({}, SECRET, exp));
  assert.match((v as { error: string }).error, /^expired: the token expired at \d{4}-\d\d-\d\dT/);
  assert.ok((v as { error: string }).error.includes(new Date(exp * 1000).toISOString()));
});

Deno.test('a token signed with another secret (forged) is refused as a bad signature', async () => {
  const v = await verdictOf(await hs256({}, 'an-attacker-s-own-secret-of-at-least-32-characters'));
  assert.match((v as { error: string }).error, /^bad signature: /);
});

Deno.test('a token for another audience (the anon key, a service key) is not a signed-in user', async () => {
  assert.match((await verdictOf(await hs256({ aud: 'anon' })) as { error: string }).error, /^wrong audience: /);
  // The project's own anon key is an HS256 JWT with role anon and no audience.
  const anon = await hs256({ aud: undefined, sub: undefined, email: undefined, role: 'anon' });
  assert.match((await verdictOf(anon) as { error: string }).error, /^wrong audience: /);
});

Deno.test("another project's token is refused under this project's trust, even when it is validly signed", async () => {
  // Same secret (a second local project), other issuer.
  const other = await hs256({ iss: 'https://otherref.supabase.co/auth/v1' });
  assert.match((await verdictOf(other) as { error: string }).error, /^foreign: issued by another Supabase project/);
  // Another project on signing keys: its key is not among this project's keys.
  const theirs = await signingKey('theirs');
  const mine = await signingKey('mine');
  const v = await verdictOf(await theirs.sign(), OWN_TRUST, { ownJwks: mine.jwks });
  assert.match((v as { error: string }).error, /^foreign: signed with a key the trusted project does not publish/);
});

Deno.test('an unsigned token (alg none) and garbage are refused as such', async () => {
  const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${btoa(JSON.stringify(claims()))}.`.replaceAll('=', '');
  assert.match((await verdictOf(none) as { error: string }).error, /^foreign: signed with none/);
  for (const junk of ['abc', '', 42, null, 'a.b.c']) {
    assert.match((await verdictOf(junk) as { error: string }).error, /^malformed: /, String(junk));
  }
});

Deno.test("an HS256 token when the function was not given the project's JWT secret names the missing secret", async () => {
  const v = await verdictOf(await hs256(), OWN_TRUST, { jwtSecret: undefined });
  assert.match((v as { error: string }).error, /AUTH_JWT_SECRET/);
});

Deno.test('SB_JWT_ISSUER names the issuer where functions see another URL than the browser (the Supabase CLI)', async () => {
  const token = await hs256({ iss: 'http://127.0.0.1:54321/auth/v1' });
  const own = { ownUrl: 'http://kong:8000', ownIssuer: 'http://127.0.0.1:54321/auth/v1' };
  assert.deepEqual(await verdictOf(token, OWN_TRUST, own), { sub: USER, email: 'ann@shop.example', trust: 'own' });
  assert.match((await verdictOf(token, OWN_TRUST, { ownUrl: 'http://kong:8000' }) as { error: string }).error, /^foreign: /);
});

Deno.test('a token without an expiry is refused', async () => {
  const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  assert.deepEqual(await verdictOf(token), { error: 'malformed: the token has no expiry' });
});

Deno.test('a key set that answers other than 200, or redirects (to a private address, say), is not used and never followed', async () => {
  const key = await signingKey('k404');
  const target = jwksServer(key.jwks);
  const notFound = jwksServer(null, () => new Response('gone', { status: 404 }));
  const moved = jwksServer(null, () => new Response(null, { status: 302, headers: { location: target.url } }));
  try {
    for (const srv of [notFound, moved]) {
      const v = await verdictOf(await key.sign({ iss: `${srv.base}/auth/v1` }), { jwks_url: srv.url, refused_networks: [] });
      assert.match((v as { error: string }).error, /^the trusted project's signing keys could not be fetched: /);
      assert.equal(srv.hits(), 1);
    }
    assert.equal(target.hits(), 0, 'the redirect was not followed');
  } finally {
    await Promise.all([target.close(), notFound.close(), moved.close()]);
  }
});

Deno.test('keys that cannot be had for now (503, 429, no connection) fail the batch for a retry instead of refusing the sign-in', async () => {
  const key = await signingKey('kdown');
  const busy = jwksServer(null, () => new Response('busy', { status: 503 }));
  const limited = jwksServer(null, () => new Response('slow down', { status: 429 }));
  const closed = jwksServer(null);
  await closed.close(); // its port now refuses connections
  try {
    for (const [srv, why] of [[busy, /answered 503/], [limited, /answered 429/], [closed, /127\.0\.0\.1: /]] as const) {
      const { verify } = verifier({ jwks_url: srv.url, refused_networks: [] });
      const token = await key.sign({ iss: `${srv.base}/auth/v1` });
      await assert.rejects(verify(batchOf(identify(1, token))), (e: unknown) => e instanceof KeysUnavailable && why.test((e as Error).message));
    }
  } finally {
    await Promise.all([busy.close(), limited.close()]);
  }
});

Deno.test('a token without a subject is refused', async () => {
  assert.deepEqual(await verdictOf(await hs256({ sub: undefined })), { error: 'the token names no user (sub)' });
});

Deno.test("this project on signing keys: verified with the JWKS it publishes (SUPABASE_JWKS, else fetched from its URL)", async () => {
  const key = await signingKey('k1');
  // Given as SUPABASE_JWKS: no request at all.
  assert.deepEqual(await verdictOf(await key.sign(), OWN_TRUST, { ownJwks: key.jwks }), { sub: USER, email: 'ann@shop.example', trust: 'own' });
  // Not given: fetched from <SUPABASE_URL>/auth/v1/.well-known/jwks.json (the project's own
  // URL, so the refused networks do not apply to it).
  const srv = jwksServer(key.jwks);
  try {
    const token = await key.sign({ iss: `${srv.base}/auth/v1` });
    assert.deepEqual(await verdictOf(token, OWN_TRUST, { ownUrl: srv.base }), { sub: USER, email: 'ann@shop.example', trust: 'own' });
    assert.equal(srv.hits(), 1);
  } finally {
    await srv.close();
  }
});

Deno.test("another trusted project: verified with its published JWKS only; its issuer is the JWKS URL's stem", async () => {
  const key = await signingKey('other-1');
  const srv = jwksServer(key.jwks);
  try {
    const trust: Trust = { jwks_url: srv.url, refused_networks: [] };
    const { verify } = verifier(trust);
    const good = await key.sign({ iss: `${srv.base}/auth/v1` });
    const wrongIss = await key.sign({ iss: `${OWN}/auth/v1` });
    // Its keys only: a token of this project's shared secret is not accepted for it.
    const ownToken = await hs256();
    const out = await verify(batchOf(identify(1, good), identify(2, wrongIss), identify(3, ownToken)));
    assert.deepEqual(out!.auth[id(1)], { sub: USER, email: 'ann@shop.example', trust: srv.url });
    assert.match((out!.auth[id(2)] as { error: string }).error, /^foreign: issued by another/);
    assert.match((out!.auth[id(3)] as { error: string }).error, /^foreign: signed with HS256/);
    // jose keeps the fetched keys: one request for the batch.
    assert.equal(srv.hits(), 1);
  } finally {
    await srv.close();
  }
});

Deno.test('a JWKS URL that resolves into a refused network is never fetched', async () => {
  const key = await signingKey('private');
  const srv = jwksServer(key.jwks);
  try {
    const trust: Trust = { jwks_url: srv.url, refused_networks: ['127.0.0.0/8'] };
    const v = await verdictOf(await key.sign({ iss: `${srv.base}/auth/v1` }), trust);
    assert.match((v as { error: string }).error, /could not be fetched: 127\.0\.0\.1 resolves to a private address$/);
    assert.equal(srv.hits(), 0);
    // A name is resolved first: one that points at a private address is caught too.
    const named = { jwks_url: srv.url.replace('127.0.0.1', 'jwks.example'), refused_networks: ['127.0.0.0/8'] };
    const v2 = await verdictOf(await key.sign({ iss: `${srv.base.replace('127.0.0.1', 'jwks.example')}/auth/v1` }), named, {
      resolve: () => Promise.resolve(['127.0.0.1']),
    });
    assert.match((v2 as { error: string }).error, /jwks\.example resolves to a private address$/);
    assert.equal(srv.hits(), 0);
  } finally {
    await srv.close();
  }
});

Deno.test('for an unknown project key the tokens are taken out and nothing is verified (SQL refuses the batch)', async () => {
  const { verify, asked } = verifier(null);
  const out = await verify(batchOf(identify(1, await hs256())));
  assert.deepEqual(out!.auth, {});
  assert.ok(!JSON.stringify(out!.batch).includes('"token"'));
  assert.deepEqual(asked, [KEY]);
});

Deno.test('a batch without a token is not touched and the trust is not looked up', async () => {
  const { verify, asked } = verifier(OWN_TRUST);
  assert.equal(await verify(batchOf({ id: id(1), ts: 1, type: 'identify', email: 'a@b.example' })), null);
  assert.equal(await verify({ nonsense: true }), null);
  assert.equal(await verify(null), null);
  // A "token" in another type of event is not an identify token: left for SQL to judge.
  assert.equal(await verify(batchOf({ id: id(1), ts: 1, type: 'event', name: 'x', token: 'abc' })), null);
  assert.deepEqual(asked, []);
});
