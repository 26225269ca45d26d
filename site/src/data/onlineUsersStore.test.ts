import { describe, expect, it } from 'vitest';
import { applyMessage, emptyOnlineUsers, receive, replaceAll, type OnlineUsersState } from './onlineUsersStore';
import { mapOnlineSession } from './onlineSession';
import { EVENTS } from './realtimeEvents';

const NOW = 1_700_000_000_000;
const row = (id: string, extra: Record<string, unknown> = {}) => ({
  session_id: id,
  user_id: 'u-' + id,
  name: 'User ' + id,
  email: null,
  current_page: '/',
  time_on_site_seconds: 120,
  time_on_page_seconds: 30,
  device_type: 'desktop',
  browser: 'Firefox',
  segment: 'visitor',
  is_stuck: false,
  is_idle: false,
  ...extra,
});
const start = (rows: Record<string, unknown>[], segment: string | null = null): OnlineUsersState =>
  replaceAll(emptyOnlineUsers(segment), rows.map((r) => mapOnlineSession(r, NOW)));
const ids = (s: OnlineUsersState) => s.sessions.map((x) => x.sessionId);

describe('replaceAll', () => {
  it('replaces the sessions with the RPC result and clears a pending refresh', () => {
    const s = { ...start([row('a')]), needsRefresh: true };
    const next = replaceAll(s, [mapOnlineSession(row('b'), NOW)]);
    expect(ids(next)).toEqual(['b']);
    expect(next.needsRefresh).toBe(false);
  });

  it('replays messages that came after the refresh was requested, not those before', () => {
    let s = start([row('a'), row('b')]);
    s = receive(s, { event: EVENTS.pageChanged, payload: { session_id: 'b', current_page: '/old', is_stuck: false } }, NOW + 500);
    s = receive(s, { event: EVENTS.sessionEnded, payload: { session_id: 'a', user_id: 'u-a', reason: 'ended', ended_at: null } }, NOW + 2_000);
    // a refresh requested at NOW + 1 s answers with a snapshot that still has session a
    const next = replaceAll(s, [mapOnlineSession(row('a'), NOW + 1_500), mapOnlineSession(row('b', { current_page: '/new' }), NOW + 1_500)], NOW + 1_000);
    expect(ids(next)).toEqual(['b']);
    expect(next.sessions[0]?.currentPage).toBe('/new');
  });

  it('places a new session by the seconds the server measured, whatever the browser clock says', () => {
    // started_at is 100 s in the browser's future (a clock 90 s slow … or fast): the seconds win
    const s = applyMessage(start([]), { event: EVENTS.sessionStarted, payload: { ...row('b'), time_on_site_seconds: 10, time_on_page_seconds: 4,
      started_at: new Date(NOW + 100_000).toISOString(), current_page_since: new Date(NOW + 100_000).toISOString() } }, NOW);
    expect(s.sessions[0]?.startedAtMs).toBe(NOW - 10_000);
    expect(s.sessions[0]?.pageSinceMs).toBe(NOW - 4_000);
  });

  it('remembers only the last minute of messages', () => {
    let s = start([row('a')]);
    s = receive(s, { event: EVENTS.sessionStuck, payload: { session_id: 'a' } }, NOW);
    s = receive(s, { event: EVENTS.sessionStuck, payload: { session_id: 'a' } }, NOW + 61_000);
    expect(s.recent.map((r) => r.at)).toEqual([NOW + 61_000]);
  });

  it('anchors durations so they tick from the server-measured seconds', () => {
    const s = start([row('a')]).sessions[0];
    expect(s?.startedAtMs).toBe(NOW - 120_000);
    expect(s?.pageSinceMs).toBe(NOW - 30_000);
  });
});

