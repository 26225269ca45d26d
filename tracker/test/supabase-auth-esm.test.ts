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

it('supabaseAuth: a function returning the token identifies, refreshes and resets (null: signed out)', async () => {
  let token: string | null | undefined;
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

  token = null;
  await vi.advanceTimersByTimeAsync(1000);
  track('signed-out');
  await vi.advanceTimersByTimeAsync(1000);
  const [first, out] = [events()[0]!, events().find((e) => e.name === 'signed-out')!];
  expect(out.v).not.toBe(first.v);
});

it('supabaseAuth: undefined is "not known yet": a page loading its session is no sign-out', async () => {
  // A previous page of this visitor saw the token; this page's app has not loaded its session yet.
  let token: string | null | undefined;
  localStorage.setItem('vibe_a', JSON.stringify('h.p.signature-1'.slice(-9)));
  localStorage.setItem('vibe_v', JSON.stringify('11111111-1111-4111-8111-111111111111'));
  await init({ supabaseAuth: () => token });
  await vi.advanceTimersByTimeAsync(3000);
  token = 'h.p.signature-1'; // the same session, known now
  await vi.advanceTimersByTimeAsync(3000);
  expect(new Set(events().map((e) => e.v))).toEqual(new Set(['11111111-1111-4111-8111-111111111111']));
  expect(events().map((e) => e.type)).toEqual(['pageview']);
});

it('supabaseAuth: a function returning \'\' (or a non-string) is signed out, the same as null: no spurious reset', async () => {
  let token: unknown = '';
  const { track } = await init({ supabaseAuth: () => token as string });
  await vi.advanceTimersByTimeAsync(2000);
  token = 42;
  await vi.advanceTimersByTimeAsync(2000);
  token = null;
  await vi.advanceTimersByTimeAsync(2000);
  track('still-the-same-visitor');
  await vi.advanceTimersByTimeAsync(2000);
  expect(events().map((e) => e.type)).toEqual(['pageview', 'event']);
  expect(new Set(events().map((e) => e.v)).size).toBe(1);
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
