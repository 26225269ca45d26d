// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import { settle, useRpcAction, type RpcAction } from './query';
import { setBackendForTests } from './client';
import { inviteCrmMember } from './crmInvitations';
import { fakeBackend } from '../test/fakeBackend';
import { render } from '../test/render';

afterEach(() => setBackendForTests(null));

describe('settle', () => {
  it('keeps the data on screen when a refresh fails', () => {
    const ready = settle<number>({ status: 'loading' }, { data: 1 });
    expect(ready).toEqual({ status: 'ready', data: 1, error: null });
    const failed = settle(ready, { error: new Error('down') });
    expect(failed).toMatchObject({ status: 'ready', data: 1, error: { message: 'down' } });
    expect(settle<number>({ status: 'loading' }, { error: new Error('x') }).status).toBe('error');
  });
});

describe('useRpcAction', () => {
  it('reports success of a void RPC as ok, and a failure as not ok with its error', async () => {
    let fail = false;
    setBackendForTests(fakeBackend(() => (fail ? { error: { code: '22023', message: 'email must be an address (name@domain)' } } : {})).backend);
    let action: RpcAction<Parameters<typeof inviteCrmMember> extends [unknown, ...infer A] ? A : never, void> | null = null;
    function Probe() {
      action = useRpcAction(inviteCrmMember);
      return null;
    }
    const { unmount } = await render(<Probe />);
    let result: unknown;
    await act(async () => {
      result = await action!.run('p', 'a@b.nl', 'viewer');
    });
    expect(result).toEqual({ ok: true, value: undefined });
    expect([action!.done, action!.error]).toEqual([true, null]);
    fail = true;
    await act(async () => {
      result = await action!.run('p', 'x@b.nl', 'viewer');
    });
    expect(result).toEqual({ ok: false });
    expect(action!.error?.message).toBe('email must be an address (name@domain)');
    expect(action!.done).toBe(false);
    await unmount();
  });
});
