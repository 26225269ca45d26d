import assert from 'node:assert/strict';
import { checkEnvelope, checkEvent } from './schema.ts';

const id = '7d0f1a52-6c1e-4c1f-9a53-1b2a3c4d5e6f';
const ts = 1764072000000;

Deno.test('a well-formed page view passes and unknown fields are stripped', () => {
  const res = checkEvent({ id, ts, type: 'pageview', path: '/pricing', title: 'Pricing', evil: 'x' }, 0);
  assert.ok('event' in res);
  assert.deepEqual(res.event, { id, ts, type: 'pageview', path: '/pricing', title: 'Pricing' });
});

Deno.test('events are refused one by one with a reason', () => {
  const cases: [unknown, string][] = [
    [{ id, ts, type: 'teleport', path: '/' }, 'unknown_type'],
    [{ id, ts, type: 'pageview', path: '/' + 'a'.repeat(3000) }, 'oversize'],
    [{ id, ts, type: 'event', name: 'x', props: { blob: 'y'.repeat(5000) } }, 'oversize'],
    [{ id: 'not-a-uuid', ts, type: 'pageview', path: '/' }, 'invalid'],
    [{ id, ts: -5, type: 'pageview', path: '/' }, 'invalid'],
    [{ id, ts, type: 'identify' }, 'invalid'],
    [{ id, ts, type: 'identify', email: 'a@b.c', segment: 'vip' }, 'invalid'],
    ['just a string', 'invalid'],
  ];
  for (const [raw, reason] of cases) {
    const res = checkEvent(raw, 3);
    assert.ok('rejection' in res, `expected a rejection for ${JSON.stringify(raw).slice(0, 80)}`);
    assert.equal(res.rejection.reason, reason, JSON.stringify(raw).slice(0, 80));
    assert.equal(res.rejection.index, 3);
    assert.ok(res.rejection.message.length > 0);
  }
});

Deno.test('identify keeps its identity fields and signature', () => {
  const res = checkEvent({ id, ts, type: 'identify', email: 'Ann@Example.com', segment: 'premium', signature: 'ab12' }, 0);
  assert.ok('event' in res);
  assert.equal((res.event as { email?: string }).email, 'Ann@Example.com');
});

Deno.test('the envelope needs a public key, a send time and events', () => {
  assert.ok('envelope' in checkEnvelope({ project: 'pk_abcdef123456', sent_at: ts, events: [{}] }));
  for (const bad of [
    null,
    { project: 'sk_abcdef123456', sent_at: ts, events: [{}] },
    { project: 'pk_abcdef123456', events: [{}] },
    { project: 'pk_abcdef123456', sent_at: ts, events: [] },
    { project: 'pk_abcdef123456', sent_at: ts, visitor_id: 'x', events: [{}] },
  ]) {
    const res = checkEnvelope(bad);
    assert.ok('message' in res, `expected ${JSON.stringify(bad)} to be refused`);
  }
});
