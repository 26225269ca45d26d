// @vitest-environment happy-dom
// The funnel follows the page's range and filters: what calculate_funnel_conversion is asked,
// each step's users beside the previous period's with the change SQL computed, the sampled note.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import FunnelView from './FunnelView';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { reportStore, setFilter, setRange } from '../lib/reportState';
import { DEFAULT_STATE, resolveRange, todayUtc } from '../lib/reportUrl';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '77777777-7777-7777-7777-777777777777';
let fake: ReturnType<typeof fakeBackend>;

const step = (step_order: number, name: string, users: number, prev_users: number, users_change_pct: number | null, sample_rate: number) => ({
  step_order, name, event_name: name.toLowerCase(), users, pct_of_first: step_order === 1 ? 100 : 25, pct_of_previous: 25,
  drop_off: step_order === 1 ? 0 : 300, drop_off_pct: step_order === 1 ? 0 : 75, computed_at: '2026-12-06T10:00:00Z', prev_users, users_change_pct, sample_rate,
});

beforeEach(() => {
  fake = fakeBackend((_fn, args) => ({
    data: (args.p_filter as Record<string, string>).device === 'mobile'
      // filtered: exact
      ? [step(1, 'Bezoekers', 40, 40, 0, 1), step(2, 'Signup', 10, 0, null, 1)]
      // SQL read 1 in 2 users
      : [step(1, 'Bezoekers', 1200, 1000, 20, 0.5), step(2, 'Signup', 300, 400, -25, 0.5), step(3, 'Betaald', 0, 0, null, 0.5)],
  }));
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  reportStore.set(DEFAULT_STATE);
  history.replaceState(null, '', '/');
});

describe('FunnelView', () => {
  it('asks for the range and filter, and shows each step against the previous period', async () => {
    const { container, unmount } = await render(<FunnelView />);
    await flush();
    const { from, to } = resolveRange(DEFAULT_STATE.range, todayUtc());
    expect(fake.calls).toEqual([{ fn: 'calculate_funnel_conversion', args: { p_project_id: P, p_from: from, p_to: to, p_filter: {} } }]);
    const steps = allByTestId(container, 'funnel-step');
    expect(steps.map((s) => [s.dataset.users, s.dataset.prevUsers])).toEqual([['1200', '1000'], ['300', '400'], ['0', '0']]);
    expect(byTestId(steps[0]!, 'funnel-previous')?.textContent).toBe('Vorige periode: 1.000 · +20%');
    expect(byTestId(steps[0]!, 'funnel-change')?.className).toBe('trend good');
    expect(byTestId(steps[1]!, 'funnel-change')?.textContent).toBe('-25%');
    expect(byTestId(steps[1]!, 'funnel-change')?.className).toBe('trend bad');
    expect(byTestId(steps[2]!, 'funnel-change')?.textContent).toBe('–'); // none then, none now
    expect(byTestId(container, 'funnel-sampled')?.textContent).toBe('≈ Geschat uit 1 op 2 bezoekers');

    await act(async () => setRange({ preset: 'today' }));
    await act(async () => setFilter('device', 'mobile'));
    await flush();
    expect(fake.calls.at(-1)?.args).toEqual({ p_project_id: P, p_from: todayUtc(), p_to: todayUtc(), p_filter: { device: 'mobile' } });
    const narrowed = allByTestId(container, 'funnel-step');
    expect(narrowed).toHaveLength(2);
    expect(byTestId(narrowed[1]!, 'funnel-change')?.textContent).toBe('nieuw'); // none in the previous period
    expect(byTestId(container, 'funnel-sampled')).toBeNull();
    await unmount();
  });
});
