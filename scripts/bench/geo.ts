// `npm run bench:geo`: the cost of the ingest function's IP-to-country table
// (supabase/functions/ingest/geo/). Needs no stack. Prints the module's size (on disk
// and gzip), the cold cost in fresh processes (import + first decode), and the warm
// cost of one lookup from the address text, IPv4 and IPv6 apart. A benchmark, not a
// test: it asserts nothing. Knobs: BENCH_COLD_RUNS (5), BENCH_LOOKUPS (100000).
import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';

const GEO = new URL('../../supabase/functions/ingest/geo/', import.meta.url);
const num = (k: string, d: number) => Number(Deno.env.get(k) ?? d);

// Child mode: one cold start, measured inside a fresh process.
if (Deno.args[0] === '--cold') {
  const t0 = performance.now();
  const table = await import(new URL('country-table.ts', GEO).href);
  const t1 = performance.now();
  table.loadCountryTable();
  const t2 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, decodeMs: t2 - t1 }));
  Deno.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

const data = await Deno.readFile(new URL('country-data.ts', GEO));
console.log(
  `country-data.ts: ${(data.length / 1e6).toFixed(2)} MB on disk, ${
    (gzipSync(Buffer.from(data)).length / 1e6).toFixed(2)
  } MB gzip`,
);

const runs = num('BENCH_COLD_RUNS', 5);
const cold: { importMs: number; decodeMs: number }[] = [];
for (let i = 0; i < runs + 1; i++) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '--allow-read', import.meta.filename!, '--cold'],
    stderr: 'inherit',
  }).output();
  if (!out.success) throw new Error('cold run failed');
  // The first run may transpile the module into Deno's cache; a deployed bundle is
  // transpiled already, so it is left out.
  if (i > 0) cold.push(JSON.parse(new TextDecoder().decode(out.stdout)));
}
const imp = cold.map((c) => c.importMs), dec = cold.map((c) => c.decodeMs);
const tot = cold.map((c) => c.importMs + c.decodeMs);
console.log(
  `cold, ${runs} fresh processes: import ${median(imp).toFixed(1)} ms (${range(imp)}), ` +
    `first decode ${median(dec).toFixed(1)} ms (${range(dec)}), total ${
      median(tot).toFixed(1)
    } ms (${range(tot)})`,
);

const { countryOfIp } = await import(new URL('country-of-ip.ts', GEO).href);
countryOfIp('1.1.1.1'); // decode before timing
const n = num('BENCH_LOOKUPS', 100_000);
const rnd = (bits: number) => Math.floor(Math.random() * 2 ** bits);
const hex = () => rnd(16).toString(16);
const v4 = Array.from({ length: n }, () => `${1 + rnd(8) % 223}.${rnd(8)}.${rnd(8)}.${rnd(8)}`);
// 2000::/4, where the data is (global unicast in use), with random interface ids.
const v6 = Array.from(
  { length: n },
  () =>
    `${
      (0x2000 + rnd(12)).toString(16)
    }:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}`,
);

function warm(label: string, ips: string[]): void {
  let found = 0;
  for (const ip of ips.slice(0, 1000)) countryOfIp(ip); // let the JIT settle
  const t0 = performance.now();
  for (const ip of ips) if (countryOfIp(ip)) found++;
  const us = ((performance.now() - t0) * 1000) / ips.length;
  console.log(
    `warm ${label}: ${
      us.toFixed(2)
    } µs per lookup over ${ips.length} random addresses (${found} with a country)`,
  );
}
warm('IPv4', v4);
warm('IPv6', v6);
