// @vitest-environment happy-dom
// The daily chart follows the page's range and filters: what get_daily_active_users is asked,
// the previous period as a second, dashed series at the same positions, the sampled note.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import type { ApexOptions } from 'apexcharts';
import DailyActiveUsersChart from './DailyActiveUsersChart';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { reportStore, setFilter, setRange } from '../lib/reportState';
import { DEFAULT_STATE } from '../lib/reportUrl';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

// ApexCharts draws with SVG measurements happy-dom does not have (the browser test draws it);
// here the series and options it is given.
const drawn: { series: { name: string; data: number[] }[]; options: ApexOptions }[] = [];
vi.mock('react-apexcharts/core', () => ({
  default: (props: { series: { name: string; data: number[] }[]; options: ApexOptions }) => {
    drawn.push(props);
    return <svg data-testid="apex" />;
  },
}));
vi.mock('apexcharts/area', () => ({}));

const P = '66666666-6666-6666-6666-666666666666';
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  drawn.length = 0;
  fake = fakeBackend((_fn, args) => {
    const filtered = Object.keys(args.p_filter as object).length > 0;
    // unfiltered exact; filtered SQL read 1 in 8 users
    const rate = filtered ? 0.125 : 1;
    return {
      data: [
        { day: '2026-11-03', active_users: 4, new_users: 1, sessions: 5, page_views: 9, avg_session_seconds: 60, prev_day: '2026-11-01', prev_active_users: 2, sample_rate: rate },
        { day: '2026-11-04', active_users: 6, new_users: 0, sessions: 6, page_views: 7, avg_session_seconds: 30, prev_day: '2026-11-02', prev_active_users: 0, sample_rate: rate },
      ],
    };
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

describe('DailyActiveUsersChart', () => {
  it('asks for the range and filter and draws the previous period beside it, dashed', async () => {
    await act(async () => setRange({ preset: 'custom', from: '2026-11-03', to: '2026-11-04' }));
    const { container, unmount } = await render(<DailyActiveUsersChart />);
    await flush();
    expect(fake.calls).toEqual([{ fn: 'get_daily_active_users', args: { p_project_id: P, p_from: '2026-11-03', p_to: '2026-11-04', p_filter: {} } }]);
    const last = drawn.at(-1)!;
    expect(last.series).toEqual([
      { name: 'Deze periode', data: [4, 6] },
      { name: 'Vorige periode', data: [2, 0] },
    ]);
    expect(last.options.stroke?.dashArray).toEqual([0, 5]);
    // the key, drawn beside the chart: the previous period's line dashed as in the chart
    const legend = [...(byTestId(container, 'dau-legend')?.querySelectorAll('li') ?? [])];
    expect(legend.map((li) => [li.textContent, li.querySelector('.swatch')?.className])).toEqual([['Deze periode', 'swatch'], ['Vorige periode', 'swatch dashed']]);
    expect(last.options.xaxis?.categories).toEqual(['3 nov', '4 nov']);
    // a previous-period point names its own day: the axis shows this period's
    const y = last.options.tooltip?.y as { formatter: (v: number, o: { seriesIndex: number; dataPointIndex: number }) => string };
    expect(y.formatter(2, { seriesIndex: 1, dataPointIndex: 0 })).toBe('2 (1 nov)');
    expect(y.formatter(4, { seriesIndex: 0, dataPointIndex: 0 })).toBe('4');
    const chart = byTestId(container, 'dau-chart');
    expect([chart?.dataset.from, chart?.dataset.to, chart?.dataset.active, chart?.dataset.prevActive]).toEqual(['2026-11-03', '2026-11-04', '4,6', '2,0']);
    expect(byTestId(container, 'dau-sampled')).toBeNull(); // exact: no note
    expect(byTestId(container, 'dau-range')).toBeNull(); // no "last N days" caveat any more

    await act(async () => setFilter('source', 'news.ycombinator.com'));
    await flush();
    expect(fake.calls.at(-1)?.args).toEqual({ p_project_id: P, p_from: '2026-11-03', p_to: '2026-11-04', p_filter: { source: 'news.ycombinator.com' } });
    expect(byTestId(container, 'dau-sampled')?.textContent).toBe('≈ Geschat uit 1 op 8 bezoekers');
    await unmount();
  });
});
