// The acquisition report fetchers: RPC names, the filter contract's args, row mapping.
import { describe, expect, it } from 'vitest';
import { fakeRpc } from './testRpc';
import { fetchTrafficSources } from './getTrafficSources';
import { fetchGeoBreakdown } from './getGeoBreakdown';
import { fetchTechBreakdown } from './getTechBreakdown';
import { RpcError } from './rpc';

const P = '22222222-2222-2222-2222-222222222222';
const q = { projectId: P, from: '2026-11-01', to: '2026-11-30', filter: { channel: 'social', country: 'NL' } };
const args = { p_project_id: P, p_from: '2026-11-01', p_to: '2026-11-30', p_filter: { channel: 'social', country: 'NL' } };

describe('acquisition reports', () => {
  it('get_traffic_sources: sends range, filter and dimension; keeps null values (none)', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { value: 'google.com', visitors: 10, sessions: 12, signups: 3, paying: 1, prev_visitors: 8, prev_sessions: 9, prev_signups: 2, prev_paying: 0, visitors_change_pct: 25, sample_rate: 0.25 },
        { value: null, visitors: 4, sessions: 4, signups: 0, paying: 0, prev_visitors: 0, prev_sessions: 0, prev_signups: 0, prev_paying: 0, visitors_change_pct: null, sample_rate: 0.25 },
      ],
    }));
    const rows = await fetchTrafficSources(rpc, q, 'source');
    expect(calls).toEqual([{ fn: 'get_traffic_sources', args: { ...args, p_dimension: 'source' } }]);
    expect(rows).toEqual([
      { value: 'google.com', visitors: 10, sessions: 12, signups: 3, paying: 1, prevVisitors: 8, visitorsChangePct: 25, prevSignups: 2, prevPaying: 0, sampleRate: 0.25 },
      { value: null, visitors: 4, sessions: 4, signups: 0, paying: 0, prevVisitors: 0, visitorsChangePct: null, prevSignups: 0, prevPaying: 0, sampleRate: 0.25 },
    ]);
  });

  it('get_geo_breakdown: countries as SQL orders them, unknown country kept as null', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { country: 'NL', visitors: 5, sessions: 7, conversions: 1, prev_visitors: 2, visitors_change_pct: 150, sample_rate: 1 },
        { country: null, visitors: 1, sessions: 1, conversions: 0, prev_visitors: null, visitors_change_pct: null },
      ],
    }));
    expect(await fetchGeoBreakdown(rpc, q)).toEqual([
      { country: 'NL', visitors: 5, sessions: 7, conversions: 1, prevVisitors: 2, visitorsChangePct: 150, sampleRate: 1 },
      { country: null, visitors: 1, sessions: 1, conversions: 0, prevVisitors: 0, visitorsChangePct: null, sampleRate: 1 },
    ]);
    expect(calls).toEqual([{ fn: 'get_geo_breakdown', args }]);
  });

  it('get_tech_breakdown: device / browser / os; an empty answer is no rows', async () => {
    const { rpc, calls } = fakeRpc((_fn, a) => ({ data: a?.p_dimension === 'os' ? null : [{ value: 'mobile', visitors: 3, sessions: 4, prev_visitors: 1, visitors_change_pct: 200, sample_rate: 0.015625 }] }));
    expect(await fetchTechBreakdown(rpc, q, 'device')).toEqual([{ value: 'mobile', visitors: 3, sessions: 4, prevVisitors: 1, visitorsChangePct: 200, sampleRate: 0.015625 }]);
    expect(await fetchTechBreakdown(rpc, q, 'os')).toEqual([]);
    expect(calls.map((c) => c.args?.p_dimension)).toEqual(['device', 'os']);
  });

  it('passes a 22023 (bad filter or range) on as an RpcError', async () => {
    const { rpc } = fakeRpc(() => ({ error: { code: '22023', message: 'unknown filter key' } }));
    await expect(fetchGeoBreakdown(rpc, q)).rejects.toBeInstanceOf(RpcError);
  });
});
