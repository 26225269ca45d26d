// @vitest-environment happy-dom
// The retention curve, stickiness and lifecycle follow the page's range and filters (the
// lifecycle takes no range, only the filter and its period): what each RPC is asked, and
// what each chart is given — dormant users below the axis, DAU/MAU from SQL, sampled notes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import type { ApexOptions } from 'apexcharts';
import RetentionCurveChart from './RetentionCurveChart';
import StickinessChart from './StickinessChart';
import LifecycleChart from './LifecycleChart';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { reportStore, setFilter, setRange } from '../lib/reportState';
import { DEFAULT_STATE } from '../lib/reportUrl';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

type Drawn = { type: string; series: { name: string; data: number[] }[]; options: ApexOptions };
const drawn: Drawn[] = [];
vi.mock('react-apexcharts/core', () => ({
  default: (props: Drawn) => {
    drawn.push(props);
    return <svg data-testid="apex" />;
  },
}));
vi.mock('apexcharts/bar', () => ({}));
vi.mock('apexcharts/line', () => ({}));

const P = '88888888-8888-8888-8888-888888888888';
let fake: ReturnType<typeof fakeBackend>;
const last = (id: string) => drawn.filter((d) => d.options.chart?.id === id).at(-1)!;

beforeEach(() => {
  drawn.length = 0;
  fake = fakeBackend((fn, args) => {
    const rate = Object.keys(args.p_filter as object).length > 0 ? 0.5 : 1;
    if (fn === 'get_retention_curve')
      return { data: [1, 7, 14, 30].map((n, i) => ({ day_n: n, eligible: 10 - i, retained: 4 - i, retained_pct: Math.round((1000 * (4 - i)) / (10 - i)) / 10, sample_rate: rate })) };
    if (fn === 'get_stickiness')
      return { data: [{ day: '2026-11-21', dau: 2, wau: 5, mau: 10, dau_mau_pct: 20, sample_rate: rate }, { day: '2026-11-22', dau: 3, wau: 6, mau: 12, dau_mau_pct: 25, sample_rate: rate }] };
    if (fn === 'get_lifecycle')
      return { data: [{ period_start: '2026-11-09', new_users: 4, returning_users: 2, resurrecting_users: 1, dormant_users: 3, sample_rate: rate }, { period_start: '2026-11-16', new_users: 1, returning_users: 3, resurrecting_users: 0, dormant_users: 4, sample_rate: rate }] };
    return { data: [] };
  });
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  reportStore.set(DEFAULT_STATE);
  history.replaceState(null, '', '/');
});

const argsOf = (fn: string) => fake.calls.filter((c) => c.fn === fn).map((c) => c.args);

describe('retention charts', () => {
  it('curve and stickiness ask for the range and filter; the curve shows SQL’s shares, stickiness its DAU/MAU', async () => {
    await act(async () => setRange({ preset: 'custom', from: '2026-11-01', to: '2026-11-22' }));
    const { container, unmount } = await render(
      <>
        <RetentionCurveChart />
        <StickinessChart />
      </>,
    );
    await flush();
    const range = { p_project_id: P, p_from: '2026-11-01', p_to: '2026-11-22', p_filter: {} };
    expect(argsOf('get_retention_curve')).toEqual([range]);
    expect(argsOf('get_stickiness')).toEqual([range]);
    expect(last('retention-curve').series).toEqual([{ name: 'Teruggekomen', data: [40, 33.3, 25, 14.3] }]);
    expect(last('retention-curve').options.xaxis?.categories).toEqual(['Dag 1', 'Dag 7', 'Dag 14', 'Dag 30']);
    const tip = last('retention-curve').options.tooltip?.y as { formatter: (v: number, o: { dataPointIndex: number }) => string };
    expect(tip.formatter(33.3, { dataPointIndex: 1 })).toBe('33,3%: 3 van 9');
    expect(last('stickiness').series.map((s) => [s.name, s.data])).toEqual([['DAU', [2, 3]], ['WAU', [5, 6]], ['MAU', [10, 12]]]);
    expect(byTestId(container, 'stickiness-ratio')?.textContent).toBe('25% DAU/MAU op 22 nov');
    expect(byTestId(container, 'retention-curve-sampled')).toBeNull();

    await act(async () => setFilter('device', 'mobile'));
    await flush();
    const narrowed = { ...range, p_filter: { device: 'mobile' } };
    expect(argsOf('get_retention_curve').at(-1)).toEqual(narrowed);
    expect(argsOf('get_stickiness').at(-1)).toEqual(narrowed);
    expect(byTestId(container, 'retention-curve-sampled')?.textContent).toBe('≈ Geschat uit 1 op 2 bezoekers');
    expect(byTestId(container, 'stickiness-sampled')?.textContent).toBe('≈ Geschat uit 1 op 2 bezoekers');
    await unmount();
  });

  it('lifecycle: week by default, then month; new, returning, resurrecting stacked up, dormant drawn down', async () => {
    const { container, unmount } = await render(<LifecycleChart />);
    await flush();
    expect(argsOf('get_lifecycle')).toEqual([{ p_project_id: P, p_period: 'week', p_filter: {} }]);
    const d = last('lifecycle');
    expect(d.options.chart?.stacked).toBe(true);
    expect(d.series).toEqual([
      { name: 'Nieuw', data: [4, 1] },
      { name: 'Terugkerend', data: [2, 3] },
      { name: 'Teruggewonnen', data: [1, 0] },
      { name: 'Slapend', data: [-3, -4] },
    ]);
    // the axis and tooltip say how many are dormant, without the minus
    const y = d.options.yaxis as { labels: { formatter: (v: number) => string } };
    expect(y.labels.formatter(-4)).toBe('4');
    await act(async () => byTestId(container, 'lifecycle-period-month')!.click());
    await flush();
    expect(argsOf('get_lifecycle').at(-1)).toEqual({ p_project_id: P, p_period: 'month', p_filter: {} });
    await unmount();
  });
});
