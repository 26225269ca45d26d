import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';
import { makeVisitor } from './visitors.ts';

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
  try {
    await sql.begin(async (tx) => {
      const [project] = await tx`insert into crm.projects (name, settings) values ('demo contract', crm.default_project_settings()
        || '{"rate_limit_project_per_minute": 10000000, "rate_limit_ip_per_minute": 10000000}') returning public_key`;
      for (let seed = 1; seed <= 100; seed++) {
        const v = makeVisitor(seed);
        assert.equal(v.steps[0]!.events[0]!.type, 'pageview', 'a visit starts with a page view');
        assert.equal(v.steps.at(-1)!.events[0]!.type, 'leave', 'a visit ends with leave');
        for (const step of v.steps) {
          const events: Record<string, unknown>[] = step.events.map((e) => ({ ...e, ts: Date.now() }));
          const batch = { project: project!.public_key, sent_at: Date.now(), visitor_id: v.visitorId, session_id: v.sessionId, events };
          const [{ r }] = await tx`select crm.ingest(${JSON.stringify(batch)}::text::json, '{"ip_hash": "demo"}') as r`;
          if (r.status !== 202 || r.rejected.length) problems.push(JSON.stringify(r));
          types = new Set([...types, ...events.map((e) => String(e.type === 'event' ? e.name : e.type))]);
        }
      }
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
});

Deno.test('some visitors get stuck on one page for more than five minutes', () => {
  const stuck = Array.from({ length: 200 }, (_, i) => makeVisitor(i + 1)).filter((v) => {
    const heartbeats = v.steps.filter((s) => s.events[0]!.type === 'heartbeat').length;
    return heartbeats * 30 > 300;
  });
  assert.ok(stuck.length >= 5, `expected stuck visitors, got ${stuck.length}`);
});
