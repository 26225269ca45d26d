// Realtime connection state as the header shows it, derived from channel status callbacks.
import { createStore, useStore } from '../lib/store';

export type ChannelStatus = 'SUBSCRIBED' | 'TIMED_OUT' | 'CLOSED' | 'CHANNEL_ERROR';

export interface ConnectionState {
  status: 'idle' | 'connecting' | 'live' | 'reconnecting';
  everLive: boolean;
  /** Bumped on every re-subscription after the first: views reload then to heal missed messages. */
  reconnects: number;
}

export const initialConnection: ConnectionState = { status: 'idle', everLive: false, reconnects: 0 };

export function nextConnection(prev: ConnectionState, status: ChannelStatus | 'CONNECTING' | 'STOPPED'): ConnectionState {
  switch (status) {
    case 'CONNECTING':
      return { ...prev, status: 'connecting' };
    case 'SUBSCRIBED':
      return { status: 'live', everLive: true, reconnects: prev.everLive ? prev.reconnects + 1 : prev.reconnects };
    case 'STOPPED':
      return initialConnection;
    default:
      return prev.status === 'idle' ? prev : { ...prev, status: 'reconnecting' };
  }
}

export const connectionStore = createStore<ConnectionState>(initialConnection);
/** When data last arrived (RPC refresh or broadcast), for "updated N s ago". */
export const lastUpdateStore = createStore<number | null>(null);

export const markUpdated = (at: number = Date.now()): void => lastUpdateStore.set(at);
export const useConnection = (): ConnectionState => useStore(connectionStore);
export const useLastUpdate = (): number | null => useStore(lastUpdateStore);
