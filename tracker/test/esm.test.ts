// @vitest-environment happy-dom
import { afterEach, expect, it, vi } from 'vitest';
import { identify, init, reset, track } from '../src/index';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

// One test: init runs once per module, as on a page.
it('the ESM build keeps calls made before init, maps its options and ignores a second init', async () => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 25, 12) });
  const batches: { project: string; visitor_id?: string; events: { type: string; name?: string; email?: string }[] }[] = [];
  vi.stubGlobal('fetch', async (_: string, o: { body: string }) => {
    batches.push(JSON.parse(o.body));
    return { status: 202 };
  });
  track('early', { a: 1 });
  identify({ email: 'ann@example.com' });
  expect(batches).toEqual([]);

  // happy-dom runs on localhost with navigator.webdriver set: allowLocalhost lets it track.
  init({ project: 'pk_test1234', api: 'https://ref.supabase.co/functions/v1/ingest', cookieless: true, allowLocalhost: true });
  init({ project: 'pk_other5678', api: 'https://elsewhere.example/' });
  await vi.advanceTimersByTimeAsync(0);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.project).toBe('pk_test1234');
  expect(batches[0]).not.toHaveProperty('visitor_id'); // cookieless
  expect(batches[0]!.events.map((e) => e.name ?? e.email ?? e.type)).toEqual(['pageview', 'early', 'ann@example.com']);

  reset();
  track('later');
  await vi.advanceTimersByTimeAsync(1000);
  expect(batches[1]!.events.map((e) => e.name)).toEqual(['later']);
  expect(localStorage.length + sessionStorage.length).toBe(0);
});
