// @vitest-environment happy-dom
// The weekly cards on the page as it opens (live Online Now); the range cards once a range or
// filter is chosen: what get_crm_metrics is asked, each figure beside the previous period,
// the sampled note, and back to the weekly cards.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import MetricCards from './MetricCards';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { METRICS_LIVE_DEBOUNCE_MS } from '../data/getCrmMetrics';
import { reportStore, setFilter, setRange } from '../lib/reportState';
import { DEFAULT_STATE, todayUtc } from '../lib/reportUrl';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

const P = '55555555-5555-5555-5555-555555555555';
let online = 7;
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  online = 7;
  fake = fakeBackend((_fn, args) => ({
    data: args.p_from
      ? [
          // with a range: SQL read 1 in 4 users
          { metric: 'visitors', value: 120, last_week: null, change: 20, change_pct: 20, previous: 100, sample_rate: 0.25 },
          { metric: 'new_visitors', value: 30, last_week: null, change: 30, change_pct: null, previous: 0, sample_rate: 0.25 },
          { metric: 'sessions', value: 150, last_week: null, change: -10, change_pct: -6.3, previous: 160, sample_rate: 0.25 },
          { metric: 'signups', value: 0, last_week: null, change: 0, change_pct: null, previous: 0, sample_rate: 0.25 },
          { metric: 'paying', value: 2, last_week: null, change: 0, change_pct: 0, previous: 2, sample_rate: 0.25 },
        ]
      : [
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
  reportStore.set(DEFAULT_STATE);
  history.replaceState(null, '', '/');
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
    expect(fake.calls).toEqual([{ fn: 'get_crm_metrics', args: { p_project_id: P } }]);
    expect(byTestId(container, 'metric-grid')?.dataset.mode).toBe('weekly');
    expect(byTestId(container, 'metrics-sampled')).toBeNull();
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

  it('with a chosen range shows the range cards against the previous period, and the weekly cards again on the default', async () => {
    const { container, unmount } = await render(<MetricCards />);
    await flush();
    await act(async () => setRange({ preset: '7d' }));
    await flush();
    const today = todayUtc();
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
    expect(fake.calls.at(-1)).toEqual({ fn: 'get_crm_metrics', args: { p_project_id: P, p_from: from, p_to: today, p_filter: {} } });
    expect(byTestId(container, 'metric-grid')?.dataset.mode).toBe('range');
    expect(byTestId(container, 'metric-total_users')).toBeNull();
    expect(byTestId(container, 'metric-visitors')?.querySelector('h3')?.textContent).toBe('Bezoekers');
    expect(byTestId(container, 'metric-visitors-value')?.textContent).toBe('120');
    expect(byTestId(container, 'metric-visitors-trend')?.textContent).toBe('▲ +20% t.o.v. vorige periode');
    expect(byTestId(container, 'metric-visitors-trend')?.dataset.tone).toBe('good');
    expect(byTestId(container, 'metric-visitors-previous')?.textContent).toBe('Vorige periode: 100');
    expect(byTestId(container, 'metric-sessions-trend')?.dataset.tone).toBe('bad');
    expect(byTestId(container, 'metric-sessions-trend')?.textContent).toContain('-6,3%');
    // nothing before: new when there is something now, no comparison when there is nothing
    expect(byTestId(container, 'metric-new_visitors-trend')?.textContent).toBe('nieuw');
    expect(byTestId(container, 'metric-signups-trend')?.textContent).toBe('geen vergelijking');
    expect(byTestId(container, 'metric-paying-trend')?.dataset.tone).toBe('neutral');
    expect(byTestId(container, 'metrics-sampled')?.textContent).toBe('≈ Geschat uit 1 op 4 bezoekers');

    // a filter on the default range is not the default view either
    await act(async () => setRange({ preset: '30d' }));
    await act(async () => setFilter('country', 'NL'));
    await flush();
    expect(fake.calls.at(-1)?.args).toMatchObject({ p_filter: { country: 'NL' }, p_to: today });
    expect(byTestId(container, 'metric-grid')?.dataset.mode).toBe('range');

    await act(async () => reportStore.set(DEFAULT_STATE));
    await flush();
    expect(fake.calls.at(-1)).toEqual({ fn: 'get_crm_metrics', args: { p_project_id: P } });
    expect(byTestId(container, 'metric-total_users-value')?.textContent).toBe('1.200');
    expect(byTestId(container, 'metrics-sampled')).toBeNull();
    await unmount();
  });
});
