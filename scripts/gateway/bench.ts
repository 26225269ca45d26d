// `npm run bench:gateway`: measures the local gateway against the running dev stack
// (`npm run up` first). A benchmark, not a test: it prints figures, asserts nothing.
//  1. Broadcast latency: N subscribers (supabase-js, private channel) while SQL
//     issues realtime.send at a fixed rate; latency = callback time − the time the
//     INSERT was issued (so it includes the commit: an upper bound of commit → callback).
//  2. RPC overhead: the same function through /rest/v1/rpc and called directly in SQL.
// Bounded: fixed counts, loopback only. Knobs: BENCH_SUBSCRIBERS, BENCH_RATE,
// BENCH_SECONDS, BENCH_RPC_CALLS.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import { apiUrl, dbUrl, stackConfig } from '../stack/config.ts';
import { readState } from '../stack/state.ts';

const num = (k: string, d: number) => Number(Deno.env.get(k) ?? d);
const SUBSCRIBERS = num('BENCH_SUBSCRIBERS', 100);
const RATE = num('BENCH_RATE', 200);
const SECONDS = num('BENCH_SECONDS', 10);
const RPC_CALLS = num('BENCH_RPC_CALLS', 2000);
const TOPIC = `bench:${crypto.randomUUID().slice(0, 8)}`;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

const cfg = stackConfig('dev');
const state = await readState(cfg);
const url = apiUrl(cfg);
try {
  if (!state) throw new Error('no dev stack');
  const h = await fetch(`${url}/health`);
  await h.body?.cancel();
  if (!h.ok) throw new Error(`health ${h.status}`);
} catch (e) {
  console.error(`✗ the dev stack's gateway is not answering on ${url} (${(e as Error).message}): run \`npm run up\` first`);
  Deno.exit(1);
}
const sql = postgres(dbUrl(cfg), { prepare: false, max: 4, onnotice: () => {} });

async function broadcastLatency(): Promise<void> {
  console.log(`\n── broadcast: ${SUBSCRIBERS} subscribers, ${RATE} messages/s for ${SECONDS} s (private channel ${TOPIC}) ──`);
  const clients: SupabaseClient[] = [];
  const latencies: number[] = [];
  let delivered = 0;
  try {
    // Join in small groups so the authorisation probes do not all queue at once.
    for (let i = 0; i < SUBSCRIBERS; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, SUBSCRIBERS - i) }, async () => {
        const c = createClient(url, state!.serviceRoleKey, { auth: { persistSession: false, autoRefreshToken: false } });
        clients.push(c);
        await new Promise<void>((resolve, reject) => {
          c.channel(TOPIC, { config: { private: true } })
            .on('broadcast', { event: 'bench' }, (m) => {
              latencies.push(now() - (m.payload as { t: number }).t);
              delivered++;
            })
            .subscribe((status, err) => {
              if (status === 'SUBSCRIBED') resolve();
              else if (status !== 'CLOSED') reject(new Error(`${status}: ${err?.message ?? ''}`));
            });
        });
      }));
    }
    console.log(`• ${clients.length} subscribed`);
    const total = RATE * SECONDS;
    const start = now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / RATE - now();
      if (wait > 1) await sleep(wait);
      const p: Promise<unknown> = sql`select realtime.send(jsonb_build_object('t', ${now()}::float8), 'bench', ${TOPIC}, true)`
        .then((): unknown => inflight.delete(p));
      inflight.add(p);
      if (inflight.size > 64) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const sentIn = (now() - start) / 1000;
    const expected = total * clients.length;
    const deadline = now() + 10_000;
    while (delivered < expected && now() < deadline) await sleep(50);
    latencies.sort((a, b) => a - b);
    console.log(`• sent ${total} in ${sentIn.toFixed(1)} s (${(total / sentIn).toFixed(0)}/s); delivered ${delivered}/${expected}`);
    console.log(`  latency p50 ${fmt(pct(latencies, 50))}  p95 ${fmt(pct(latencies, 95))}  p99 ${fmt(pct(latencies, 99))}  max ${fmt(latencies.at(-1) ?? NaN)}`);
    console.log(`  goal p95 ≤ 100 ms: ${pct(latencies, 95) <= 100 && delivered === expected ? 'met' : 'NOT met'}`);
  } finally {
    for (const c of clients) {
      await c.removeAllChannels();
      c.realtime.disconnect();
    }
    await sql`delete from realtime.messages where topic = ${TOPIC}`;
  }
}

async function rpcOverhead(): Promise<void> {
  console.log(`\n── RPC overhead: ${RPC_CALLS} sequential calls of public.gwbench_echo(n) ──`);
  await sql.unsafe(`create or replace function public.gwbench_echo(n int) returns int language sql stable as 'select n';
    revoke execute on function public.gwbench_echo(int) from public;
    grant execute on function public.gwbench_echo(int) to anon`);
  try {
    const time = async (label: string, call: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 100; i++) await call(i); // warm-up
      const t: number[] = [];
      for (let i = 0; i < RPC_CALLS; i++) {
        const s = now();
        await call(i);
        t.push(now() - s);
      }
      t.sort((a, b) => a - b);
      console.log(`  ${label.padEnd(34)} p50 ${fmt(pct(t, 50))}  p95 ${fmt(pct(t, 95))}`);
      return t;
    };
    const headers = { apikey: state!.anonKey, 'content-type': 'application/json' };
    const via = await time('through the gateway (HTTP + tx)', async (i) => {
      const r = await fetch(`${url}/rest/v1/rpc/gwbench_echo`, { method: 'POST', headers, body: `{"n":${i}}` });
      if ((await r.text()) !== String(i)) throw new Error(`unexpected answer from the gateway (${r.status})`);
    });
    const direct = await time('direct SQL (select gwbench_echo)', (i) => sql`select public.gwbench_echo(${i})`);
    console.log(
      `  overhead of the gateway: p50 ${fmt(pct(via, 50) - pct(direct, 50))}  p95 ${fmt(pct(via, 95) - pct(direct, 95))}`,
    );
  } finally {
    await sql.unsafe('drop function if exists public.gwbench_echo(int)');
  }
}

try {
  await broadcastLatency();
  await rpcOverhead();
} catch (e) {
  console.error(`✗ ${(e as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await sql.end({ timeout: 2 });
}
Deno.exit(Deno.exitCode);
