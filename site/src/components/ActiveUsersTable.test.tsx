// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import ActiveUsersTable from './ActiveUsersTable';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { connectionStore, initialConnection } from '../data/connection';
import { selectedUserStore } from '../lib/selection';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '22222222-2222-2222-2222-222222222222';
const session = (id: string, extra: Record<string, unknown> = {}) => ({
  session_id: id,
  user_id: 'u-' + id,
  name: 'User ' + id,
  email: id + '@example.com',
  current_page: '/home',
  time_on_site_seconds: 65,
  time_on_page_seconds: 10,
  device_type: 'desktop',
  browser: 'Firefox',
  segment: 'premium',
  is_stuck: false,
  is_idle: false,
  ...extra,
});

let rows: Record<string, unknown>[];
let failing: boolean;
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  rows = [session('a')];
  failing = false;
  fake = fakeBackend((fn) =>
    fn !== 'get_online_users'
      ? { error: { code: 'PGRST202', message: fn } }
      : failing
        ? { error: { code: '', message: 'TypeError: Failed to fetch' } }
        : { data: rows });
  setBackendForTests(fake.backend);
  connectionStore.set(initialConnection);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk_demo', role: 'owner', createdAt: null } });
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  selectedUserStore.set(null);
});

const rowIds = (c: HTMLElement) => allByTestId(c, 'active-user-row').map((r) => r.dataset.sessionId);

describe('ActiveUsersTable', () => {
  it('renders the RPC rows, then applies Realtime broadcasts without reloading', async () => {
    const { container, unmount } = await render(<ActiveUsersTable />);
    await flush();
    expect(rowIds(container)).toEqual(['a']);
    // 65 s on site; the table clock may be up to 1 s behind the fetch
    expect(byTestId(container, 'active-user-time')?.textContent).toMatch(/^1:0[4-6]$/);
    expect(fake.channels.map((c) => [c.topic, c.opts])).toEqual([[`crm:${P}`, { config: { private: true } }]]);
    expect(fake.authTokens).toEqual(['user-jwt']);
    const rpcCalls = fake.calls.length;

    const ch = fake.channels[0]!;
    await act(async () => ch.broadcast('session_started', session('b', { segment: 'trial' })));
    expect(rowIds(container)).toEqual(['b', 'a']);
    await act(async () => ch.broadcast('page_changed', { session_id: 'a', current_page: '/pricing' }));
    expect(allByTestId(container, 'active-user-page').map((e) => e.textContent)).toEqual(['/home', '/pricing']);
    await act(async () => ch.broadcast('session_stuck', { session_id: 'b' }));
    expect(allByTestId(container, 'stuck-indicator')).toHaveLength(1);
    await act(async () => ch.broadcast('session_ended', { session_id: 'a' }));
    expect(rowIds(container)).toEqual(['b']);
    expect(fake.calls.length).toBe(rpcCalls);
    await unmount();
  });

  it('passes the segment filter to the RPC and shows the empty state', async () => {
    const { container, unmount } = await render(<ActiveUsersTable />);
    await flush();
    rows = [];
    await act(async () => byTestId(container, 'segment-filter-inactive')?.click());
    await flush();
    expect(fake.calls.at(-1)).toEqual({ fn: 'get_online_users', args: { p_project_id: P, p_segment: 'inactive' } });
    expect(byTestId(container, 'active-users-empty')).not.toBeNull();
    await unmount();
  });

  it('reloads after a Realtime reconnect to heal missed messages', async () => {
    const { container, unmount } = await render(<ActiveUsersTable />);
    await flush();
    const ch = fake.channels[0]!;
    await act(async () => ch.status('SUBSCRIBED'));
    rows = [session('c')];
    await act(async () => ch.status('CHANNEL_ERROR'));
    expect(connectionStore.get().status).toBe('reconnecting');
    await act(async () => ch.status('SUBSCRIBED'));
    await flush();
    expect(rowIds(container)).toEqual(['c']);
    await unmount();
  });

  it('a failed refresh keeps the live state: no ended session comes back from the last snapshot', async () => {
    const { container, unmount } = await render(<ActiveUsersTable />);
    await flush();
    const ch = fake.channels[0]!;
    await act(async () => ch.status('SUBSCRIBED'));
    expect(rowIds(container)).toEqual(['a']);
    await act(async () => ch.broadcast('session_ended', { session_id: 'a', user_id: 'u-a', reason: 'ended', ended_at: null }));
    expect(rowIds(container)).toEqual([]);
    failing = true;
    const calls = fake.calls.length;
    await act(async () => ch.status('CHANNEL_ERROR'));
    await act(async () => ch.status('SUBSCRIBED'));
    await flush();
    expect(fake.calls.length).toBeGreaterThan(calls); // the refresh ran, and failed
    expect(rowIds(container)).toEqual([]);
    await unmount();
  });

  it('shows "not allowed" for 42501 and opens the user detail on click', async () => {
    const denied = fakeBackend(() => ({ error: { code: '42501', message: 'not allowed' } }));
    setBackendForTests(denied.backend);
    const first = await render(<ActiveUsersTable />);
    await flush();
    expect(byTestId(first.container, 'active-users-error')?.textContent).toContain('geen toegang');
    await first.unmount();

    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<ActiveUsersTable />);
    await flush();
    await act(async () => byTestId(container, 'active-user-row')?.click());
    expect(selectedUserStore.get()).toBe('u-a');
    await unmount();
  });
});
