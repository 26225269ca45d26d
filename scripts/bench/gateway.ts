// `npm run bench:gateway`: measures the local gateway against the running dev stack
// (`npm run up` first). A benchmark, not a test: it prints figures, asserts nothing.
//  1. Broadcast latency: N subscribers (supabase-js, private channel) while SQL
//     issues realtime.send at a fixed rate; latency = callback time − clock_timestamp()
//     taken by the inserting statement (same machine clock), i.e. commit → callback.
//  2. RPC overhead: the same function through /rest/v1/rpc and called directly in SQL.
// Bounded: fixed counts, loopback only. Knobs: BENCH_SUBSCRIBERS, BENCH_RATE,
// BENCH_SECONDS, BENCH_RPC_CALLS.
import postgres from 'postgres';
import { apiUrl, dbUrl, stackConfig } from '../stack/config.ts';
import { readState } from '../stack/state.ts';
import { join } from 'node:path';

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
  console.error(
    `✗ the dev stack's gateway is not answering on ${url} (${
      (e as Error).message
    }): run \`npm run up\` first`,
  );
  Deno.exit(1);
}
// synchronous_commit off: the latency is measured from the commit, so the WAL flush
// of the sender's own commit (disk latency on a shared machine) is not counted.
const sql = postgres(dbUrl(cfg), {
  prepare: false,
  max: 4,
  onnotice: () => {},
  connection: { synchronous_commit: 'off' },
});
// The figures depend on what else the machine runs: print it with them.
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(' ');
/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | 'self'): number {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return NaN;
  }
}
const gatewayPid = (() => {
  try {
    return Number(Deno.readTextFileSync(join(cfg.stateDir, 'gateway.pid')).trim());
  } catch {
    return NaN;
  }
})();
console.log(`gateway ${url}; ${navigator.hardwareConcurrency} CPUs, load average ${load()}`);

/** Talks to the subscriber worker: one request, one answer of the given type. */
function ask<T>(worker: Worker, msg: unknown, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      const data = e.data as { type: string; message?: string };
      if (data.type === 'error') reject(new Error(data.message));
      else if (data.type === type) resolve(data as T);
    };
    worker.postMessage(msg);
  });
}

async function broadcastLatency(): Promise<void> {
  console.log(
    `\n── broadcast: ${SUBSCRIBERS} subscribers, ${RATE} messages/s for ${SECONDS} s (private channel ${TOPIC}) ──`,
  );
  const worker = new Worker(new URL('./gateway-subscribers.ts', import.meta.url), { type: 'module' });
  try {
    const { subscribed } = await ask<{ subscribed: number }>(worker, {
      type: 'start',
      start: { url, key: state!.serviceRoleKey, topic: TOPIC, subscribers: SUBSCRIBERS },
    }, 'ready');
    console.log(`• ${subscribed} subscribed (supabase-js clients on a worker thread)`);
    const total = RATE * SECONDS;
    const cpu0 = { gateway: cpuSeconds(gatewayPid), bench: cpuSeconds('self') };
    const start = now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / RATE - now();
      if (wait > 1) await sleep(wait);
      // The timestamp is taken inside the inserting statement, on the same clock: commit → callback.
      const p: Promise<unknown> = sql`select realtime.send(
          jsonb_build_object('t', extract(epoch from clock_timestamp()) * 1000), 'bench', ${TOPIC}, true)`
        .then((): unknown => inflight.delete(p));
      inflight.add(p);
      if (inflight.size > 64) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const sentIn = (now() - start) / 1000;
    const expected = total * subscribed;
    const deadline = now() + 10_000;
    let delivered = 0;
    while (now() < deadline) {
      delivered = (await ask<{ delivered: number }>(worker, { type: 'count' }, 'count')).delivered;
      if (delivered >= expected) break;
      await sleep(100);
    }
    const wall = (now() - start) / 1000;
    const share = (k: 'gateway' | 'bench') =>
      `${
        (((cpuSeconds(k === 'gateway' ? gatewayPid : 'self') - cpu0[k]) / wall) * 100).toFixed(0)
      }%`;
    const cpu = `gateway ${share('gateway')}, bench process (sender + subscribers) ${
      share('bench')
    } of one CPU`;
    const { latencies } = await ask<{ latencies: number[] }>(worker, { type: 'stop' }, 'done');
    latencies.sort((a, b) => a - b);
    console.log(
      `• sent ${total} in ${sentIn.toFixed(1)} s (${
        (total / sentIn).toFixed(0)
      }/s); delivered ${latencies.length}/${expected}`,
    );
    console.log(
      `  latency p50 ${fmt(pct(latencies, 50))}  p95 ${fmt(pct(latencies, 95))}  p99 ${
        fmt(pct(latencies, 99))
      }  max ${fmt(latencies.at(-1) ?? NaN)}`,
    );
    console.log(`  CPU while sending: ${cpu}; load average now ${load()}`);
    console.log(
      `  goal p95 ≤ 100 ms: ${
        pct(latencies, 95) <= 100 && latencies.length === expected ? 'met' : 'NOT met'
      }`,
    );
  } finally {
    worker.terminate();
    await sql`delete from realtime.messages where topic = ${TOPIC}`;
  }
}

async function rpcOverhead(): Promise<void> {
  console.log(`\n── RPC overhead: ${RPC_CALLS} sequential calls of public.gwbench_echo(n) ──`);
  await sql.unsafe(
    `create or replace function public.gwbench_echo(n int) returns int language sql stable as 'select n';
    revoke execute on function public.gwbench_echo(int) from public;
    grant execute on function public.gwbench_echo(int) to anon`,
  );
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
      const r = await fetch(`${url}/rest/v1/rpc/gwbench_echo`, {
        method: 'POST',
        headers,
        body: `{"n":${i}}`,
      });
      if ((await r.text()) !== String(i)) {
        throw new Error(`unexpected answer from the gateway (${r.status})`);
      }
    });
    const direct = await time(
      'direct SQL (select gwbench_echo)',
      (i) => sql`select public.gwbench_echo(${i})`,
    );
    console.log(
      `  overhead of the gateway: p50 ${fmt(pct(via, 50) - pct(direct, 50))}  p95 ${
        fmt(pct(via, 95) - pct(direct, 95))
      }`,
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
