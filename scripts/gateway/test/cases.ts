// Gateway conformance, driven by the unmodified @supabase/supabase-js. The same cases
// run under Deno (conformance_test.ts) and Node 24 (conformance.node-test.ts).
import assert from 'node:assert/strict';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { type Fixtures, superuser, type TestEnv } from './fixtures.ts';
import { client, dispose, Inbox, join, mintToken, signedIn, sleep } from './helpers.ts';

export interface Ctx {
  env: TestEnv;
  fx: Fixtures;
}

export interface Case {
  name: string;
  fn: (ctx: Ctx) => Promise<void>;
}

async function sqlSend(
  env: TestEnv,
  topic: string,
  event: string,
  payload: Record<string, unknown>,
  isPrivate = true,
) {
  const sql = superuser(env);
  try {
    await sql`select realtime.send(${
      sql.json(payload as never)
    }::jsonb, ${event}, ${topic}, ${isPrivate})`;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

async function health(env: TestEnv): Promise<{ realtime: { subscriptions: number } }> {
  return await (await fetch(`${env.apiUrl}/health`)).json();
}

export const cases: Case[] = [
  {
    name: 'sign in with password, then rpc runs as the user with the JWT claims set',
    fn: async ({ env, fx }) => {
      const c = await signedIn(env, fx.member);
      const { data: { session } } = await c.auth.getSession();
      assert.equal(session?.user.email, fx.member.email.toLowerCase());
      const { data, error, status } = await c.rpc('gwtest_whoami');
      assert.equal(error, null);
      assert.equal(status, 200);
      assert.deepEqual(data, {
        role: 'authenticated',
        sub: fx.member.id,
        claims_role: 'authenticated',
        method: 'POST',
        has_apikey_header: true,
        read_only: 'off',
      });
      const anon = await client(env).rpc('gwtest_whoami', undefined, { get: true });
      assert.equal(anon.data.role, 'anon');
      assert.equal(anon.data.read_only, 'on', 'GET runs in a read-only transaction');
      await dispose(c);
    },
  },
  {
    name: 'wrong password → invalid_credentials (AuthApiError, 400)',
    fn: async ({ env, fx }) => {
      const { data, error } = await client(env).auth.signInWithPassword({
        email: fx.member.email,
        password: 'wrong-password',
      });
      assert.equal(data.session, null);
      assert.equal(error?.status, 400);
      assert.equal(error?.code, 'invalid_credentials');
      assert.equal(error?.message, 'Invalid login credentials');
      // U+0000 (which Postgres cannot hold) in the email or password is a 400, not a 500.
      for (const login of [{ email: `${fx.member.email}\u0000`, password: 'x' }, { email: fx.member.email, password: 'p\u0000w' }]) {
        const nul = await client(env).auth.signInWithPassword(login);
        assert.equal(nul.error?.status, 400);
        assert.equal(nul.error?.code, 'validation_failed');
      }
    },
  },
  {
    name:
      'rpc result shapes: scalar with default, named args, GET, set, composite, array arg, json body, void',
    fn: async ({ env }) => {
      const c = client(env);
      assert.equal((await c.rpc('gwtest_add', { a: 1 })).data, 11);
      assert.equal((await c.rpc('gwtest_add', { a: 1, b: 2 })).data, 3);
      assert.equal((await c.rpc('gwtest_add', { a: 5, b: 5 }, { get: true })).data, 10);
      assert.deepEqual((await c.rpc('gwtest_series', { n: 2 })).data, [{ i: 1, label: 'item 1' }, {
        i: 2,
        label: 'item 2',
      }]);
      assert.deepEqual((await c.rpc('gwtest_series', { n: 0 })).data, []);
      assert.deepEqual((await c.rpc('gwtest_point')).data, { x: 1, y: 2 });
      assert.equal((await c.rpc('gwtest_tags', { tags: ['a', 'b "q"', 'c,d'] })).data, 3);
      assert.deepEqual((await c.rpc('gwtest_echo_json', { any: ['shape', 1, null] })).data, {
        any: ['shape', 1, null],
      });
      const tricky = `it's $$ $v0a$ \\ "q"; drop table gwtest.log; -- é 🎉`;
      assert.equal((await c.rpc('gwtest_echo_text', { t: tricky })).data, tricky);
      assert.equal((await c.rpc('gwtest_echo_text', { t: tricky }, { get: true })).data, tricky);
      const nul = await c.rpc('gwtest_echo_text', { t: 'a\u0000b' });
      assert.equal(nul.status, 400);
      assert.equal(nul.error?.code, '22P05');
      const v = await c.rpc('gwtest_nothing');
      assert.equal(v.status, 204);
      assert.equal(v.data, null);
      assert.equal(v.error, null);
    },
  },
  {
    name: 'a function replaced, re-signed or dropped in SQL is seen by the very next rpc',
    fn: async ({ env }) => {
      const c = client(env);
      const sql = superuser(env);
      try {
        assert.equal((await c.rpc('gwtest_add', { a: 1 })).data, 11);
        await sql.unsafe(
          `create or replace function public.gwtest_add(a int, b int default 10) returns int
          language sql immutable as 'select a + b + 100'`,
        );
        assert.equal((await c.rpc('gwtest_add', { a: 1 })).data, 111, 'new body');
        await sql.unsafe(`drop function public.gwtest_add(int, int);
          create function public.gwtest_add(a int, b int, c int default 0) returns int
            language sql immutable as 'select a + b + c';
          revoke execute on function public.gwtest_add(int, int, int) from public;
          grant execute on function public.gwtest_add(int, int, int) to anon`);
        assert.equal((await c.rpc('gwtest_add', { a: 1, b: 2, c: 3 })).data, 6, 'new signature');
        assert.equal(
          (await c.rpc('gwtest_add', { a: 1 })).error?.code,
          'PGRST202',
          'b is required now',
        );
        await sql.unsafe('drop function public.gwtest_add(int, int, int)');
        assert.equal(
          (await c.rpc('gwtest_add', { a: 1, b: 2 })).error?.code,
          'PGRST202',
          'dropped',
        );
      } finally {
        await sql.unsafe(`drop function if exists public.gwtest_add(int, int, int);
          create or replace function public.gwtest_add(a int, b int default 10) returns int
            language sql immutable as 'select a + b';
          revoke execute on function public.gwtest_add(int, int) from public;
          grant execute on function public.gwtest_add(int, int) to anon, authenticated, service_role`);
        await sql.end({ timeout: 2 });
      }
    },
  },
  {
    name:
      'count=exact gives Content-Range; head: true returns only the count; single() and maybeSingle()',
    fn: async ({ env }) => {
      const c = client(env);
      const r = await c.rpc('gwtest_series', { n: 3 }, { count: 'exact' });
      assert.equal(r.count, 3);
      assert.equal(r.data?.length, 3);
      const one = await c.rpc('gwtest_series', { n: 1 }).single();
      assert.deepEqual(one.data, { i: 1, label: 'item 1' });
      const many = await c.rpc('gwtest_series', { n: 2 }).single();
      assert.equal(many.status, 406);
      assert.equal(many.error?.code, 'PGRST116');
      assert.equal((await c.rpc('gwtest_series', { n: 0 }).maybeSingle()).data, null);
      const h = await c.rpc('gwtest_series', { n: 4 }, { head: true, count: 'exact' });
      assert.equal(h.error, null);
      assert.equal(h.count, 4);
      assert.equal(h.data, null);
    },
  },
  {
    name: 'errors surface as PostgrestError with PostgREST code and HTTP status',
    fn: async ({ env, fx }) => {
      const anon = client(env);
      const missing = await anon.rpc('gwtest_no_such_function', { x: 1 });
      assert.equal(missing.status, 404);
      assert.equal(missing.error?.code, 'PGRST202');
      const wrongArgs = await anon.rpc('gwtest_add', { nope: 1 });
      assert.equal(wrongArgs.error?.code, 'PGRST202');
      const raised = await anon.rpc('gwtest_fail', { state: 'P0001' });
      assert.equal(raised.status, 400);
      assert.equal(raised.error?.code, 'P0001');
      assert.equal(raised.error?.message, 'gwtest failure P0001');
      assert.equal(raised.error?.hint, 'gwtest hint');
      assert.equal((await anon.rpc('gwtest_fail', { state: 'PT418' })).status, 418);
      assert.equal((await anon.rpc('gwtest_fail', { state: 'P0002' })).status, 500);
      const dupe = await anon.rpc('gwtest_dupe');
      assert.equal(dupe.status, 409);
      assert.equal(dupe.error?.code, '23505');
      const denied = await anon.rpc('gwtest_members_only');
      assert.equal(denied.status, 401, 'permission denied for anon is 401');
      assert.equal(denied.error?.code, '42501');
      const member = await signedIn(env, fx.outsider);
      const forbidden = await member.rpc('gwtest_members_only');
      assert.equal(forbidden.status, 200, 'granted to authenticated');
      const readOnly = await anon.rpc('gwtest_write', {}, { get: true });
      assert.equal(readOnly.status, 405);
      assert.equal(readOnly.error?.code, '25006');
      await dispose(member);
    },
  },
  {
    name: 'an expired token gets PGRST303, a forged one PGRST301 (401)',
    fn: async ({ env, fx }) => {
      const expired = await mintToken(env, { sub: fx.member.id, role: 'authenticated' }, -30);
      const r = await client(env, { accessToken: expired }).rpc('gwtest_whoami');
      assert.equal(r.status, 401);
      assert.equal(r.error?.code, 'PGRST303');
      assert.equal(r.error?.message, 'JWT expired');
      const forged = await mintToken({ ...env, jwtSecret: 'not-the-secret-at-all-0123456789' }, {
        role: 'service_role',
      }, 60);
      const f = await client(env, { accessToken: forged }).rpc('gwtest_whoami');
      assert.equal(f.status, 401);
      assert.equal(f.error?.code, 'PGRST301');
    },
  },
  {
    name: 'private channel: a member subscribes and a realtime.send from SQL arrives',
    fn: async ({ env, fx }) => {
      const c = await signedIn(env, fx.member);
      const j = await join(c, fx.room, { private: true });
      assert.equal(j.first, 'SUBSCRIBED');
      const anonClient = client(env);
      const pub = await join(anonClient, fx.room, { private: false });
      assert.equal(pub.first, 'SUBSCRIBED');
      await sqlSend(env, fx.room, 'visit', { page: '/pricing' });
      const m = await j.messages.next((m) => m.event === 'visit', 5000, 'the SQL broadcast');
      assert.equal(m.payload.page, '/pricing');
      assert.equal(typeof m.payload.id, 'string', 'realtime.send adds an id');
      assert.equal(typeof m.meta?.id, 'string');
      await sqlSend(env, fx.room, 'public-only', { n: 1 }, false);
      await pub.messages.next((m) => m.event === 'public-only', 5000, 'the public broadcast');
      assert.equal(
        pub.messages.items.some((m) => m.event === 'visit'),
        false,
        'a private message never reaches a public channel',
      );
      assert.equal(
        j.messages.items.some((m) => m.event === 'public-only'),
        false,
        'a public message never reaches a private channel',
      );
      await dispose(c, anonClient);
    },
  },
  {
    name: 'revocation: a member removed from a private topic stops receiving within 5 s',
    fn: async ({ env, fx }) => {
      const topic = `gwtest:revoke-${crypto.randomUUID()}`;
      const sql = superuser(env);
      try {
        await sql`insert into gwtest.members (topic, user_id) values (${topic}, ${fx.member.id})`;
        const c = await signedIn(env, fx.member);
        const j = await join(c, topic, { private: true });
        assert.equal(j.first, 'SUBSCRIBED');
        await sqlSend(env, topic, 'before', { n: 1 });
        await j.messages.next((m) => m.event === 'before', 5000, 'a broadcast while a member');
        const removed = Date.now();
        await sql`delete from gwtest.members where topic = ${topic}`;
        const closed = await j.status.next((st) => st.status !== 'SUBSCRIBED', 5000, 'the channel to close');
        assert.ok(['CLOSED', 'CHANNEL_ERROR'].includes(closed.status), closed.status);
        assert.ok(Date.now() - removed <= 5000);
        await sqlSend(env, topic, 'after', { n: 2 });
        await sleep(500);
        assert.equal(j.messages.items.some((m) => m.event === 'after'), false, 'nothing after the removal');
        await dispose(c);
      } finally {
        await sql`delete from gwtest.members where topic = ${topic}`;
        await sql.end({ timeout: 2 });
      }
    },
  },
  {
    name: "a non-member's subscribe reports CHANNEL_ERROR with the server's reason",
    fn: async ({ env, fx }) => {
      const c = await signedIn(env, fx.outsider);
      const j = await join(c, fx.room, { private: true });
      assert.equal(j.first, 'CHANNEL_ERROR');
      assert.match(
        String(j.status.items[0]?.err?.message),
        /Unauthorized: You do not have permissions to read from this Channel topic/,
      );
      const anonClient = client(env);
      const anon = await join(anonClient, fx.room, { private: true });
      assert.equal(anon.first, 'CHANNEL_ERROR', 'anon has no policy');
      await dispose(c, anonClient);
    },
  },
  {
    name:
      'client broadcasts reach other members, not the sender (self: false), and need the write policy',
    fn: async ({ env, fx }) => {
      const a = await signedIn(env, fx.member);
      const b = await signedIn(env, fx.member);
      const r = await signedIn(env, fx.reader);
      const ja = await join(a, fx.room, { private: true });
      const jb = await join(b, fx.room, { private: true });
      const jr = await join(r, fx.room, { private: true });
      assert.deepEqual([ja.first, jb.first, jr.first], ['SUBSCRIBED', 'SUBSCRIBED', 'SUBSCRIBED']);
      assert.equal(
        await jr.channel.send({ type: 'broadcast', event: 'from-reader', payload: { n: 0 } }),
        'ok',
      );
      assert.equal(
        await ja.channel.send({ type: 'broadcast', event: 'cursor', payload: { x: 1 } }),
        'ok',
      );
      const got = await jb.messages.next((m) => m.event === 'cursor', 5000, "a's broadcast at b");
      assert.deepEqual(got.payload, { x: 1 });
      await jr.messages.next((m) => m.event === 'cursor', 5000, "a's broadcast at the reader");
      await sleep(300);
      assert.equal(
        ja.messages.items.some((m) => m.event === 'cursor'),
        false,
        'self: false never echoes',
      );
      assert.equal(
        jb.messages.items.some((m) => m.event === 'from-reader'),
        false,
        'the write policy refused the reader',
      );
      await dispose(a, b, r);
    },
  },
  {
    name: 'vsn 1.0.0 clients join, receive and broadcast too',
    fn: async ({ env, fx }) => {
      const a = await signedIn(env, fx.member, { vsn: '1.0.0' });
      const b = await signedIn(env, fx.member);
      const ja = await join(a, fx.room, { private: true });
      const jb = await join(b, fx.room, { private: true });
      assert.equal(ja.first, 'SUBSCRIBED');
      await sqlSend(env, fx.room, 'v1', { ok: true });
      await ja.messages.next((m) => m.event === 'v1', 5000, 'the SQL broadcast over vsn 1.0.0');
      assert.equal(
        await ja.channel.send({ type: 'broadcast', event: 'from-v1', payload: { k: 'v' } }),
        'ok',
      );
      await jb.messages.next(
        (m) => m.event === 'from-v1' && m.payload.k === 'v',
        5000,
        'a vsn 1 broadcast at a vsn 2 client',
      );
      await dispose(a, b);
    },
  },
  {
    name: 'send() before joining goes through the HTTP broadcast endpoint',
    fn: async ({ env, fx }) => {
      const listener = await signedIn(env, fx.member);
      const j = await join(listener, fx.room, { private: true });
      const sender = client(env, { key: env.serviceRoleKey });
      const ch = sender.channel(fx.room, { config: { private: true } });
      const warn = console.warn;
      console.warn = () => {}; // supabase-js warns that this REST fallback is deprecated
      try {
        assert.equal(
          await ch.send({ type: 'broadcast', event: 'via-http', payload: { n: 7 } }),
          'ok',
        );
      } finally {
        console.warn = warn;
      }
      const m = await j.messages.next((m) => m.event === 'via-http', 5000, 'the HTTP broadcast');
      assert.deepEqual(m.payload, { n: 7 });
      await ch.httpSend('via-httpsend', { n: 8 });
      await j.messages.next(
        (m) => m.event === 'via-httpsend' && m.payload.n === 8,
        5000,
        'the httpSend broadcast',
      );
      await dispose(listener, sender);
    },
  },
  {
    name: "refresh rotates tokens, the socket's token is updated, a used refresh token is refused",
    fn: async ({ env, fx }) => {
      const c = client(env);
      const signIn = await c.auth.signInWithPassword({
        email: fx.member.email,
        password: fx.member.password,
      });
      const first = signIn.data.session!;
      assert.ok(
        first.expires_in <= 30,
        `the test stack issues short-lived tokens (got ${first.expires_in} s)`,
      );
      // A client whose token is never refreshed: its channel must end when the token expires.
      const staleToken = await mintToken(env, {
        sub: fx.member.id,
        role: 'authenticated',
        aud: 'authenticated',
      }, 3);
      const stale = client(env, { accessToken: staleToken });
      const j = await join(c, fx.room, { private: true });
      const js = await join(stale, fx.room, { private: true });
      assert.equal(j.first, 'SUBSCRIBED');
      assert.equal(js.first, 'SUBSCRIBED');
      await sleep(first.expires_at! * 1000 - Date.now() - 4000);
      const { data, error } = await c.auth.refreshSession();
      assert.equal(error, null);
      assert.notEqual(data.session!.access_token, first.access_token);
      assert.notEqual(data.session!.refresh_token, first.refresh_token);
      const closed = await js.status.next(
        (s) => s.status !== 'SUBSCRIBED',
        10_000,
        'the stale channel to close',
      );
      assert.ok(['CLOSED', 'CHANNEL_ERROR'].includes(closed.status), closed.status);
      // Past the sign-in token's expiry: the channel lives on with the refreshed token.
      await sleep(first.expires_at! * 1000 - Date.now() + 1500);
      await sqlSend(env, fx.room, 'after-expiry', { n: 1 });
      await j.messages.next(
        (m) => m.event === 'after-expiry',
        5000,
        'a broadcast after the first token expired',
      );
      assert.equal(js.messages.items.some((m) => m.event === 'after-expiry'), false);
      const user = await c.auth.getUser();
      assert.equal(user.data.user?.id, fx.member.id);
      const reuse = await fetch(`${env.apiUrl}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { apikey: env.anonKey, 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: first.refresh_token }),
      });
      assert.equal(reuse.status, 400);
      assert.equal((await reuse.json()).code, 'refresh_token_already_used');
      const unknown = await client(env).auth.refreshSession({ refresh_token: 'no-such-token' });
      assert.equal(unknown.error?.code, 'refresh_token_not_found');
      await dispose(c, stale);
    },
  },
  {
    name: 'logout ends the session: its refresh token and getUser stop working',
    fn: async ({ env, fx }) => {
      const c = await signedIn(env, fx.reader);
      const s = (await c.auth.getSession()).data.session!;
      assert.equal(
        (await c.auth.getUser(s.access_token)).data.user?.email,
        fx.reader.email.toLowerCase(),
      );
      assert.equal((await c.auth.signOut()).error, null);
      const after = await client(env).auth.getUser(s.access_token);
      assert.equal(after.data.user, null);
      assert.ok(after.error, 'getUser after logout fails');
      const raw = await fetch(`${env.apiUrl}/auth/v1/user`, {
        headers: { apikey: env.anonKey, authorization: `Bearer ${s.access_token}` },
      });
      assert.equal(raw.status, 403);
      assert.equal((await raw.json()).code, 'session_not_found');
      const r = await client(env).auth.refreshSession({ refresh_token: s.refresh_token });
      assert.equal(r.error?.code, 'refresh_token_not_found');
    },
  },
  {
    name: 'functions.invoke runs supabase/functions-style handlers with the hosted environment',
    fn: async ({ env, fx }) => {
      const c = await signedIn(env, fx.member);
      // Address headers a client sends are replaced by the gateway's own, from the connection.
      const spoofed = { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', 'cf-connecting-ip': '6.6.6.6', 'true-client-ip': '6.6.6.6', forwarded: 'for=6.6.6.6' };
      // A country header is no address: it passes (no geolocation here; the demo traffic sends it).
      const headers = { ...spoofed, 'cf-ipcountry': 'BE' };
      const { data, error } = await c.functions.invoke('gwtest-echo', { body: { hello: 'world' }, headers });
      assert.equal(error, null);
      assert.equal(data.method, 'POST');
      assert.equal(data.path, '/gwtest-echo');
      assert.deepEqual(data.body, { hello: 'world' });
      assert.match(data.authorization, /^Bearer /);
      assert.equal(data.env.SUPABASE_URL, env.apiUrl);
      assert.equal(data.env.SUPABASE_ANON_KEY, env.anonKey);
      assert.equal(data.env.SUPABASE_SERVICE_ROLE_KEY, env.serviceRoleKey);
      assert.equal(data.env.SUPABASE_DB_URL, env.poolerUrl);
      assert.equal(data.env.JWT_SECRET, null, 'only the hosted variables are passed');
      assert.equal(data.forwardedFor, '127.0.0.1');
      assert.deepEqual(data.addresses, { 'cf-connecting-ip': '127.0.0.1', 'x-real-ip': '127.0.0.1', 'true-client-ip': null, forwarded: null });
      assert.equal(data.country, 'BE');
      const failed = await c.functions.invoke('gwtest-echo', { body: { status: 418 } });
      assert.ok(failed.error instanceof FunctionsHttpError);
      assert.equal((failed.error.context as Response).status, 418);
      await dispose(c);
    },
  },
  {
    name: 'functions: verify_jwt from config.toml, CORS preflight, 404 and boot errors',
    fn: async ({ env }) => {
      const url = `${env.apiUrl}/functions/v1`;
      const noAuth = await fetch(`${url}/gwtest-echo`, { method: 'POST' });
      assert.equal(noAuth.status, 401);
      assert.deepEqual(await noAuth.json(), { msg: 'Error: Missing authorization header' });
      const badAuth = await fetch(`${url}/gwtest-echo`, {
        method: 'POST',
        headers: { authorization: 'Bearer a.b.c' },
      });
      assert.equal(badAuth.status, 401);
      assert.deepEqual(await badAuth.json(), { msg: 'Invalid JWT' });
      const open = await fetch(`${url}/gwtest-open`, { method: 'POST' });
      assert.equal(open.status, 200);
      assert.deepEqual(await open.json(), { open: true, method: 'POST' });
      const pre = await fetch(`${url}/gwtest-echo`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://example.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, x-client-info, apikey, content-type',
        },
      });
      // The preflight reaches the function (no JWT asked of it), which answers for its own
      // CORS: the gateway adds nothing, as hosted Supabase does not.
      assert.equal(pre.status, 200);
      assert.equal((await pre.json()).method, 'OPTIONS');
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      const missing = await client(env).functions.invoke('gwtest-nope');
      assert.ok(missing.error instanceof FunctionsHttpError);
      assert.equal((missing.error.context as Response).status, 404);
      const broken = await fetch(`${url}/gwtest-broken`, {
        headers: { authorization: `Bearer ${env.anonKey}` },
      });
      assert.equal(broken.status, 503);
      assert.equal((await broken.json()).code, 'BOOT_ERROR');
    },
  },
  {
    name: 'functions: a function that never answers is cut off with 504 at the wall-clock limit',
    fn: async ({ env }) => {
      // The test stack's limit is 5 s (GATEWAY_FUNCTION_TIMEOUT_MS); hosted Supabase's 400 s.
      const started = Date.now();
      const hung = await fetch(`${env.apiUrl}/functions/v1/gwtest-hang`, { method: 'POST' });
      assert.equal(hung.status, 504);
      assert.equal((await hung.json()).code, 'WORKER_TIMEOUT');
      assert.ok(Date.now() - started >= 4500, 'cut off at the limit, not before');
      const open = await fetch(`${env.apiUrl}/functions/v1/gwtest-open`, { method: 'POST' });
      assert.equal(open.status, 200, 'other functions keep answering');
      await open.body?.cancel();
    },
  },
  {
    name:
      'bad requests get clear errors: malformed JSON, oversize body, missing apikey, CORS headers',
    fn: async ({ env }) => {
      const rpc = `${env.apiUrl}/rest/v1/rpc/gwtest_add`;
      const h = { apikey: env.anonKey, 'content-type': 'application/json' };
      const bad = await fetch(rpc, { method: 'POST', headers: h, body: '{"a": 1,' });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).code, 'PGRST102');
      const big = await fetch(rpc, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }),
      });
      assert.equal(big.status, 413);
      await big.body?.cancel();
      const noKey = await fetch(rpc, { method: 'POST', body: '{"a":1}' });
      assert.equal(noKey.status, 401);
      assert.match((await noKey.json()).message, /No API key/);
      const table = await fetch(`${env.apiUrl}/rest/v1/gwtest_members`, { headers: h });
      assert.equal(table.status, 404);
      assert.equal((await table.json()).code, 'PGRST205');
      const ok = await fetch(rpc, {
        method: 'POST',
        headers: { ...h, prefer: 'count=exact' },
        body: '{"a":1}',
      });
      assert.equal(ok.headers.get('access-control-allow-origin'), '*');
      assert.match(ok.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
      assert.equal(ok.headers.get('content-range'), '0-0/1');
      assert.equal(await ok.text(), '11');
    },
  },
  {
    name: 'garbage websocket frames are ignored and a closed socket frees its subscriptions',
    fn: async ({ env }) => {
      const before = (await health(env)).realtime.subscriptions;
      const ws = new WebSocket(
        `${env.apiUrl.replace('http', 'ws')}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=2.0.0`,
      );
      ws.binaryType = 'arraybuffer';
      const inbox = new Inbox<unknown[]>();
      ws.onmessage = (e) => inbox.push(JSON.parse(String(e.data)));
      await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
      ws.send('not json');
      ws.send('{"an":"object in vsn 2"}');
      ws.send(new Uint8Array([3, 200, 200, 200]));
      ws.send(new Uint8Array([9, 0, 0]));
      ws.send(
        JSON.stringify(['1', '1', 'realtime:gwtest:garbage', 'phx_join', {
          config: { private: false },
        }]),
      );
      const joined = await inbox.next((m) => m[1] === '1', 5000, 'the join reply') as [
        null,
        string,
        string,
        string,
        { status: string },
      ];
      assert.equal(joined[4].status, 'ok');
      ws.send(JSON.stringify([null, '2', 'phoenix', 'heartbeat', {}]));
      const hb = await inbox.next((m) => m[1] === '2', 5000, 'the heartbeat reply') as [
        null,
        string,
        string,
        string,
        { status: string },
      ];
      assert.deepEqual(hb, [null, '2', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      ws.send(
        JSON.stringify(['9', '3', 'realtime:never-joined', 'broadcast', {
          type: 'broadcast',
          event: 'x',
          payload: {},
        }]),
      );
      const unmatched = await inbox.next(
        (m) => m[1] === '3',
        5000,
        'the unmatched-topic reply',
      ) as unknown[];
      assert.deepEqual(unmatched[4], { status: 'error', response: { reason: 'unmatched topic' } });
      assert.equal((await health(env)).realtime.subscriptions, before + 1);
      ws.close();
      for (let i = 0; i < 50 && (await health(env)).realtime.subscriptions !== before; i++) {
        await sleep(100);
      }
      assert.equal(
        (await health(env)).realtime.subscriptions,
        before,
        'closing the socket freed its subscription',
      );
    },
  },
];
