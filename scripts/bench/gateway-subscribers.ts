// Worker of bench.ts: the subscribers live on their own thread, so the sender's
// pacing and the latency measurement do not wait on each other's event loop.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';

export interface StartMessage {
  url: string;
  key: string;
  topic: string;
  subscribers: number;
}

// Wall clock, like Postgres's clock_timestamp() that stamps each message: a monotonic
// clock plus this worker's start time can drift from it by whole milliseconds.
const now = () => Date.now();
const clients: SupabaseClient[] = [];
const latencies: number[] = [];
const scope = self as unknown as {
  onmessage: (e: MessageEvent) => void;
  postMessage: (m: unknown) => void;
};

async function start({ url, key, topic, subscribers }: StartMessage): Promise<void> {
  // Join in small groups so the authorisation probes do not all queue at once.
  for (let i = 0; i < subscribers; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, subscribers - i) }, async () => {
      const c = createClient(url, key, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.channel(topic, { config: { private: true } })
          .on(
            'broadcast',
            { event: 'bench' },
            (m) => latencies.push(now() - (m.payload as { t: number }).t),
          )
          .subscribe((status, err) => {
            if (status === 'SUBSCRIBED') resolve();
            else if (status !== 'CLOSED') reject(new Error(`${status}: ${err?.message ?? ''}`));
          });
      });
    }));
  }
}

scope.onmessage = async (e: MessageEvent) => {
  const msg = e.data as { type: 'start'; start: StartMessage } | { type: 'count' } | {
    type: 'stop';
  };
  try {
    if (msg.type === 'start') {
      await start(msg.start);
      scope.postMessage({ type: 'ready', subscribed: clients.length });
    } else if (msg.type === 'count') {
      scope.postMessage({ type: 'count', delivered: latencies.length });
    } else {
      for (const c of clients) {
        await c.removeAllChannels();
        c.realtime.disconnect();
      }
      scope.postMessage({ type: 'done', latencies });
    }
  } catch (err) {
    scope.postMessage({ type: 'error', message: (err as Error).message });
  }
};
