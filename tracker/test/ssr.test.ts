import { expect, it } from 'vitest';

it('the ESM module can be imported where there is no window (SSR); only init needs one', async () => {
  expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
  const m = await import('../src/index');
  expect(Object.keys(m).sort()).toEqual(['identify', 'init', 'reset', 'track']);
  m.track('before-init'); // kept for init, never throws
});
