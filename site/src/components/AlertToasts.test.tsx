// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import AlertToasts from './AlertToasts';
import { setBackendForTests } from '../data/client';
import { connectionStore, initialConnection } from '../data/connection';
import { useCrmChannel } from '../data/realtime';
import { selectedUserStore } from '../lib/selection';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '99999999-9999-9999-9999-999999999999';
const fired = (extra: Record<string, unknown> = {}) => ({
  delivery_id: 7, alert_id: 'rule-1', alert_name: 'Grote betaling', kind: 'event', summary: 'payment_success amount 250',
  user_id: 'user-1', fired_at: '2026-12-08T10:00:00Z', is_test: false, ...extra,
});

/** The page's header holds the project's channel; here a stand-in does. */
function Page() {
  useCrmChannel(P);
  return <AlertToasts />;
}

/** A stand-in for the browser's Notification: records what was shown. */
class FakeNotification {
  static permission: NotificationPermission = 'granted';
  static requestPermission = vi.fn(async () => FakeNotification.permission);
  static shown: FakeNotification[] = [];
  onclick: (() => void) | null = null;
  close = vi.fn();
  constructor(public title: string, public options: NotificationOptions) {
    FakeNotification.shown.push(this);
  }
}

let visibility: DocumentVisibilityState = 'visible';
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  FakeNotification.permission = 'granted';
  FakeNotification.shown = [];
  FakeNotification.requestPermission.mockClear();
  vi.stubGlobal('Notification', FakeNotification);
  visibility = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
  window.focus = vi.fn();
  fake = fakeBackend(() => ({}));
  setBackendForTests(fake.backend);
  connectionStore.set(initialConnection);
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (document as { visibilityState?: unknown }).visibilityState;
  setBackendForTests(null);
  selectedUserStore.set(null);
});

async function mount() {
  const view = await render(<Page />);
  await flush();
  const ch = fake.channels[0]!;
  const send = (event: string, payload: unknown) => act(async () => ch.broadcast(event, payload));
  return { ...view, send };
}

describe('AlertToasts', () => {
  it('shows a toast for alert_fired only; clicking it opens the user it is about', async () => {
    const { container, send, unmount } = await mount();
    await send('session_stuck', { session_id: 's', user_id: 'u' });
    expect(allByTestId(container, 'alert-toast')).toEqual([]);
    await send('alert_fired', fired());
    const [toast] = allByTestId(container, 'alert-toast');
    expect(toast!.textContent).toContain('Grote betaling');
    expect(toast!.textContent).toContain('payment_success amount 250');
    expect(toast!.dataset.alertId).toBe('rule-1');
    await act(async () => byTestId(toast!, 'alert-toast-open')!.click());
    expect(selectedUserStore.get()).toBe('user-1');
    await unmount();
  });

  it('a test firing says so; one without a user is not a link', async () => {
    const { container, send, unmount } = await mount();
    await send('alert_fired', fired({ is_test: true, user_id: null }));
    const [toast] = allByTestId(container, 'alert-toast');
    expect(toast!.querySelector('.badge')?.textContent).toBe('test');
    expect(byTestId(toast!, 'alert-toast-open')).toBeNull();
    await unmount();
  });

  it('no browser notification while the tab is in front: the toast is enough', async () => {
    const { send, unmount } = await mount();
    await send('alert_fired', fired());
    expect(FakeNotification.shown).toEqual([]);
    await unmount();
  });

  it('in the background, a notification once allowed; its click focuses the tab and opens the user', async () => {
    const { send, unmount } = await mount();
    visibility = 'hidden';
    await send('alert_fired', fired());
    expect(FakeNotification.shown).toHaveLength(1);
    const [n] = FakeNotification.shown;
    expect(n!.title).toBe('Alert: Grote betaling');
    expect(n!.options).toEqual({ body: 'payment_success amount 250', tag: 'vibe-crm-alert-7' });
    await act(async () => n!.onclick?.());
    expect(window.focus).toHaveBeenCalled();
    expect(selectedUserStore.get()).toBe('user-1');
    expect(n!.close).toHaveBeenCalled();
    await send('alert_fired', fired({ delivery_id: 8, is_test: true }));
    expect(FakeNotification.shown[1]!.title).toBe('Testalert: Grote betaling');
    await unmount();
  });

  it('in the background without permission: no notification, and never a request for one', async () => {
    const { send, unmount } = await mount();
    visibility = 'hidden';
    for (const permission of ['default', 'denied'] as const) {
      FakeNotification.permission = permission;
      await send('alert_fired', fired());
    }
    expect(FakeNotification.shown).toEqual([]);
    expect(FakeNotification.requestPermission).not.toHaveBeenCalled();
    await unmount();
  });

  it('keeps at most four toasts, and the close button removes one', async () => {
    const { container, send, unmount } = await mount();
    for (let i = 1; i <= 6; i++) await send('alert_fired', fired({ delivery_id: i, alert_name: `Regel ${i}` }));
    const names = () => allByTestId(container, 'alert-toast').map((x) => x.querySelector('strong')?.textContent);
    expect(names()).toEqual(['Regel 3', 'Regel 4', 'Regel 5', 'Regel 6']);
    await act(async () => allByTestId(container, 'alert-toast')[0]!.querySelector<HTMLButtonElement>('button.icon')!.click());
    expect(names()).toEqual(['Regel 4', 'Regel 5', 'Regel 6']);
    await unmount();
  });
});
