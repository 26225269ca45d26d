import { afterEach, describe, expect, it } from 'vitest';
import { type Ev, type Page, type PageOptions, openPage } from './page';

// data-supabase-auth: the tracker watches the supabase-js session in localStorage and
// identifies (token only) on sign-in and refresh, resets on sign-out.
let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

const KEY = 'sb-abc-auth-token';
/** A supabase-js session as stored; the tail of the token changes with every refresh. */
const session = (token: string) => JSON.stringify({ access_token: token, token_type: 'bearer', refresh_token: 'r', user: { id: 'u1' } });
const jwt = (sig: string) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.${sig}`;

const open = async (o: PageOptions = {}) => (page = await openPage({ ...o, attrs: { 'supabase-auth': '', ...o.attrs } }));
const signIn = (token: string, key = KEY) => page!.win.localStorage.setItem(key, session(token));
const signOut = (key = KEY) => page!.win.localStorage.removeItem(key);
const identifies = () => page!.sent().filter((e) => e.type === 'identify');
/** Every event with the visitor and session of its request. */
const events = (): (Ev & { v?: string; s?: string })[] => page!.requests.flatMap((r) => r.batch.events.map((e) => ({ ...e, v: r.batch.visitor_id, s: r.batch.session_id })));
const tokenOnly = (token: string) => ({ type: 'identify', token, id: expect.any(String), ts: expect.any(Number), path: '/' }) satisfies Partial<Ev>;

describe('data-supabase-auth', () => {
  it('identifies with the token alone on sign-in and refresh, once per token', async () => {
    await open();
    await page!.clock.tick(5000);
    expect(identifies()).toEqual([]);

    signIn(jwt('sig-one-AAAA'));
    await page!.clock.tick(1000); // seen within the second…
    expect(page!.local().vibe_a).toBe(JSON.stringify(jwt('sig-one-AAAA').slice(-9)));
    await page!.clock.tick(1000); // …and sent with the next flush
    expect(identifies()).toEqual([tokenOnly(jwt('sig-one-AAAA'))]);

    await page!.clock.tick(10_000); // the same token: nothing more
    expect(identifies()).toHaveLength(1);

    signIn(jwt('sig-two-BBBB')); // a refresh
    await page!.clock.tick(2000);
    expect(identifies()).toEqual([tokenOnly(jwt('sig-one-AAAA')), tokenOnly(jwt('sig-two-BBBB'))]);
    // The token only goes through the queue: once acknowledged it is gone from storage.
    const { [KEY]: _, ...ours } = page!.local();
    expect(JSON.stringify(ours)).not.toContain('AAAA');
  });

  it('a visitor already signed in: the first page view goes out anonymous, then the identify', async () => {
    await open({ local: { [KEY]: session(jwt('signed-in')) } });
    await page!.clock.tick(0);
    expect(page!.requests[0]!.batch.events.map((e) => e.type)).toEqual(['pageview', 'identify']);
    expect(page!.requests[0]!.batch.events[1]).toEqual(tokenOnly(jwt('signed-in')));

    // The next page of the same visitor: the token is known, so no identify.
    const next = await openPage({ attrs: { 'supabase-auth': '' }, local: page!.local(), session: page!.session(), clock: page!.clock });
    await next.clock.tick(5000);
    expect(next.sent().map((e) => e.type)).toEqual(['pageview']);
    await next.close();
  });

  it('resets on sign-out: a new visitor id and a new session', async () => {
    await open({ local: { [KEY]: session(jwt('signed-in')) } });
    await page!.clock.tick(0);
    signOut();
    await page!.clock.tick(1000);
    expect(page!.local().vibe_a).toBe('null'); // no fingerprint
    page!.run(`vibeTrack('after-sign-out')`);
    await page!.clock.tick(1000);
    const [first, after] = [events()[0]!, events().find((e) => e.name === 'after-sign-out')!];
    expect(after.v).not.toBe(first.v);
    expect(after.s).not.toBe(first.s);
    expect(identifies()).toHaveLength(1);

    await page!.clock.tick(10_000); // signed out stays signed out: no second reset
    page!.run(`vibeTrack('later')`);
    await page!.clock.tick(1000);
    expect(events().find((e) => e.name === 'later')!.v).toBe(after.v);

    signIn(jwt('again')); // signing in again identifies the new visitor
    await page!.clock.tick(2000);
    expect(identifies()).toHaveLength(2);
    expect(events().at(-1)).toMatchObject({ type: 'identify', token: jwt('again'), v: after.v });
  });

  it('a token waiting in the queue (server down) is dropped at sign-out, and by a newer token', async () => {
    await open({ answer: (_b, n) => (n === 0 ? 202 : 503) });
    await page!.clock.tick(1000);
    signIn(jwt('sig-queued-Q1'));
    await page!.clock.tick(3000); // refused with 503: the identify waits in the queue
    const queued = () => Object.entries(page!.local()).filter(([k]) => k.startsWith('vibe_q')).map(([, v]) => v).join();
    expect(queued()).toContain('sig-queued-Q1');
    signIn(jwt('sig-queued-Q2')); // a refresh: only the newer token stays
    await page!.clock.tick(1000);
    expect(queued()).not.toContain('sig-queued-Q1');
    expect(queued()).toContain('sig-queued-Q2');
    signOut();
    await page!.clock.tick(1000);
    expect(queued()).not.toContain('sig-queued');
    expect(JSON.stringify(page!.local())).not.toContain('sig-queued'); // nowhere in storage
  });

  it('a value names the storage key to read', async () => {
    await open({ attrs: { 'supabase-auth': 'my-key' } });
    signIn(jwt('elsewhere-one'), KEY); // the default key is not read then
    await page!.clock.tick(3000);
    expect(identifies()).toEqual([]);
    signIn(jwt('custom-key'), 'my-key');
    await page!.clock.tick(2000);
    expect(identifies()).toEqual([tokenOnly(jwt('custom-key'))]);
  });

  it('ignores the PKCE code verifier and anything that is not a session', async () => {
    await open({ local: { 'sb-abc-auth-token-code-verifier': session(jwt('not-a-session')), 'sb-xyz-auth-token': 'not json' } });
    await page!.clock.tick(5000);
    expect(identifies()).toEqual([]);
    expect(page!.sent().map((e) => e.type)).toEqual(['pageview']);
  });

  it('cookieless: still reads the session, and keeps the fingerprint in memory only', async () => {
    await open({ attrs: { mode: 'cookieless' } });
    await page!.clock.tick(0);
    signIn(jwt('cookieless-sig'));
    await page!.clock.tick(2000);
    await page!.clock.tick(5000);
    expect(identifies()).toEqual([tokenOnly(jwt('cookieless-sig'))]);
    expect(Object.keys(page!.local())).toEqual([KEY]); // the site's own session only
    expect(page!.session()).toEqual({});
  });

  it('without the option nothing is read or sent', async () => {
    page = await openPage({ local: { [KEY]: session(jwt('unused')) } });
    await page.clock.tick(0);
    signIn(jwt('unused-two'));
    signOut();
    await page.clock.tick(5000);
    expect(page.sent().map((e) => e.type)).toEqual(['pageview']);
    expect(page.local()).not.toHaveProperty('vibe_a');
  });

  it('with tracking off (localhost) nothing is read or sent', async () => {
    await open({ url: 'http://localhost:4321/', local: { [KEY]: session(jwt('signed-in')) } });
    await page!.clock.tick(5000);
    expect(page!.sent()).toEqual([]);
    expect(Object.keys(page!.local())).toEqual([KEY]);
  });
});
