import { afterEach, describe, expect, it } from 'vitest';
import { type Page, STUB, openPage } from './page';

let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

describe('vibeTrack, vibeIdentify and the queue stub', () => {
  it('replays calls made before the script loaded, after the first page view and in the same request', async () => {
    page = await openPage({
      before: `${STUB}; vibeIdentify({email: 'ann@example.com'}); vibeTrack('early', {n: 1})`,
    });
    await page.clock.tick(0);
    expect(page.requests).toHaveLength(1);
    expect(page.requests[0]!.batch.events.map((e) => [e.type, e.name ?? e.email])).toEqual([
      ['pageview', undefined],
      ['identify', 'ann@example.com'],
      ['event', 'early'],
    ]);
    page.run(`vibeTrack('later')`); // the stub is replaced: later calls go straight through
    await page.clock.tick(1000);
    expect(page.requests[1]!.batch.events.map((e) => e.name)).toEqual(['later']);
  });

  it('a second copy of the script (tag manager and page) does nothing', async () => {
    page = await openPage({ before: `${STUB}; vibeTrack('early')` });
    await page.addTracker();
    page.run(`vibeTrack('once')`);
    await page.clock.tick(2000);
    expect(page.sent().map((e) => e.name ?? e.type)).toEqual(['pageview', 'early', 'once']);
  });

  it('sends custom events with their props', async () => {
    page = await openPage();
    page.run(`vibeTrack('checkout', {total: 42.5, items: [{sku: 'a'}]}); vibeTrack('plain')`);
    await page.clock.tick(0);
    const evs = page.sent().filter((e) => e.type === 'event');
    expect(evs).toEqual([
      { type: 'event', id: expect.any(String), ts: page.clock.now, path: '/', name: 'checkout', props: { total: 42.5, items: [{ sku: 'a' }] } },
      { type: 'event', id: expect.any(String), ts: page.clock.now, path: '/', name: 'plain' },
    ]);
  });

  it('sends identify with every field, including a signature computed by the backend', async () => {
    page = await openPage({ url: 'https://shop.example/account' });
    await page.clock.tick(0);
    const who = {
      email: 'ann@example.com',
      name: 'Ann',
      external_id: 'u_17',
      segment: 'premium',
      metadata: { plan: 'pro', seats: 3 },
      signature: 'ab'.repeat(32),
    };
    page.run(`vibeIdentify(${JSON.stringify(who)})`);
    await page.clock.tick(1000);
    expect(page.requests[1]!.batch.events).toEqual([
      { ...who, type: 'identify', id: expect.any(String), ts: page.clock.now - 1000, path: '/account' },
    ]);
  });

  it('gives every event its own id, and a caller cannot overwrite id, type or ts', async () => {
    page = await openPage();
    page.run(`vibeIdentify({email: 'a@b.c', id: 'x', type: 'pageview', ts: 1})`);
    await page.clock.tick(0);
    const [pv, id] = page.sent();
    expect(id).toMatchObject({ type: 'identify', ts: page.clock.now });
    expect(id!.id).not.toBe('x');
    expect(id!.id).not.toBe(pv!.id);
  });
});
