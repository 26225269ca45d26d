// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import UserDetailModal from './UserDetailModal';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { openUserDetail, selectedUserStore } from '../lib/selection';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '66666666-6666-6666-6666-666666666666';

afterEach(() => {
  setBackendForTests(null);
  selectedUserStore.set(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
});

describe('UserDetailModal', () => {
  it('opens for the selected user, lists sessions with pages, closes on Esc', async () => {
    const fake = fakeBackend(() => ({
      data: {
        user: { id: 'u1', name: 'Jan', email: 'jan@example.com', segment: 'premium', verified: true },
        sessions: [
          { id: 's2', started_at: '2026-11-25T10:00:00Z', duration_seconds: 125, device_type: 'mobile', browser: 'Safari', pages: [{ path: '/a', seconds: 5 }, { path: '/b', seconds: 120 }] },
          { id: 's1', started_at: '2026-11-24T10:00:00Z', duration_seconds: 0, device_type: 'desktop', browser: 'Firefox', pages: [] },
        ],
      },
    }));
    setBackendForTests(fake.backend);
    projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
    const { container, unmount } = await render(<UserDetailModal />);
    expect(byTestId(container, 'user-detail')).toBeNull();
    await act(async () => openUserDetail('u1'));
    await flush();
    expect(fake.calls).toEqual([{ fn: 'get_site_user_detail', args: { p_project_id: P, p_user_id: 'u1' } }]);
    expect(byTestId(container, 'user-detail-name')?.textContent).toBe('Jan');
    const sessions = allByTestId(container, 'user-detail-session');
    expect(sessions).toHaveLength(2);
    expect(sessions[0]?.textContent).toContain('2:05');
    expect([...sessions[0]!.querySelectorAll('code')].map((c) => c.textContent)).toEqual(['/a', '/b']);
    await act(async () => document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(selectedUserStore.get()).toBeNull();
    expect(byTestId(container, 'user-detail')).toBeNull();
    await unmount();
  });

  it('shows the error state for an unknown user', async () => {
    setBackendForTests(fakeBackend(() => ({ error: { code: 'PT404', message: 'site user not found' } })).backend);
    projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
    const { container, unmount } = await render(<UserDetailModal />);
    await act(async () => openUserDetail('nobody'));
    await flush();
    expect(byTestId(container, 'user-detail-error')?.textContent).toContain('site user not found');
    await unmount();
  });

  it('opens the user a link names (?user=) and drops the parameter when closed', async () => {
    const fake = fakeBackend(() => ({ data: { user: { id: 'x', name: 'Ann', email: null, segment: 'user', verified: false }, sessions: [] } }));
    setBackendForTests(fake.backend);
    projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
    const U = '0a1b2c3d-0000-4000-8000-00000000000a';
    window.history.replaceState(null, '', `/users/?user=${U}&tab=x`);
    const { container, unmount } = await render(<UserDetailModal />);
    await flush();
    expect(fake.calls).toEqual([{ fn: 'get_site_user_detail', args: { p_project_id: P, p_user_id: U } }]);
    expect(byTestId(container, 'user-detail')).not.toBeNull();
    await act(async () => openUserDetail(null));
    expect(window.location.search).toBe('?tab=x');
    await unmount();
  });
});
