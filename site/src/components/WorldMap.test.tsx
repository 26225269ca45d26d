// @vitest-environment happy-dom
// The country table beside the map and the range bar: the RPC's rows as sent, a row click
// filters the page (store + URL), the chips remove it, the range buttons change the request;
// a sampled answer says so under the table.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import WorldMap from './WorldMap';
import ReportBar from './ReportBar';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { reportStore } from '../lib/reportState';
import { DEFAULT_STATE } from '../lib/reportUrl';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

// The map itself (d3 + the atlas file) is covered by the browser test; here only its table.
vi.mock('./WorldMapSvg', () => ({ default: () => <svg data-testid="map" /> }));

const P = '33333333-3333-3333-3333-333333333333';
let fake: ReturnType<typeof fakeBackend>;

beforeEach(() => {
  fake = fakeBackend((_fn, args) => ({
    data: (args.p_filter as Record<string, string>).country === 'DE'
      ? [{ country: 'DE', visitors: 2, sessions: 2, conversions: 0, prev_visitors: 0, visitors_change_pct: null, sample_rate: 1 }]
      // unfiltered, SQL read 1 in 16 users (sample_rate 0.0625)
      : [
          { country: 'NL', visitors: 3, sessions: 4, conversions: 1, prev_visitors: 2, visitors_change_pct: 50, sample_rate: 0.0625 },
          { country: 'DE', visitors: 2, sessions: 2, conversions: 0, prev_visitors: 0, visitors_change_pct: null, sample_rate: 0.0625 },
          { country: null, visitors: 1, sessions: 1, conversions: 0, prev_visitors: 1, visitors_change_pct: 0, sample_rate: 0.0625 },
        ],
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

describe('WorldMap table and ReportBar', () => {
  it('shows the countries as get_geo_breakdown returns them, filters by a click, and the chip removes it', async () => {
    const map = await render(<WorldMap />);
    const bar = await render(<ReportBar />);
    await flush();
    const rows = allByTestId(map.container, 'geo-table-row');
    expect(rows.map((r) => [r.dataset.value, r.dataset.visitors])).toEqual([['NL', '3'], ['DE', '2'], ['', '1']]);
    expect(rows[0]?.textContent).toContain('Nederland');
    expect(rows[0]?.textContent).toContain('+50%');
    expect(rows[1]?.textContent).toContain('nieuw');
    expect(rows[2]?.querySelector('button')).toBeNull(); // unknown country: nothing to filter by
    expect(fake.calls.at(-1)).toMatchObject({ fn: 'get_geo_breakdown', args: { p_project_id: P, p_filter: {} } });
    expect(byTestId(map.container, 'geo-table-sampled')?.textContent).toBe('≈ Geschat uit 1 op 16 bezoekers');

    await act(async () => byTestId(rows[1] as HTMLElement, 'geo-table-filter')?.click());
    await flush();
    expect(location.search).toBe('?f.country=DE');
    expect(fake.calls.at(-1)?.args.p_filter).toEqual({ country: 'DE' });
    expect(allByTestId(map.container, 'geo-table-row')).toHaveLength(1);
    expect(byTestId(map.container, 'geo-table-sampled')).toBeNull(); // exact: no note
    expect(byTestId(bar.container, 'filter-chip')?.textContent).toContain('Land: Duitsland');

    await act(async () => byTestId(bar.container, 'filter-chip-remove-country')?.click());
    await flush();
    expect(location.search).toBe('');
    expect(allByTestId(map.container, 'geo-table-row')).toHaveLength(3);
    await map.unmount();
    await bar.unmount();
  });

  it('a range button changes p_from / p_to and the URL', async () => {
    const map = await render(<WorldMap />);
    const bar = await render(<ReportBar />);
    await flush();
    await act(async () => byTestId(bar.container, 'range-today')?.click());
    await flush();
    expect(location.search).toBe('?range=today');
    const { p_from, p_to } = fake.calls.at(-1)?.args as { p_from: string; p_to: string };
    expect(p_from).toBe(new Date().toISOString().slice(0, 10));
    expect(p_to).toBe(p_from);
    await map.unmount();
    await bar.unmount();
  });
});
