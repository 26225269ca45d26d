import { afterEach, describe, expect, it } from 'vitest';
import { type Page, PROJECT, openPage } from './page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

describe('page views', () => {
  it('sends the first page view at once, as a PROTOCOL.md batch over text/plain keepalive fetch', async () => {
    page = await openPage({
      url: 'https://shop.example/pricing?plan=pro&utm_source=news&utm_medium=email&utm_campaign=nov',
      referrer: 'https://www.google.com/',
      title: 'Pricing',
    });
    expect(page.requests).toHaveLength(0); // nothing leaves during the script's own task
    await page.clock.tick(0);
    expect(page.requests).toHaveLength(1);
    const { batch, keepalive, headers } = page.requests[0]!;
    expect(keepalive).toBe(true);
    expect(headers).toBeUndefined(); // a string body is text/plain;charset=UTF-8: no preflight
    expect(batch.project).toBe(PROJECT);
    expect(batch.sent_at).toBe(page.clock.now);
    expect(batch.visitor_id).toMatch(UUID);
    expect(batch.session_id).toMatch(UUID);
    expect(batch.visitor_id).not.toBe(batch.session_id);
    expect(batch.events).toEqual([
      {
        type: 'pageview',
        id: expect.stringMatching(UUID),
        ts: page.clock.now,
        path: '/pricing?plan=pro&utm_source=news&utm_medium=email&utm_campaign=nov',
        title: 'Pricing',
        referrer: 'https://www.google.com/',
        utm: { source: 'news', medium: 'email', campaign: 'nov' },
        screen: '1024x768',
      },
    ]);
    expect(Object.keys(batch).sort()).toEqual(['events', 'project', 'sent_at', 'session_id', 'visitor_id']);
  });

  it('counts SPA navigation (pushState, replaceState, popstate) once per new path, with the title the router sets', async () => {
    page = await openPage({ url: 'https://shop.example/' });
    await page.clock.tick(0);
    page.run(`history.pushState({}, '', '/a'); document.title = 'A'`); // routers set the title after the URL
    await page.clock.tick(300);
    page.run(`history.replaceState({}, '', '/a')`); // same path: no new view
    await page.clock.tick(300);
    page.run(`history.pushState({}, '', '/login'); history.replaceState({}, '', '/account?x=1'); document.title = 'Account'`);
    await page.clock.tick(300); // a redirect: one view, of where it ends
    page.win.happyDOM.setURL('https://shop.example/a');
    page.win.dispatchEvent(new page.win.PopStateEvent('popstate'));
    page.run(`document.title = 'A'`);
    await page.clock.tick(300);
    // Flushed within a second of the first of these views (made at 300 ms).
    await page.clock.tick(99);
    expect(page.requests).toHaveLength(1);
    await page.clock.tick(1);
    expect(page.requests).toHaveLength(2);
    const evs = page.requests[1]!.batch.events;
    expect(evs.map((e) => [e.type, e.path, e.title])).toEqual([
      ['pageview', '/a', 'A'],
      ['pageview', '/account?x=1', 'Account'],
      ['pageview', '/a', 'A'],
    ]);
    expect(evs.map((e) => e.ts - page!.requests[0]!.batch.sent_at)).toEqual([300, 900, 1200]);
    // The referrer belongs to the first page view of a session only.
    expect(evs.every((e) => !('referrer' in e))).toBe(true);
    expect(evs.every((e) => !('utm' in e))).toBe(true); // no utm_ parameters: no utm object
    expect(new Set(page.sent().map((e) => e.id)).size).toBe(4);
  });

  it('ignores hash changes unless data-hash is set', async () => {
    page = await openPage({ url: 'https://shop.example/app' });
    page.win.location.hash = '#/settings';
    page.win.dispatchEvent(new page.win.Event('hashchange'));
    await page.clock.tick(2000);
    expect(page.sent().map((e) => e.path)).toEqual(['/app']);
  });

  it('with data-hash, paths keep the hash and hash changes are page views', async () => {
    page = await openPage({ url: 'https://shop.example/app#/home', attrs: { hash: '' } });
    page.win.location.hash = '#/settings';
    page.win.dispatchEvent(new page.win.Event('hashchange'));
    await page.clock.tick(2000);
    expect(page.sent().map((e) => [e.type, e.path])).toEqual([
      ['pageview', '/app#/home'],
      ['pageview', '/app#/settings'],
    ]);
  });

  it('counts a page restored from the back/forward cache again', async () => {
    page = await openPage();
    const show = (persisted: boolean) => page!.win.dispatchEvent(Object.assign(new page!.win.Event('pageshow'), { persisted }));
    show(false); // the load's own pageshow
    await page.clock.tick(0);
    page.win.dispatchEvent(Object.assign(new page.win.Event('pagehide'), { persisted: true }));
    show(true);
    await page.clock.tick(1000);
    expect(page.beacons.flatMap((b) => b.events.map((e) => e.type))).toEqual(['leave']);
    // The beaconed leave goes again (same id) with the new view.
    expect(page.requests.flatMap((r) => r.batch.events.map((e) => e.type))).toEqual(['pageview', 'leave', 'pageview']);
    expect(new Set(page.sent().map((e) => e.id)).size).toBe(3);
  });

  it('caps long fields at the protocol limits instead of having the event rejected', async () => {
    page = await openPage({
      url: `https://shop.example/${'p'.repeat(3000)}?utm_source=${'s'.repeat(300)}`,
      title: 't'.repeat(600),
      referrer: `https://ref.example/${'r'.repeat(3000)}`,
    });
    await page.clock.tick(0);
    const [e] = page.sent();
    expect((e!.path as string).length).toBe(2048);
    expect((e!.title as string).length).toBe(512);
    expect((e!.referrer as string).length).toBe(2048);
    expect((e!.utm as { source: string }).source.length).toBe(256);
  });
});
