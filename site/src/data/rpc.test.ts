import { describe, expect, it } from 'vitest';
import { asRow, asRows, callRpc, RpcError } from './rpc';
import { fakeRpc } from './testRpc';

describe('callRpc', () => {
  it('passes named args and drops undefined ones so SQL defaults apply', async () => {
    const { rpc, calls } = fakeRpc(() => ({ data: [1] }));
    await expect(callRpc(rpc, 'list_site_users', { p_project_id: 'p', p_segment: undefined, p_offset: 0 })).resolves.toEqual([1]);
    expect(calls).toEqual([{ fn: 'list_site_users', args: { p_project_id: 'p', p_offset: 0 } }]);
  });

  it('turns 42501 into a not-allowed RpcError', async () => {
    const { rpc } = fakeRpc(() => ({ error: { code: '42501', message: 'not allowed' } }));
    const err = await callRpc(rpc, 'get_crm_metrics').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).notAllowed).toBe(true);
    expect((err as RpcError).fn).toBe('get_crm_metrics');
  });

  it('keeps other codes as they are', async () => {
    const { rpc } = fakeRpc(() => ({ error: { code: '22023', message: 'bad segment' } }));
    const err = (await callRpc(rpc, 'get_online_users', { p_project_id: 'p', p_segment: 'x' }).catch((e: unknown) => e)) as RpcError;
    expect([err.code, err.notAllowed, err.message]).toEqual(['22023', false, 'bad segment']);
  });
});

describe('asRows / asRow', () => {
  it('accepts arrays, single objects and nothing', () => {
    expect(asRows([{ a: 1 }, null, 3])).toEqual([{ a: 1 }]);
    expect(asRows({ a: 1 })).toEqual([{ a: 1 }]);
    expect(asRows(null)).toEqual([]);
    expect(asRow([{ a: 2 }])).toEqual({ a: 2 });
    expect(asRow([])).toBeNull();
  });
});
