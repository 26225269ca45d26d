// @vitest-environment happy-dom
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

// The ESM `supabaseAuth` option. init runs once per module instance: each test imports a fresh one.
type Batch = { visitor_id?: string; events: { type: string; token?: string; name?: string }[] };
let batches: Batch[];
const events = () => batches.flatMap((b) => b.events.map((e) => ({ ...e, v: b.visitor_id })));
const init = async (o: object) => {
  vi.resetModules();
  const m = await import('../src/index');
  // happy-dom runs on localhost with navigator.webdriver set: allowLocalhost lets it track.
  m.init({ project: 'pk_test1234', api: 'https://ref.supabase.co/functions/v1/ingest', allowLocalhost: true, ...o });
  return m;
};

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 25, 12) });
  batches = [];
  vi.stubGlobal('fetch', async (_: string, o: { body: string }) => {
    batches.push(JSON.parse(o.body));
    return { status: 202 };
  });
});
afterEach(() => {
  vi.clearAllTimers(); // the module's intervals
  vi.useRealTimers();
  vi.unstubAllGlobals();
  localStorage.clear();
  sessionStorage.clear();
});

it('supabaseAuth: a function returning the token identifies, refreshes and resets', async () => {
  let token: string | undefined;
  const { track } = await init({ supabaseAuth: () => token });
  await vi.advanceTimersByTimeAsync(3000);
  expect(events().map((e) => e.type)).toEqual(['pageview']);

  token = 'h.p.signature-1';
  await vi.advanceTimersByTimeAsync(2000);
  token = 'h.p.signature-2';
  await vi.advanceTimersByTimeAsync(2000);
  await vi.advanceTimersByTimeAsync(5000); // unchanged: no repeat
  expect(events().filter((e) => e.type === 'identify')).toEqual([
    expect.objectContaining({ token: 'h.p.signature-1' }),
    expect.objectContaining({ token: 'h.p.signature-2' }),
  ]);

  token = undefined;
  await vi.advanceTimersByTimeAsync(1000);
  track('signed-out');
  await vi.advanceTimersByTimeAsync(1000);
  const [first, out] = [events()[0]!, events().find((e) => e.name === 'signed-out')!];
  expect(out.v).not.toBe(first.v);
});

it('supabaseAuth: a function that throws keeps its last answer', async () => {
  let token: string | Error = 'h.p.signature-1';
  await init({
    supabaseAuth: () => {
      if (token instanceof Error) throw token;
      return token;
    },
  });
  await vi.advanceTimersByTimeAsync(1000);
  token = new Error('session store unavailable');
  await vi.advanceTimersByTimeAsync(5000);
  const visitors = new Set(events().map((e) => e.v));
  expect(events().map((e) => e.type)).toEqual(['pageview', 'identify']);
  expect(visitors.size).toBe(1); // no reset
});

it('supabaseAuth: true reads the session supabase-js keeps in localStorage', async () => {
  await init({ supabaseAuth: true });
  localStorage.setItem('sb-abc-auth-token', JSON.stringify({ access_token: 'h.p.from-storage' }));
  await vi.advanceTimersByTimeAsync(2000);
  expect(events().filter((e) => e.type === 'identify')).toEqual([expect.objectContaining({ token: 'h.p.from-storage' })]);
});

it('supabaseAuth: false (or absent) reads nothing', async () => {
  localStorage.setItem('sb-abc-auth-token', JSON.stringify({ access_token: 'h.p.from-storage' }));
  await init({ supabaseAuth: false });
  await vi.advanceTimersByTimeAsync(5000);
  expect(events().map((e) => e.type)).toEqual(['pageview']);
});
