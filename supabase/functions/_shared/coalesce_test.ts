import assert from 'node:assert/strict';
import { coalesce } from './coalesce.ts';

Deno.test('concurrent calls share one batched call and each gets its own result', async () => {
  const calls: number[][] = [];
  const call = coalesce(async (items: number[]) => {
    calls.push(items);
    return items.map((n) => n * 10);
  }, { windowMs: 5, maxItems: 100 });
  const results = await Promise.all([1, 2, 3, 4].map(call));
  assert.deepEqual(results, [10, 20, 30, 40]);
  assert.deepEqual(calls, [[1, 2, 3, 4]]);
});

Deno.test('a full group is flushed without waiting for the window', async () => {
  const calls: number[][] = [];
  const call = coalesce(async (items: number[]) => {
    calls.push(items);
    return items;
  }, { windowMs: 10_000, maxItems: 2 });
  assert.deepEqual(await Promise.all([call(1), call(2)]), [1, 2]);
  assert.deepEqual(calls, [[1, 2]]);
});

Deno.test('when a group fails, its items are retried alone so only the poison one fails', async () => {
  const call = coalesce(async (items: number[]) => {
    if (items.includes(13)) throw new Error('poison');
    return items;
  }, { windowMs: 5, maxItems: 100 });
  const settled = await Promise.allSettled([call(1), call(13), call(2)]);
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
});

Deno.test('nobody is answered before the batched call finished', async () => {
  let finished = false;
  const call = coalesce(async (items: number[]) => {
    await new Promise((r) => setTimeout(r, 20));
    finished = true;
    return items;
  }, { windowMs: 1, maxItems: 100 });
  await call(1);
  assert.equal(finished, true);
});

Deno.test('while every slot is busy, arriving items wait and then go as one group', async () => {
  const calls: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const call = coalesce(async (items: number[]) => {
    calls.push(items);
    if (calls.length === 1) await gate; // the first group holds the only slot
    return items;
  }, { windowMs: 1, maxItems: 100, maxInFlight: 1 });
  const first = call(1);
  await new Promise((r) => setTimeout(r, 10)); // the first group is running now
  const rest = [2, 3, 4].map(call);
  await new Promise((r) => setTimeout(r, 10)); // well past the window: still waiting for the slot
  assert.deepEqual(calls, [[1]]);
  release();
  assert.deepEqual(await Promise.all([first, ...rest]), [1, 2, 3, 4]);
  assert.deepEqual(calls, [[1], [2, 3, 4]]);
});

Deno.test('a group never exceeds maxItems, also when many wait for a slot', async () => {
  const calls: number[][] = [];
  const call = coalesce(async (items: number[]) => {
    calls.push(items);
    await new Promise((r) => setTimeout(r, 5));
    return items;
  }, { windowMs: 1, maxItems: 3, maxInFlight: 1 });
  const out = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(call));
  assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(calls.every((g) => g.length <= 3), JSON.stringify(calls));
  assert.deepEqual(calls.flat(), [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test('beyond maxQueued waiting items a call fails at once with QUEUE_FULL', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const call = coalesce(async (items: number[]) => {
    await gate;
    return items;
  }, { windowMs: 1, maxItems: 100, maxInFlight: 1, maxQueued: 2 });
  const first = call(1); // joins the queue, then runs and holds the only slot
  await new Promise((r) => setTimeout(r, 10));
  const waiting = [call(2), call(3)]; // the queue is full now
  await assert.rejects(call(4), (e: { code?: string }) => e.code === 'QUEUE_FULL');
  release();
  assert.deepEqual(await Promise.all([first, ...waiting]), [1, 2, 3]);
});

Deno.test('with splitOnError false a failed group fails whole, without a retry per item', async () => {
  let calls = 0;
  const call = coalesce(async (_items: number[]): Promise<number[]> => {
    calls++;
    throw new Error('database gone');
  }, { windowMs: 5, maxItems: 100, splitOnError: false });
  const settled = await Promise.allSettled([call(1), call(2), call(3)]);
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
  assert.equal(calls, 1);
});

Deno.test('splitOnError as a function: split for the errors it names, fail whole for the rest', async () => {
  let calls = 0;
  const run = coalesce(async (items: string[]) => {
    calls++;
    if (items.includes('bad')) throw Object.assign(new Error('bad data'), { code: '22P05' });
    if (items.includes('down')) throw Object.assign(new Error('gone'), { code: '08006' });
    return items.map((x) => x.toUpperCase());
  }, { windowMs: 5, maxItems: 100, splitOnError: (e) => (e as { code: string }).code.startsWith('22') });
  const data = await Promise.allSettled([run('a'), run('bad'), run('b')]);
  assert.deepEqual(data.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  calls = 0;
  const outage = await Promise.allSettled([run('c'), run('down')]);
  assert.deepEqual(outage.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(calls, 1, 'an outage is not retried item by item');
});
