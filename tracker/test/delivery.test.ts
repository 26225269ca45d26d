import { afterEach, describe, expect, it } from 'vitest';
import { Clock, type Page, PROJECT, leave, openPage } from './page';

const pages: Page[] = [];
const open = async (...a: Parameters<typeof openPage>) => {
  const p = await openPage(...a);
  pages.push(p);
  return p;
};
afterEach(async () => {
  for (const p of pages.splice(0)) await p.close();
});
const QUEUE = 'vibe_q' + PROJECT;
const queued = (p: Page) => JSON.parse(p.local()[QUEUE] ?? '[]') as unknown[];
const ids = (p: Page, n: number) => p.requests[n]!.batch.events.map((e) => e.id);

describe('retries', () => {
  it('keeps events through network errors and re-sends them with the same ids, backing off', async () => {
    const page = await open({ answer: (_, n) => (n < 3 ? 'offline' : 202) });
    await page.clock.tick(20_000);
    expect(page.requests).toHaveLength(4);
    // Waits of 1–2 s, 2–4 s, 4–8 s (doubling, with jitter so that tabs do not retry in step).
    const at = page.requests.map((r) => r.batch.sent_at);
    [1000, 2000, 4000].forEach((min, i) => {
      expect(at[i + 1]! - at[i]!).toBeGreaterThanOrEqual(min);
      expect(at[i + 1]! - at[i]!).toBeLessThanOrEqual(2 * min);
    });
    expect(ids(page, 3)).toEqual(ids(page, 0));
    expect(page.requests[3]!.batch.sent_at).toBeGreaterThan(page.requests[0]!.batch.sent_at);
    expect(queued(page)).toEqual([]);
    await page.clock.tick(60_000); // heartbeats only: nothing is sent twice once acknowledged
    const all = page.requests.slice(3).flatMap((r) => r.batch.events.map((e) => e.id));
    expect(new Set(all).size).toBe(all.length);
  });

  it.each([429, 500, 503])('retries on %i', async (status) => {
    const page = await open({ answer: (_, n) => (n === 0 ? status : 202) });
    await page.clock.tick(3000);
    expect(page.requests.map((r) => r.status)).toEqual([status, 202]);
    expect(ids(page, 1)).toEqual(ids(page, 0));
  });

  it.each([429, 503])('waits at least the Retry-After of a %i before retrying', async (status) => {
    const page = await open({ answer: (_, n) => (n === 0 ? { status, retryAfter: 30 } : 202) });
    await page.clock.tick(29_000);
    expect(page.requests.map((r) => r.status)).toEqual([status]);
    await page.clock.tick(31_000);
    expect(page.requests.map((r) => r.status)).toEqual([status, 202]);
    expect(ids(page, 1)).toEqual(ids(page, 0));
  });

  it.each([400, 403, 413])('drops the batch on %i', async (status) => {
    const page = await open({ answer: () => status });
    await page.clock.tick(0);
    expect(queued(page)).toEqual([]);
    await page.clock.tick(20_000);
    expect(page.requests).toHaveLength(1);
  });

  it('survives a reload while the server is down', async () => {
    const clock = new Clock();
    const one = await open({ clock, answer: () => 503 });
    one.run(`vibeTrack('signup', {plan: 'pro'})`);
    await clock.tick(5000);
    await leave(one);
    const two = await open({ clock, url: 'https://shop.example/next', local: one.local(), session: one.session() });
    await clock.tick(0);
    const before = one.sent().map((e) => e.id);
    const after = two.requests[0]!.batch.events.map((e) => e.id);
    expect(after.slice(0, 3)).toEqual([...new Set(before)]); // pageview, event, leave, with their ids
    expect(two.requests[0]!.batch.events.map((e) => e.type)).toEqual(['pageview', 'event', 'leave', 'pageview']);
    expect(queued(two)).toEqual([]);
  });
});

