import assert from 'node:assert/strict';
import { checkEnvelope, checkEvent } from '../../supabase/functions/ingest/schema.ts';
import { makeVisitor } from './visitors.ts';

Deno.test('visitors are deterministic per seed and differ across seeds', () => {
  assert.deepEqual(makeVisitor(7), makeVisitor(7));
  assert.notDeepEqual(makeVisitor(7).visitorId, makeVisitor(8).visitorId);
});

Deno.test('every simulated step is a valid batch under the ingest protocol', () => {
  let types = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const v = makeVisitor(seed);
    assert.equal(v.steps[0]!.events[0]!.type, 'pageview', 'a visit starts with a page view');
    assert.equal(v.steps.at(-1)!.events[0]!.type, 'leave', 'a visit ends with leave');
    for (const step of v.steps) {
      const events: Record<string, unknown>[] = step.events.map((e) => ({ ...e, ts: Date.now() }));
      const env = checkEnvelope({ project: 'pk_demo0000000000000000', sent_at: Date.now(), visitor_id: v.visitorId, session_id: v.sessionId, events });
      assert.ok('envelope' in env, JSON.stringify(env));
      events.forEach((e, i) => assert.ok('event' in checkEvent(e, i), JSON.stringify(e)));
      types = new Set([...types, ...events.map((e) => String(e.type === 'event' ? e.name : e.type))]);
    }
  }
  for (const t of ['pageview', 'heartbeat', 'identify', 'leave', 'signup', 'activated', 'payment_success']) {
    assert.ok(types.has(t), `300 visitors should include ${t}`);
  }
});

Deno.test('some visitors get stuck on one page for more than five minutes', () => {
  const stuck = Array.from({ length: 200 }, (_, i) => makeVisitor(i + 1)).filter((v) => {
    const heartbeats = v.steps.filter((s) => s.events[0]!.type === 'heartbeat').length;
    return heartbeats * 30 > 300;
  });
  assert.ok(stuck.length >= 5, `expected stuck visitors, got ${stuck.length}`);
});
