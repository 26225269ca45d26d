// The pages report fetcher: RPC name, the filter contract's args, row mapping.
import { describe, expect, it } from 'vitest';
import { fakeRpc } from './testRpc';
import { fetchTopPages } from './getTopPages';
import { RpcError } from './rpc';

const P = '22222222-2222-2222-2222-222222222222';
const q = { projectId: P, from: '2026-11-01', to: '2026-11-30', filter: { page: '/pricing', country: 'NL' } };

describe('get_top_pages', () => {
  it('sends range and filter; maps the rows as SQL ordered them, a page without views keeps a null average', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { page: '/pricing', views: 12, visitors: 9, entries: 4, exits: 3, avg_seconds: 61.5, prev_views: 10, prev_visitors: 6, visitors_change_pct: 50, sample_rate: 0.5 },
        { page: '/old', views: 0, visitors: 0, entries: 0, exits: 0, avg_seconds: null, prev_views: 2, prev_visitors: 1, visitors_change_pct: -100, sample_rate: 0.5 },
      ],
    }));
    expect(await fetchTopPages(rpc, q)).toEqual([
      { page: '/pricing', views: 12, visitors: 9, entries: 4, exits: 3, avgSeconds: 61.5, prevViews: 10, prevVisitors: 6, visitorsChangePct: 50, sampleRate: 0.5 },
      { page: '/old', views: 0, visitors: 0, entries: 0, exits: 0, avgSeconds: null, prevViews: 2, prevVisitors: 1, visitorsChangePct: -100, sampleRate: 0.5 },
    ]);
    expect(calls).toEqual([{ fn: 'get_top_pages', args: { p_project_id: P, p_from: '2026-11-01', p_to: '2026-11-30', p_filter: { page: '/pricing', country: 'NL' } } }]);
  });

  it('an empty answer is no rows; a 22023 is an RpcError', async () => {
    expect(await fetchTopPages(fakeRpc(() => ({ data: null })).rpc, q)).toEqual([]);
    await expect(fetchTopPages(fakeRpc(() => ({ error: { code: '22023', message: 'p_limit' } })).rpc, q)).rejects.toBeInstanceOf(RpcError);
  });
});
