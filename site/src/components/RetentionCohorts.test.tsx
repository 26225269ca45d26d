// @vitest-environment happy-dom
// The cohort triangle follows the page's range and filters: what get_retention_cohorts is
// asked (period, start / return event from the funnel), the cells drawn, a cell opening its
// people (list_retention_cohort_users), and the CSV of the table (made by SQL).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import RetentionCohorts from './RetentionCohorts';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { reportStore, setFilter, setRange } from '../lib/reportState';
import { DEFAULT_STATE } from '../lib/reportUrl';
import { selectedUserStore } from '../lib/selection';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

// ApexCharts needs SVG measurements happy-dom lacks (the browser test draws it); the stand-in
// draws one rect per cell with the i/j attributes ApexCharts gives its heatmap cells.
type Series = { name: string; data: { x: string; y: number | null }[] }[];
const drawn: Series[] = [];
vi.mock('react-apexcharts/core', () => ({
  default: ({ series }: { series: Series }) => {
    drawn.push(series);
    return (
      <svg data-testid="apex">
        {series.map((s, i) => s.data.map((_, j) => <rect key={`${i}-${j}`} className="apexcharts-heatmap-rect" {...{ i, j }} />))}
      </svg>
    );
  },
}));
vi.mock('apexcharts/heatmap', () => ({}));
const downloads: { text: string; name: string }[] = [];
vi.mock('../lib/download', () => ({ downloadText: (text: string, name: string) => downloads.push({ text, name }) }));

const P = '77777777-7777-7777-7777-777777777777';
const CSV = 'cohort_start,cohort_size,week_0,week_1,week_2\r\n2026-11-02,10,10 (100%),4 (40%),2 (20%)\r\n2026-11-09,5,5 (100%),1 (20%),\r\n';
let fake: ReturnType<typeof fakeBackend>;

const COHORTS = [
  { cohort_start: '2026-11-02', cohort_size: 10, retained: [10, 4, 2], retained_pct: [100, 40, 20], sample_rate: 1 },
  { cohort_start: '2026-11-09', cohort_size: 5, retained: [5, 1], retained_pct: [100, 20], sample_rate: 1 },
];

beforeEach(() => {
  drawn.length = 0;
  downloads.length = 0;
  fake = fakeBackend((fn, args) => {
    if (fn === 'get_crm_project') return { data: { id: P, funnel_steps: [{ step_order: 1, name: 'Bezoek', event_name: 'pageview' }, { step_order: 2, name: 'Aanmelding', event_name: 'signup' }] } };
    // signup is a funnel event too: offered once, under the funnel
    if (fn === 'list_event_names') return { data: [{ name: 'report_exported' }, { name: 'signup' }] };
    if (fn === 'get_retention_cohorts') {
      const filtered = Object.keys(args.p_filter as object).length > 0;
      return { data: COHORTS.map((c) => ({ ...c, sample_rate: filtered ? 0.25 : 1 })) };
    }
    // the CSV is made by SQL (19_retention.sql checks its text); the page downloads it as sent
    if (fn === 'export_retention_cohorts_csv') return { data: CSV };
    if (fn === 'list_retention_cohort_users')
      return { data: [{ id: 'u1', external_id: 'x1', email: 'ann@example.com', name: 'Ann', segment: 'lead', first_seen_at: '2026-11-02T10:00:00Z', last_seen_at: '2026-11-20T10:00:00Z', total_count: 1 }] };
    return { data: [] };
  });
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk', role: 'viewer', createdAt: null } });
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  reportStore.set(DEFAULT_STATE);
  selectedUserStore.set(null);
  history.replaceState(null, '', '/');
});

const cohortCalls = () => fake.calls.filter((c) => c.fn === 'get_retention_cohorts').map((c) => c.args);

