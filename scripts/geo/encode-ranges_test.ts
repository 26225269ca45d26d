import assert from 'node:assert/strict';
import { encode, parseNumCsv, toPoints } from './encode-ranges.ts';

Deno.test('adjacent ranges of one country merge; holes and the space after the last range get no country', () => {
  const ranges = parseNumCsv('10,19,NL\n20,29,NL\n30,39,BE\n50,59,BE\n');
  assert.deepEqual(toPoints(ranges, 32), [
    { key: 10n, country: 'NL' },
    { key: 30n, country: 'BE' },
    { key: 40n, country: null },
    { key: 50n, country: 'BE' },
    { key: 60n, country: null },
  ]);
  // A range up to the last address leaves nothing after it.
  assert.equal(toPoints(parseNumCsv('0,4294967295,US'), 32).length, 1);
});

Deno.test('overlapping ranges and malformed lines are refused', () => {
  assert.throws(() => toPoints(parseNumCsv('10,19,NL\n15,29,BE'), 32), /overlapping/);
  assert.throws(() => toPoints(parseNumCsv('0,4294967296,NL'), 32), /bad range/);
  assert.throws(() => parseNumCsv('10,19,Netherlands'), /bad line/);
});

Deno.test('IPv4 starts are varints of their distance; countries index the code list from 1', () => {
  const e = encode([{ key: 1n, country: 'BE' }, { key: 301n, country: null }], 4, ['BE', 'NL']);
  assert.deepEqual([...e.starts], [1, 0xac, 0x02]); // 1, then 300 = 0b10_0101100
  assert.deepEqual([...e.countries], [1, 0]);
});

Deno.test('IPv6 starts carry the low half only when it is not zero', () => {
  const e = encode(
    [{ key: 2n << 64n, country: 'NL' }, { key: (2n << 64n) + 5n, country: 'BE' }],
    6,
    ['BE', 'NL'],
  );
  // (2 - 0) × 2 + 0 = 4; then (2 - 2) × 2 + 1 = 1 followed by the low half 5.
  assert.deepEqual([...e.starts], [4, 1, 5]);
  assert.deepEqual([...e.countries], [2, 1]);
});