describe('beacons', () => {
  it('re-sends beaconed events from the next page until a request is acknowledged', async () => {
    const clock = new Clock();
    const one = await open({ clock });
    await clock.tick(0);
    one.run(`vibeTrack('bought')`);
    await leave(one);
    const beaconed = one.beacons[0]!.events.map((e) => e.id);
    expect(one.beacons[0]!.events.map((e) => e.type)).toEqual(['event', 'leave']);
    expect(queued(one)).toHaveLength(2); // no answer to a beacon: still queued

    const two = await open({ clock, local: one.local(), session: one.session() });
    await clock.tick(0);
    expect(ids(two, 0).slice(0, 2)).toEqual(beaconed);
    await leave(two);
    expect(two.beacons[0]!.events.map((e) => e.type)).toEqual(['leave']);

    // Another tab later: only the unacknowledged leave of page two goes again.
    const three = await open({ clock, local: two.local() });
    await clock.tick(0);
    expect(ids(three, 0)[0]).toBe(two.beacons[0]!.events[0]!.id);
    expect(three.requests[0]!.batch.session_id).toBe(two.beacons[0]!.session_id);
    expect(three.requests[1]!.batch.session_id).not.toBe(two.beacons[0]!.session_id);
  });
});

describe('the offline queue', () => {
  it('holds at most 500 events (the newest) and sends them in batches of at most 100', async () => {
    let online = false;
    const page = await open({ answer: () => (online ? 202 : 'offline') });
    page.run(`for (let i = 0; i < 600; i++) vibeTrack('e' + i)`);
    await page.clock.tick(60_000);
    const q = queued(page) as { e: { name: string } }[];
    expect(q).toHaveLength(500);
    expect(q[0]!.e.name).toBe('e100');
    expect(q.at(-1)!.e.name).toBe('e599');
    online = true;
    const start = page.requests.length;
    await page.clock.tick(5 * 60_000 + 1000); // ends a second after a heartbeat, so that one is sent too
    const delivered = page.requests.slice(start).filter((r) => r.status === 202);
    expect(delivered.every((r) => r.batch.events.length <= 100)).toBe(true);
    const names = delivered.flatMap((r) => r.batch.events).filter((e) => e.type === 'event').map((e) => e.name);
    expect(names).toEqual(Array.from({ length: 500 }, (_, i) => 'e' + (i + 100)));
    expect(queued(page)).toEqual([]);
  });

  it('keeps requests small however big the events (keepalive and beacons share 64 KB in flight)', async () => {
    const page = await open();
    page.run(`for (let i = 0; i < 30; i++) vibeTrack('big', {blob: 'x'.repeat(3000)})`);
    await page.clock.tick(5000);
    // ≤ 8,000 characters of events: 24 KB even if every character took 3 bytes.
    for (const r of page.requests) expect(JSON.stringify(r.batch).length).toBeLessThan(8_500);
    expect(page.sent().filter((e) => e.name === 'big')).toHaveLength(30);
  });
});

describe('cookieless mode', () => {
  it('omits ids, stores nothing and still retries from memory', async () => {
    const page = await open({ attrs: { mode: 'cookieless' }, referrer: 'https://news.example/', answer: (_, n) => (n === 0 ? 'offline' : 202) });
    page.run(`vibeTrack('x')`);
    await page.clock.tick(5000);
    const [a, b] = page.requests.map((r) => r.batch);
    expect(Object.keys(a!).sort()).toEqual(['events', 'project', 'sent_at']);
    expect(b!.events.map((e) => e.id)).toEqual(a!.events.map((e) => e.id));
    expect(a!.events[0]!.referrer).toBe('https://news.example/');
    page.run(`vibeReset()`);
    page.win.dispatchEvent(new page.win.Event('pagehide'));
    expect(Object.keys(page.beacons[0]!)).not.toContain('visitor_id');
    expect(page.local()).toEqual({});
    expect(page.session()).toEqual({});
  });
});
