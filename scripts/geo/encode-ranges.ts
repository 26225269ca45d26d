// Turns IP ranges with a country into the compact form the ingest function embeds
// (decoded by supabase/functions/ingest/geo/country-table.ts): the sorted start of every
// stretch of addresses with one country (or none), as LEB128 varints of the gap to the
// previous start, and one byte per start for its country. Written with BigInt, apart
// from the function's decoder, so the lookup tests check one against the other.

export interface Range {
  start: bigint;
  end: bigint; // inclusive
  country: string;
}

/** A start and the country from there to the next start; null = no country. */
export interface Point {
  key: bigint;
  country: string | null;
}

/** Parses a `-num.csv` of @ip-location-db (`start,end,CC` per line, decimal numbers). */
export function parseNumCsv(text: string): Range[] {
  const ranges: Range[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [start, end, country] = line.trim().split(',');
    if (!start || !end || !country || !/^[A-Z]{2}$/.test(country)) {
      throw new Error(`bad line: ${line}`);
    }
    ranges.push({ start: BigInt(start), end: BigInt(end), country });
  }
  return ranges;
}

/**
 * Sorted starts for `ranges` over an address space of `bits`: adjacent ranges of one
 * country merge into one, and every hole between ranges (or after the last) starts a
 * stretch without a country. Overlapping ranges are an error in the data.
 */
export function toPoints(ranges: Range[], bits: number): Point[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const max = (1n << BigInt(bits)) - 1n;
  const points: Point[] = [];
  let next = 0n; // first address not yet covered
  for (const r of sorted) {
    if (r.start < next) throw new Error(`overlapping ranges at ${r.start}`);
    if (r.end < r.start || r.end > max) throw new Error(`bad range ${r.start}-${r.end}`);
    if (r.start > next && points.length) points.push({ key: next, country: null });
    if (points.at(-1)?.country !== r.country) points.push({ key: r.start, country: r.country });
    next = r.end + 1n;
  }
  if (next <= max && points.length) points.push({ key: next, country: null });
  return points;
}

/** Unsigned LEB128: 7 bits per byte, low first, high bit set while more follow. */
function pushVarint(out: number[], value: bigint): void {
  if (value < 0n || value >= 1n << 64n) throw new Error(`varint out of range: ${value}`);
  do {
    const low = Number(value & 0x7fn);
    value >>= 7n;
    out.push(value ? low | 0x80 : low);
  } while (value);
}

export interface Encoded {
  count: number;
  starts: Uint8Array;
  countries: Uint8Array;
}

/**
 * IPv4: each start as the varint of its distance to the previous one (from 0).
 * IPv6: keys split into their high and low 64 bits. Starts almost always lie on a /64
 * boundary, so the varint holds (distance of the high halves × 2 + 1 if the low half is
 * not zero), followed, only then, by the low half as a second varint.
 */
export function encode(points: Point[], family: 4 | 6, codes: string[]): Encoded {
  const starts: number[] = [];
  const countries = new Uint8Array(points.length);
  const mask = (1n << 64n) - 1n;
  let prev = 0n;
  points.forEach((p, i) => {
    countries[i] = p.country === null ? 0 : codes.indexOf(p.country) + 1;
    if (family === 4) {
      pushVarint(starts, p.key - prev);
      prev = p.key;
      return;
    }
    const hi = p.key >> 64n;
    const lo = p.key & mask;
    pushVarint(starts, ((hi - prev) << 1n) | (lo ? 1n : 0n));
    if (lo) pushVarint(starts, lo);
    prev = hi;
  });
  return { count: points.length, starts: new Uint8Array(starts), countries };
}
