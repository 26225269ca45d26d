import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Page, type PageOptions, STUB, openPage } from './page';

// Every batch the tracker sends must pass the event rules, which live in SQL only: each
// is handed to crm.ingest (in a transaction that is rolled back) and must come back whole.
let sql: postgres.Sql;
beforeAll(() => {
  if (!process.env.DB_URL) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
  sql = postgres(process.env.DB_URL, { max: 1, onnotice: () => {} });
});
afterAll(() => sql.end());

let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

async function answers(batches: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await sql.begin(async (tx) => {
    const [p] = await tx`insert into crm.projects (name) values ('tracker contract') returning public_key`;
    for (const b of batches) {
      const [row] = await tx`select crm.ingest(${JSON.stringify({ ...b, project: p!.public_key })}::text::json, '{"ip_hash": "t"}') as r`;
      out.push(row!.r);
    }
    throw new Error('rollback');
  }).catch((e: Error) => {
    if (e.message !== 'rollback') throw e;
  });
  return out;
}

it.each<PageOptions['attrs']>([{}, { mode: 'cookieless' }, { hash: '' }])('every batch the tracker sends passes crm.ingest whole (%o)', async (attrs) => {
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
  // The page's clock is not the server's: sent_at lets the server correct the skew.
  for (const r of await answers(batches as unknown as Record<string, unknown>[])) {
    // The signature is the page's, not the test project's: that one rejection is expected.
    expect(r).toMatchObject({ status: 202 });
    expect((r.rejected as { reason: string }[]).filter((x) => x.reason !== 'bad_signature')).toEqual([]);
  }
});