describe('RetentionCohorts', () => {
  it('asks for the range, filter, period and events; draws the triangle; a cell lists its people; the CSV is the table', async () => {
    await act(async () => setRange({ preset: 'custom', from: '2026-11-02', to: '2026-11-22' }));
    const { container, unmount } = await render(<RetentionCohorts />);
    await flush();
    const range = { p_project_id: P, p_from: '2026-11-02', p_to: '2026-11-22', p_filter: {} };
    // null events are left out: SQL's defaults (first visit, any activity) apply
    expect(cohortCalls()).toEqual([{ ...range, p_period: 'week' }]);

    // the heatmap: oldest cohort on top (ApexCharts draws series bottom-up), empty cells null
    expect(drawn.at(-1)).toEqual([
      { name: '9 nov', data: [{ x: 'W0', y: 100 }, { x: 'W1', y: 20 }, { x: 'W2', y: null }] },
      { name: '2 nov', data: [{ x: 'W0', y: 100 }, { x: 'W1', y: 40 }, { x: 'W2', y: 20 }] },
    ]);
    const rows = allByTestId(container, 'cohort-row');
    expect(rows.map((r) => [r.dataset.cohort, r.dataset.size, allByTestId(r, 'cohort-cell').map((c) => c.textContent)])).toEqual([
      ['2026-11-02', '10', ['100%', '40%', '20%']],
      ['2026-11-09', '5', ['100%', '20%']],
    ]);
    expect(byTestId(container, 'cohorts-sampled')).toBeNull();

    // the start / return choice offers the funnel's events, then the project's other custom events
    const start = byTestId(container, 'cohorts-start-event') as HTMLSelectElement;
    expect([...start.options].map((o) => [o.parentElement instanceof HTMLOptGroupElement ? o.parentElement.label : '', o.value])).toEqual([
      ['', ''], ['Funnel', 'pageview'], ['Funnel', 'signup'], ['Eigen events', 'report_exported'],
    ]);

    // a heatmap cell: the 2 Nov cohort (drawn second), offset 1
    await act(async () => (container.querySelector('rect[i="1"][j="1"]') as SVGElement).dispatchEvent(new MouseEvent('click', { bubbles: true })));
    await flush();
    expect(fake.calls.at(-1)).toEqual({
      fn: 'list_retention_cohort_users',
      args: { ...range, p_period: 'week', p_cohort_start: '2026-11-02', p_period_offset: 1, p_limit: 50, p_offset: 0 },
    });
    const users = allByTestId(document.body, 'cohort-user');
    expect(users.map((u) => [u.dataset.userId, u.textContent])).toEqual([['u1', 'Ann']]);
    // a person opens the user detail, and the list makes way for it
    await act(async () => users[0]!.click());
    expect(selectedUserStore.get()).toBe('u1');
    expect(byTestId(document.body, 'cohort-users')).toBeNull();
    // a triangle cell beyond the data (2026-11-09, offset 2) opens nothing
    const before = fake.calls.length;
    await act(async () => (container.querySelector('rect[i="0"][j="2"]') as SVGElement).dispatchEvent(new MouseEvent('click', { bubbles: true })));
    expect(fake.calls.length).toBe(before);

    // the CSV: asked of SQL with the cohorts' own arguments, downloaded as it came
    await act(async () => byTestId(container, 'cohorts-csv')!.click());
    await flush();
    expect(fake.calls.filter((c) => c.fn === 'export_retention_cohorts_csv').map((c) => c.args)).toEqual([cohortCalls().at(-1)]);
    expect(downloads).toEqual([
      {
        name: 'retention-week-2026-11-02-2026-11-22.csv',
        text: 'cohort_start,cohort_size,week_0,week_1,week_2\r\n2026-11-02,10,10 (100%),4 (40%),2 (20%)\r\n2026-11-09,5,5 (100%),1 (20%),\r\n',
      },
    ]);

    // month, a start and a return event: the next request says so
    await act(async () => byTestId(container, 'cohorts-period-month')!.click());
    await flush();
    expect(cohortCalls().at(-1)).toEqual({ ...range, p_period: 'month' });
    expect(drawn.at(-1)?.[0]?.data.map((d) => d.x)).toEqual(['M0', 'M1', 'M2']);
    await act(async () => {
      start.value = 'signup';
      start.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const ret = byTestId(container, 'cohorts-return-event') as HTMLSelectElement;
    await act(async () => {
      ret.value = 'pageview';
      ret.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
    expect(cohortCalls().at(-1)).toEqual({ ...range, p_period: 'month', p_start_event: 'signup', p_return_event: 'pageview' });

    // a filter narrows it; a sampled answer says so
    await act(async () => setFilter('country', 'NL'));
    await flush();
    expect(cohortCalls().at(-1)).toEqual({ ...range, p_filter: { country: 'NL' }, p_period: 'month', p_start_event: 'signup', p_return_event: 'pageview' });
    expect(byTestId(container, 'cohorts-sampled')?.textContent).toBe('≈ Geschat uit 1 op 4 bezoekers');
    await unmount();
  });
});
