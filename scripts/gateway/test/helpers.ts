// supabase-js helpers for the conformance suites (Node and Deno alike).
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import type { TestEnv, TestUser } from './fixtures.ts';

export interface ClientOptions {
  key?: string;
  vsn?: '1.0.0' | '2.0.0';
  accessToken?: string;
}

/** An unmodified supabase-js client against the test stack; no timers left behind. */
export function client(env: TestEnv, opts: ClientOptions = {}): SupabaseClient {
  return createClient(env.apiUrl, opts.key ?? env.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: opts.vsn ? { vsn: opts.vsn } : {},
    ...(opts.accessToken ? { accessToken: () => Promise.resolve(opts.accessToken!) } : {}),
  });
}

export async function signedIn(
  env: TestEnv,
  user: TestUser,
  opts: ClientOptions = {},
): Promise<SupabaseClient> {
  const c = client(env, opts);
  const { error } = await c.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error) throw new Error(`sign-in of ${user.email} failed: ${error.message}`);
  return c;
}

export async function dispose(...clients: SupabaseClient[]): Promise<void> {
  for (const c of clients) {
    await c.removeAllChannels();
    c.realtime.disconnect();
  }
}

export function mintToken(
  env: TestEnv,
  claims: Record<string, unknown>,
  expiresIn: number,
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(new TextEncoder().encode(env.jwtSecret));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects things as they arrive and waits for the next one matching a predicate. */
export class Inbox<T> {
  items: T[] = [];
  #waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];
  push = (t: T) => {
    this.items.push(t);
    this.#waiters = this.#waiters.filter((w) => (w.pred(t) ? (w.resolve(t), false) : true));
  };
  next(pred: (t: T) => boolean, ms: number, what: string): Promise<T> {
    const seen = this.items.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms,
      );
      this.#waiters.push({ pred, resolve: (t) => (clearTimeout(timer), resolve(t)) });
    });
  }
}

export interface Joined {
  channel: RealtimeChannel;
  status: Inbox<{ status: string; err?: Error }>;
  messages: Inbox<{ event: string; payload: Record<string, unknown>; meta?: { id?: string } }>;
}

/** Creates a channel listening to every broadcast, subscribes, waits for the first verdict. */
export async function join(
  c: SupabaseClient,
  name: string,
  opts: { private?: boolean; self?: boolean } = {},
): Promise<Joined & { first: string }> {
  const channel = c.channel(name, {
    config: { private: opts.private ?? false, broadcast: { self: opts.self ?? false } },
  });
  const joined: Joined = { channel, status: new Inbox(), messages: new Inbox() };
  channel.on('broadcast', { event: '*' }, (m) => joined.messages.push(m as never));
  channel.subscribe((status, err) => joined.status.push({ status, err }));
  const first = await joined.status.next(() => true, 10_000, `a subscribe verdict on ${name}`);
  return { ...joined, first: first.status };
}
