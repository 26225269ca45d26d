import { afterEach, expect, it, vi } from 'vitest';
import { type Page, type PageOptions, STUB, openPage } from './page';

// The ingest function's own schema (Deno code: imported by a computed path so that tsc,
// which checks the browser code only, does not follow it). It imports valibot by an npm:
// specifier; here that is the same package from node_modules.
vi.mock('npm:valibot@1.5.0', () => import('valibot'));
const schema = '../../supabase/functions/ingest/schema.ts';
const { checkEnvelope, checkEvent } = (await import(/* @vite-ignore */ schema)) as {
  checkEnvelope(raw: unknown): { envelope: unknown } | { message: string };
  checkEvent(raw: unknown, index: number): { event: unknown } | { rejection: unknown };
};

let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

it.each<PageOptions['attrs']>([{}, { mode: 'cookieless' }, { hash: '' }])('every batch the tracker sends passes the ingest schema (%o)', async (attrs) => {
  page = await openPage({
    attrs,
    url: 'https://shop.example/x?utm_source=a&utm_term=b#h',
    referrer: 'https://g.example/',
    before: `${STUB}; vibeIdentify({email: 'a@b.c', name: 'A', external_id: 'u1', segment: 'trial', metadata: {k: 1}, signature: 'abcdef'})`,
  });
  page.run(`vibeTrack('e', {x: [1]}); vibeTrack('n'); history.pushState({}, '', '/y')`);
  await page.clock.tick(31_000);
  page.win.dispatchEvent(new page.win.Event('pagehide'));
  const batches = [...page.requests.map((r) => r.batch), ...page.beacons];
  expect(new Set(batches.flatMap((b) => b.events.map((e) => e.type)))).toEqual(
    new Set(['pageview', 'identify', 'event', 'heartbeat', 'leave']),
  );
  for (const b of batches) {
    expect(checkEnvelope(b)).toHaveProperty('envelope');
    b.events.forEach((e, i) => expect(checkEvent(e, i)).toHaveProperty('event'));
  }
});
