import { afterEach, describe, expect, it } from 'vitest';
import { Clock, type Page, leave, openPage } from './page';

const pages: Page[] = [];
const open = async (...a: Parameters<typeof openPage>) => {
  const p = await openPage(...a);
  pages.push(p);
  return p;
};
afterEach(async () => {
  for (const p of pages.splice(0)) await p.close();
});

describe('visitor and session ids', () => {
  it('keeps the session across pages of one tab and the visitor across tabs', async () => {
    const clock = new Clock();
    const one = await open({ clock, referrer: 'https://news.example/' });
    await clock.tick(5000);
    await leave(one);
    const two = await open({ clock, url: 'https://shop.example/cart', referrer: 'https://shop.example/', local: one.local(), session: one.session() });
    await clock.tick(0);
    const [a, b] = [one.requests[0]!.batch, two.requests[0]!.batch];
    expect(b.visitor_id).toBe(a.visitor_id);
    expect(b.session_id).toBe(a.session_id);
    expect(a.events[0]!.referrer).toBe('https://news.example/');
    expect(b.events.find((e) => e.type === 'pageview')).not.toHaveProperty('referrer');

    const tab = await open({ clock, local: two.local() }); // a new tab: sessionStorage starts empty
    await clock.tick(0);
    const c = tab.requests[0]!.batch;
    expect(c.visitor_id).toBe(a.visitor_id);
    expect(c.session_id).not.toBe(a.session_id);
  });

  it('starts a new session after 30 minutes without events, not while heartbeats flow', async () => {
    const page = await open();
    await page.clock.tick(0);
    const first = page.requests[0]!.batch.session_id;
    await page.clock.tick(45 * 60_000); // visible: a heartbeat every 30 s keeps the session
    page.run(`vibeTrack('still-here')`);
    await page.clock.tick(1000);
    expect(page.requests.at(-1)!.batch.session_id).toBe(first);

    page.setVisible(false);
    await page.clock.tick(30 * 60_000 + 1000);
    page.run(`vibeTrack('back')`);
    await page.clock.tick(1000);
    const last = page.requests.at(-1)!.batch;
    expect(last.events.map((e) => e.name)).toEqual(['back']);
    expect(last.session_id).not.toBe(first);
    expect(last.visitor_id).toBe(page.requests[0]!.batch.visitor_id);
  });

  it('a session renewed later in the page does not reuse the page load referrer', async () => {
    const page = await open({ referrer: 'https://news.example/' });
    await page.clock.tick(0);
    page.setVisible(false);
    await page.clock.tick(31 * 60_000);
    page.setVisible(true);
    page.run(`history.pushState({}, '', '/later')`);
    await page.clock.tick(1300);
    const [a, b] = page.requests.map((r) => r.batch);
    expect(a!.events[0]!.referrer).toBe('https://news.example/');
    expect(b!.session_id).not.toBe(a!.session_id);
    expect(b!.events).toHaveLength(1);
    expect(b!.events[0]).toMatchObject({ type: 'pageview', path: '/later' });
    expect(b!.events[0]).not.toHaveProperty('referrer');
  });

  it('vibeReset gives a new anonymous id and a new session', async () => {
    const page = await open();
    await page.clock.tick(0);
    page.run(`vibeReset(); vibeTrack('after-logout')`);
    await page.clock.tick(1000);
    const [a, b] = page.requests.map((r) => r.batch);
    expect(b!.events.map((e) => e.name)).toEqual(['after-logout']);
    expect(b!.visitor_id).not.toBe(a!.visitor_id);
    expect(b!.session_id).not.toBe(a!.session_id);
  });
});

describe('heartbeat and leave', () => {
  it('sends a heartbeat every 30 s only while the page is visible', async () => {
    const page = await open();
    await page.clock.tick(0);
    const beats = () => page.sent().filter((e) => e.type === 'heartbeat').length;
    await page.clock.tick(30_000);
    expect(beats()).toBe(0); // queued, flushed within the second
    await page.clock.tick(1000);
    expect(beats()).toBe(1);
    await page.clock.tick(60_000);
    expect(beats()).toBe(3);
    page.setVisible(false);
    await page.clock.tick(5 * 60_000);
    expect(beats()).toBe(3);
    page.setVisible(true);
    await page.clock.tick(31_000);
    expect(beats()).toBe(4);
    expect(page.sent().find((e) => e.type === 'heartbeat')).toEqual({
      type: 'heartbeat',
      id: expect.any(String),
      ts: expect.any(Number),
      path: '/',
    });
  });

  it('sends leave with what is still pending by sendBeacon on pagehide', async () => {
    const page = await open();
    await page.clock.tick(0);
    page.run(`vibeTrack('clicked')`);
    page.win.dispatchEvent(new page.win.Event('pagehide'));
    expect(page.beacons).toHaveLength(1);
    expect(page.beacons[0]!.events.map((e) => e.type)).toEqual(['event', 'leave']);
    expect(page.beacons[0]!.session_id).toBe(page.requests[0]!.batch.session_id);
  });
});
