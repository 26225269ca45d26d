import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';
import { makeVisitor } from './visitors.ts';
import { COUNTRIES, SOURCES, utmOf } from './sources.ts';

Deno.test('visitors are deterministic per seed and differ across seeds', () => {
  assert.deepEqual(makeVisitor(7), makeVisitor(7));
  assert.notDeepEqual(makeVisitor(7).visitorId, makeVisitor(8).visitorId);
});

Deno.test('every simulated step is a batch crm.ingest accepts whole (the rules live in SQL)', async () => {
  const url = Deno.env.get('DB_URL');
  if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let types = new Set<string>();
  const problems: string[] = [];
  let stored: { session_id: string; entry_page: string; referrer: string | null; utm: unknown; country: string }[] = [];
  try {
    await sql.begin(async (tx) => {
      const [project] = await tx`insert into crm.projects (name, settings) values ('demo contract', crm.default_project_settings()
        || '{"rate_limit_project_per_minute": 10000000, "rate_limit_ip_per_minute": 10000000}') returning public_key`;
      for (let seed = 1; seed <= 100; seed++) {
        const v = makeVisitor(seed);
        assert.equal(v.steps[0]!.events[0]!.type, 'pageview', 'a visit starts with a page view');
        assert.equal(v.steps.at(-1)!.events[0]!.type, 'leave', 'a visit ends with leave');
        // the visit's own clock (now() stands still in a transaction): steps keep their order
        let clock = Date.now() - 3_600_000;
        for (const step of v.steps) {
          clock += step.wait * 1000;
          const events: Record<string, unknown>[] = step.events.map((e) => ({ ...e, ts: clock }));
          const batch = { project: project!.public_key, sent_at: clock, visitor_id: v.visitorId, session_id: v.sessionId, events };
          // what the function adds: the country from the cf-ipcountry header the demo sends
          const context = { ip_hash: 'demo', country: v.country, received_at: new Date(clock).toISOString() };
          const [{ r }] = await tx`select crm.ingest(${JSON.stringify(batch)}::text::json, ${JSON.stringify(context)}::text::json) as r`;
          if (r.status !== 202 || r.rejected.length) problems.push(JSON.stringify(r));
          types = new Set([...types, ...events.map((e) => String(e.type === 'event' ? e.name : e.type))]);
        }
      }
      stored = await tx`select s.id as session_id, s.entry_page, s.referrer, s.utm, s.country from crm.site_sessions s
                        join crm.projects p on p.id = s.project_id where p.public_key = ${project!.public_key}`;
      throw new Error('rollback');
    }).catch((e) => {
      if (e.message !== 'rollback') throw e;
    });
  } finally {
    await sql.end();
  }
  assert.deepEqual(problems, []);
  for (const t of ['pageview', 'heartbeat', 'identify', 'leave', 'signup', 'activated', 'payment_success']) {
    assert.ok(types.has(t), `100 visitors should include ${t}`);
  }
  // the session keeps what the landing view brought, as the acquisition reports read it
  assert.equal(stored.length, 100);
  for (let seed = 1; seed <= 100; seed++) {
    const v = makeVisitor(seed);
    const s = stored.find((r) => r.session_id === v.sessionId)!;
    assert.deepEqual({ entry: s.entry_page, referrer: s.referrer, utm: s.utm, country: s.country },
      { entry: v.source.path, referrer: v.source.referrer ?? null, utm: v.source.utm ?? null, country: v.country }, `visitor ${seed}`);
  }
});

Deno.test('visitors come from every channel and country of the mix, tagged as the tracker tags them', () => {
  const visitors = Array.from({ length: 2000 }, (_, i) => makeVisitor(i + 1));
  const count = <T>(xs: T[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<T, number>());
  const channels = count(visitors.map((v) => v.source.channel));
  assert.deepEqual([...channels.keys()].sort(), [...new Set(SOURCES.map((s) => s[0]))].sort(), 'every channel');
  const direct = channels.get('direct')! / visitors.length;
  assert.ok(direct > 0.15 && direct < 0.3, `direct ${direct}`);
  const referrers = new Set(visitors.map((v) => v.source.referrer));
  for (const [, referrer] of SOURCES) if (referrer) assert.ok(referrers.has(referrer), `a visit from ${referrer}`);
  const countries = [...count(visitors.map((v) => v.country))].sort((a, b) => b[1] - a[1]);
  assert.equal(countries.length, COUNTRIES.length, 'every country');
  assert.deepEqual(countries.slice(0, 2).map(([c]) => c), ['NL', 'BE'], `weighted like a Dutch SaaS: ${countries}`);
  const campaigns = new Set(visitors.map((v) => v.source.utm?.campaign).filter(Boolean));
  assert.ok(campaigns.size >= 5, `campaigns: ${[...campaigns]}`);
  for (const v of visitors) {
    const views = v.steps.flatMap((s) => s.events).filter((e) => e.type === 'pageview');
    assert.equal(views[0]!.path, v.source.path);
    assert.deepEqual(views[0]!.utm, utmOf(v.source.path), 'utm is what the landing query says');
    assert.equal(views[0]!.referrer, v.source.referrer);
    assert.ok(views.slice(1).every((e) => e.referrer === undefined && e.utm === undefined), 'only the landing view carries them');
  }
});

Deno.test('utmOf reads the utm_* keys of a query, as the tracker does', () => {
  assert.deepEqual(utmOf('/?utm_source=google&utm_medium=cpc&utm_term=realtime+crm&gclid=x'),
    { source: 'google', medium: 'cpc', term: 'realtime crm' });
  assert.equal(utmOf('/pricing?ref=hn'), undefined);
  assert.equal(utmOf('/'), undefined);
});

Deno.test('some visitors get stuck on one page for more than five minutes', () => {
  const stuck = Array.from({ length: 200 }, (_, i) => makeVisitor(i + 1)).filter((v) => {
    const heartbeats = v.steps.filter((s) => s.events[0]!.type === 'heartbeat').length;
    return heartbeats * 30 > 300;
  });
  assert.ok(stuck.length >= 5, `expected stuck visitors, got ${stuck.length}`);
});
