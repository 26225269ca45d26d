// The embedded IP-to-country table (country-data.ts, written by npm run build:geo):
// decoded into typed arrays on first use, so an isolate pays the cost once and a
// request that never needs it (a country header was present) pays nothing; then a
// binary search per lookup. Format: scripts/geo/encode-ranges.ts.
import { Buffer } from 'node:buffer';
import { COUNTRY_CODES, IPV4, IPV6 } from './country-data.ts';

interface Table {
  v4: Uint32Array; // starts
  v4Country: Uint8Array;
  v6: Uint32Array; // starts, four words each, most significant first
  v6Country: Uint8Array;
}

let table: Table | undefined;

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** An unsigned LEB128 varint of up to 64 bits, as two 32-bit halves (exact, no BigInt). */
class VarintReader {
  pos = 0;
  hi = 0;
  lo = 0;
  constructor(private readonly buf: Uint8Array) {}
  next(): void {
    let hi = 0, lo = 0, shift = 0, b: number;
    do {
      b = this.buf[this.pos++]!;
      const g = b & 0x7f;
      if (shift < 28) lo |= g << shift;
      else if (shift === 28) {
        lo |= (g & 0xf) << 28;
        hi = g >>> 4;
      } else hi |= g << (shift - 32);
      shift += 7;
    } while (b & 0x80);
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }
}

function decode(): Table {
  const v4 = new Uint32Array(IPV4.count);
  const r4 = new VarintReader(bytes(IPV4.starts));
  for (let i = 0, at = 0; i < v4.length; i++) {
    r4.next();
    at += r4.lo;
    v4[i] = at;
  }
  // IPv6: (distance of high halves × 2 + has-low-half), then the low half if flagged.
  const v6 = new Uint32Array(IPV6.count * 4);
  const r6 = new VarintReader(bytes(IPV6.starts));
  let hi = 0, lo = 0; // the previous start's high 64 bits
  for (let i = 0; i < IPV6.count; i++) {
    r6.next();
    const flag = r6.lo & 1;
    lo += ((r6.lo >>> 1) | (r6.hi << 31)) >>> 0;
    hi += r6.hi >>> 1;
    if (lo >= 2 ** 32) {
      lo -= 2 ** 32;
      hi += 1;
    }
    v6[4 * i] = hi;
    v6[4 * i + 1] = lo;
    if (flag) {
      r6.next();
      v6[4 * i + 2] = r6.hi;
      v6[4 * i + 3] = r6.lo;
    }
  }
  return { v4, v4Country: bytes(IPV4.countries), v6, v6Country: bytes(IPV6.countries) };
}

/** Decodes the table now (the first lookup does it otherwise). */
export function loadCountryTable(): void {
  table ??= decode();
}

const code = (n: number | undefined) => (n ? COUNTRY_CODES.slice(2 * n - 2, 2 * n) : null);

export function countryOfV4(ip: number): string | null {
  const t = (table ??= decode());
  const starts = t.v4;
  let lo = 0, hi = starts.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= ip) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : code(t.v4Country[found]);
}

/** Whether the start at index i is ≤ the address w (four words). */
function startAtOrBefore(s: Uint32Array, i: number, w: Uint32Array): boolean {
  for (let k = 0; k < 4; k++) {
    const a = s[4 * i + k]!, b = w[k]!;
    if (a !== b) return a < b;
  }
  return true;
}

export function countryOfV6(w: Uint32Array): string | null {
  const t = (table ??= decode());
  let lo = 0, hi = t.v6Country.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (startAtOrBefore(t.v6, mid, w)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : code(t.v6Country[found]);
}