describe('applyMessage', () => {
  it('adds a started session on top, without duplicates', () => {
    const s = start([row('a')]);
    const next = applyMessage(s, { event: EVENTS.sessionStarted, payload: row('b') }, NOW);
    expect(ids(next)).toEqual(['b', 'a']);
    expect(ids(applyMessage(next, { event: EVENTS.sessionStarted, payload: row('a') }, NOW))).toEqual(['a', 'b']);
  });

  it('adds a session_started broadcast, timing it from its timestamps', () => {
    const payload = {
      session_id: 'b', user_id: 'u-b', name: 'User b', email: null, segment: 'visitor', current_page: '/x',
      current_page_since: new Date(NOW - 10_000).toISOString(), started_at: new Date(NOW - 60_000).toISOString(),
      last_activity_at: new Date(NOW).toISOString(), device_type: 'mobile', browser: 'Safari', os: 'iOS', country: 'NL', is_stuck: false, is_idle: false,
    };
    const next = applyMessage(start([row('a')]), { event: EVENTS.sessionStarted, payload }, NOW);
    expect(next.sessions[0]).toMatchObject({ sessionId: 'b', currentPage: '/x', startedAtMs: NOW - 60_000, pageSinceMs: NOW - 10_000, deviceType: 'mobile' });
  });

  it('asks the server instead of guessing whether a new session fits a segment filter', () => {
    const s = start([row('a')], 'premium');
    const next = applyMessage(s, { event: EVENTS.sessionStarted, payload: row('b', { segment: 'premium' }) }, NOW);
    expect(ids(next)).toEqual(['a']);
    expect(next.needsRefresh).toBe(true);
  });

  it('moves a session to its new page and restarts the page clock and stuck flag', () => {
    const s = start([row('a', { is_stuck: true })]);
    const next = applyMessage(s, { event: EVENTS.pageChanged, payload: { session_id: 'a', current_page: '/pricing', current_page_since: 'x', is_stuck: false } }, NOW + 5000);
    expect(next.sessions[0]).toMatchObject({ currentPage: '/pricing', pageSinceMs: NOW + 5000, isStuck: false, startedAtMs: NOW - 120_000 });
    expect(s.sessions[0]?.currentPage).toBe('/');
  });

  it('requests a refresh for a page change of an unknown session', () => {
    const next = applyMessage(start([row('a')]), { event: EVENTS.pageChanged, payload: { session_id: 'zz', current_page: '/x' } }, NOW);
    expect(next.needsRefresh).toBe(true);
    expect(ids(next)).toEqual(['a']);
  });

  it('removes an ended session', () => {
    const next = applyMessage(start([row('a'), row('b')]), { event: EVENTS.sessionEnded, payload: { session_id: 'a' } }, NOW);
    expect(ids(next)).toEqual(['b']);
  });

  it('marks a stuck session', () => {
    const next = applyMessage(start([row('a')]), { event: EVENTS.sessionStuck, payload: { session_id: 'a' } }, NOW);
    expect(next.sessions[0]?.isStuck).toBe(true);
  });

  it('updates every session of an identified user', () => {
    const s = start([row('a'), row('b'), row('c', { user_id: 'u-a' })]);
    const next = applyMessage(
      s,
      { event: EVENTS.userIdentified, payload: { user_id: 'u-a', name: 'Jan', email: 'jan@example.com', segment: 'premium', verified: true } },
      NOW,
    );
    expect(next.sessions.map((x) => [x.sessionId, x.userId, x.name, x.segment])).toEqual([
      ['a', 'u-a', 'Jan', 'premium'],
      ['b', 'u-b', 'User b', 'visitor'],
      ['c', 'u-a', 'Jan', 'premium'],
    ]);
  });

  it('refreshes a filtered list when a user changes', () => {
    const payload = { user_id: 'u-a', name: 'User a', email: null, segment: 'premium', verified: false };
    const next = applyMessage(start([row('a')], 'trial'), { event: EVENTS.userIdentified, payload }, NOW);
    expect(next.sessions[0]?.segment).toBe('premium');
    expect(next.needsRefresh).toBe(true);
    expect(applyMessage(start([row('a')]), { event: EVENTS.userIdentified, payload }, NOW).needsRefresh).toBe(false);
  });

  it('moves a session to the user it was merged into (session_identified)', () => {
    const s = start([row('a'), row('b')]);
    const payload = { session_id: 'b', user_id: 'u-x', name: 'Els', email: 'els@example.com', segment: 'trial', verified: true };
    const next = applyMessage(s, { event: EVENTS.sessionIdentified, payload }, NOW);
    expect(next.sessions.map((x) => [x.sessionId, x.userId, x.name, x.segment])).toEqual([
      ['a', 'u-a', 'User a', 'visitor'],
      ['b', 'u-x', 'Els', 'trial'],
    ]);
    expect(next.needsRefresh).toBe(false);
    expect(applyMessage(start([row('b')], 'trial'), { event: EVENTS.sessionIdentified, payload }, NOW).needsRefresh).toBe(true);
  });

  it('follows idle and active, refreshing an Actief/Inactief list', () => {
    const idle = applyMessage(start([row('a')]), { event: EVENTS.sessionIdle, payload: { session_id: 'a' } }, NOW);
    expect([idle.sessions[0]?.isIdle, idle.needsRefresh]).toEqual([true, false]);
    const active = applyMessage(idle, { event: EVENTS.sessionActive, payload: { session_id: 'a' } }, NOW);
    expect(active.sessions[0]?.isIdle).toBe(false);
    expect(applyMessage(start([row('a')], 'active'), { event: EVENTS.sessionIdle, payload: { session_id: 'a' } }, NOW).needsRefresh).toBe(true);
  });

  it('leaves the idle flag to session_idle / session_active on a page change', () => {
    const s = start([row('a', { is_idle: true })]);
    expect(applyMessage(s, { event: EVENTS.pageChanged, payload: { session_id: 'a', current_page: '/x', current_page_since: 'x', is_stuck: false } }, NOW).sessions[0]?.isIdle).toBe(true);
  });

  it('ignores unknown events and payloads without ids', () => {
    const s = start([row('a')]);
    expect(applyMessage(s, { event: 'something_new', payload: { session_id: 'a' } }, NOW)).toBe(s);
    expect(applyMessage(s, { event: EVENTS.sessionEnded, payload: {} }, NOW)).toBe(s);
    expect(applyMessage(s, { event: EVENTS.userIdentified, payload: { user_id: 'nobody' } }, NOW)).toBe(s);
  });
});
