// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import MetricCards from './MetricCards';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { METRICS_LIVE_DEBOUNCE_MS } from '../data/getCrmMetrics';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

const P = '55555555-5555-5555-5555-555555555555';
let online = 7;
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  online = 7;
  fake = fakeBackend(() => ({
    data: [
      { metric: 'total_users', value: 1200, last_week: 1000, change: 200, change_pct: 20 },
      { metric: 'online_now', value: online, last_week: 7, change: 0, change_pct: 0 },
      { metric: 'new_this_week', value: 30, last_week: 40, change: -10, change_pct: -25 },
      { metric: 'churn_rate', value: 5, last_week: 4, change: 1, change_pct: 25 },
    ],
  }));
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk_demo', role: 'viewer', createdAt: null } });
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
});

describe('MetricCards', () => {
  it('shows each value with its trend arrow and tone (a rising churn is bad)', async () => {
    const { container, unmount } = await render(<MetricCards />);
    await flush();
    expect(byTestId(container, 'metric-total_users-value')?.textContent).toBe('1.200');
    expect(byTestId(container, 'metric-total_users-trend')?.dataset.tone).toBe('good');
    expect(byTestId(container, 'metric-new_this_week-trend')?.textContent).toContain('▼');
    expect(byTestId(container, 'metric-new_this_week-trend')?.dataset.tone).toBe('bad');
    expect(byTestId(container, 'metric-churn_rate-value')?.textContent).toBe('5%');
    expect(byTestId(container, 'metric-churn_rate-trend')?.dataset.tone).toBe('bad');
    // churn 4 % → 5 % is one percentage point, not +25 %
    expect(byTestId(container, 'metric-churn_rate-trend')?.textContent).toContain('+1 pp');
    expect(byTestId(container, 'metric-total_users-trend')?.textContent).toContain('+20%');
    expect(byTestId(container, 'metric-online_now-trend')?.dataset.tone).toBe('neutral');
    await unmount();
  });

  it('reloads Online Now once shortly after sessions start or end', async () => {
    const { container, unmount } = await render(<MetricCards />);
    await flush();
    const before = fake.calls.length;
    online = 9;
    const ch = fake.channels.at(-1)!;
    await act(async () => {
      ch.broadcast('session_started', { session_id: 'x' });
      ch.broadcast('session_ended', { session_id: 'y' });
      ch.broadcast('page_changed', { session_id: 'z' });
    });
    await act(async () => await new Promise((r) => setTimeout(r, METRICS_LIVE_DEBOUNCE_MS + 100)));
    await flush();
    expect(fake.calls.length - before).toBe(1);
    expect(byTestId(container, 'metric-online_now-value')?.textContent).toBe('9');
    await unmount();
  });
});
