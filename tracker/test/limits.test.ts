import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterEach, expect, it } from 'vitest';
import * as limits from '../src/limits';
import { type Page, PROJECT, openPage } from './page';

let page: Page | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

it('the tracker\'s limits are the ones crm.event_limits() defines in SQL', async () => {
  const url = process.env.DB_URL;
  if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select crm.event_limits() as l`;
    const l = row!.l;
    expect({ ...limits }).toEqual({
      PATH: l.path, TITLE: l.title, REFERRER: l.referrer, UTM_VALUE: l.utm_value,
      PROPS_BYTES: l.props_bytes, METADATA_BYTES: l.metadata_bytes,
    });
  } finally {
    await sql.end();
  }
});

it('the segments vibeIdentify accepts (its public type) are crm.segment\'s', async () => {
  const sql = postgres(process.env.DB_URL ?? '', { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select enum_range(null::crm.segment)::text[] as segments`;
    const source = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8');
    const union = /segment\?: ([^;]+);/.exec(source)?.[1] ?? '';
    expect(union.split('|').map((s) => s.trim().replace(/'/g, ''))).toEqual(row!.segments);
  } finally {
    await sql.end();
  }
});

it('PROTOCOL.md states the limits crm.event_limits() defines', async () => {
  const sql = postgres(process.env.DB_URL ?? '', { max: 1, onnotice: () => {} });
  let l: Record<string, number>;
  try {
    const [row] = await sql`select crm.event_limits() as l`;
    l = row!.l;
  } finally {
    await sql.end();
  }
  const doc = readFileSync(new URL('../../supabase/functions/ingest/PROTOCOL.md', import.meta.url), 'utf8');
  const n = (v: number) => v.toLocaleString('en-US');
  for (const phrase of [
    `| \`events\` | array, 1–${l.events_per_batch} |`,
    `| \`path\` | string ≤ ${n(l.path!)} |`,
    `\`title\` (≤ ${n(l.title!)})`,
    `\`referrer\` (≤ ${n(l.referrer!)},`,
    `\`content\`, each ≤ ${n(l.utm_value!)})`,
    `\`name\` (1–${n(l.event_name!)})`,
    `\`props\` (a JSON\n  object, ≤ ${n(l.props_bytes!)} bytes of JSON)`,
    `\`email\` (≤ ${n(l.email!)}, with an \`@\`)`,
    `\`name\`\n  (≤ ${n(l.name!)})`,
    `\`external_id\` (≤ ${n(l.external_id!)})`,
    `\`metadata\` (object, ≤ ${n(l.metadata_bytes!)} bytes of JSON)`,
    `(hex, ≤ ${n(l.signature!)};`,
    `more than ${l.too_old_hours} hours before its receipt`,
    `more than ${l.future_minutes} minutes after it`,
    `more than ${l.events_per_batch} events`,
  ]) expect(doc, phrase).toContain(phrase);
});

/** `{"k":"xxx…"}` of exactly `bytes` bytes of JSON, with a two-byte character in it (bytes, not characters, count). */
const json = (bytes: number) => `{k: 'é' + 'x'.repeat(${bytes - 10})}`;

it('props and identify metadata at the limit are sent; one byte more is refused with a warning and never queued', async () => {
  page = await openPage();
  page.run(`window.warned = []; console.warn = (m) => warned.push(m)`);
  page.run(`vibeTrack('fits', ${json(limits.PROPS_BYTES)}); vibeTrack('too big', ${json(limits.PROPS_BYTES + 1)})`);
  page.run(`vibeIdentify({name: 'Ann', metadata: ${json(limits.METADATA_BYTES)}})`);
  page.run(`vibeIdentify({name: 'Bob', metadata: ${json(limits.METADATA_BYTES + 1)}})`);
  const queued = JSON.parse(page.win.localStorage.getItem('vibe_q' + PROJECT) ?? '[]') as { e: { name?: string } }[];
  expect(queued.map((x) => x.e.name).filter(Boolean)).toEqual(['fits', 'Ann']);
  await page.clock.tick(2000);
  const sent = page.sent();
  const fits = sent.find((e) => e.name === 'fits')!;
  expect(new TextEncoder().encode(JSON.stringify(fits.props)).length).toBe(limits.PROPS_BYTES);
  expect(sent.map((e) => e.name).filter(Boolean)).toEqual(['fits', 'Ann']);
  expect((page.win as unknown as { warned: string[] }).warned).toEqual([
    `vibe: props over ${limits.PROPS_BYTES} B, dropped`,
    `vibe: metadata over ${limits.METADATA_BYTES} B, dropped`,
  ]);
});
