import { afterEach, describe, expect, it } from 'vitest';
import { type Page, type PageOptions, openPage } from './page';

let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

/** Loads the page, makes every kind of call, and returns what was sent and stored. */
async function visit(o: PageOptions) {
  page = await openPage(o);
  page.run(`vibeTrack('x'); vibeIdentify({email: 'a@b.c'}); vibeReset(); history.pushState({}, '', '/next')`);
  await page.clock.tick(65_000);
  page.win.dispatchEvent(new page.win.Event('pagehide'));
  return { sent: page.sent().length, stored: Object.keys(page.local()).length + Object.keys(page.session()).length };
}

describe('when the tracker stays silent', () => {
  it.each<[string, PageOptions]>([
    ['Do Not Track, with data-respect-dnt', { doNotTrack: '1', attrs: { 'respect-dnt': '' } }],
    ['Global Privacy Control, with data-respect-dnt', { gpc: true, attrs: { 'respect-dnt': '' } }],
    ['navigator.webdriver', { webdriver: true }],
    ['localhost', { url: 'http://localhost:4321/' }],
    ['127.0.0.1', { url: 'http://127.0.0.1:8080/' }],
    ['[::1]', { url: 'http://[::1]:8080/' }],
    ['no data-project', { attrs: { project: null } }],
    ['no data-api', { attrs: { api: null } }],
  ])('%s: sends and stores nothing, and the calls still exist', async (_, o) => {
    expect(await visit(o)).toEqual({ sent: 0, stored: 0 });
  });

  it.each<[string, PageOptions]>([
    ['Do Not Track without data-respect-dnt', { doNotTrack: '1' }],
    ['GPC without data-respect-dnt', { gpc: true }],
    ['data-respect-dnt when the browser does not ask', { doNotTrack: '0', attrs: { 'respect-dnt': '' } }],
    ['localhost with data-allow-localhost', { url: 'http://localhost:4321/', attrs: { 'allow-localhost': '' } }],
    ['webdriver with data-allow-localhost', { webdriver: true, attrs: { 'allow-localhost': '' } }],
    ['a host that merely starts with "localhost"', { url: 'https://localhost.shop.example/' }],
  ])('%s: tracks', async (_, o) => {
    const r = await visit(o);
    expect(r.sent).toBeGreaterThan(3);
    expect(r.stored).toBeGreaterThan(0);
  });
});
