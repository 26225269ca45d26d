import { describe, expect, it } from 'vitest';
import { initialConnection, nextConnection, type ConnectionState } from './connection';

const run = (...steps: Parameters<typeof nextConnection>[1][]): ConnectionState => steps.reduce(nextConnection, initialConnection);

describe('nextConnection', () => {
  it('goes live on the first join without counting a reconnect', () => {
    expect(run('CONNECTING', 'SUBSCRIBED')).toEqual({ status: 'live', everLive: true, reconnects: 0 });
  });

  it('shows reconnecting after an error and counts the rejoin', () => {
    const s = run('CONNECTING', 'SUBSCRIBED', 'CHANNEL_ERROR');
    expect(s.status).toBe('reconnecting');
    expect(nextConnection(s, 'SUBSCRIBED')).toEqual({ status: 'live', everLive: true, reconnects: 1 });
    expect(run('CONNECTING', 'SUBSCRIBED', 'TIMED_OUT', 'SUBSCRIBED', 'CLOSED', 'SUBSCRIBED').reconnects).toBe(2);
  });

  it('is idle again once stopped, and a late CLOSED keeps it idle', () => {
    expect(run('CONNECTING', 'SUBSCRIBED', 'STOPPED', 'CLOSED')).toEqual(initialConnection);
  });
});
