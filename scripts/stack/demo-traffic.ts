// Demo traffic: simulated visitors (pages, devices, identify, signups, payments,
// some idle "stuck" ones) sent through the real ingest URL, so a newcomer's first
// dashboard is alive. `npm start` runs it unless VIBE_DEMO_TRAFFIC=0.
//
//   deno run -A scripts/stack/demo-traffic.ts [--visitors 12] [--minutes 0 (= until Ctrl-C)]
//   env: INGEST_URL (default $API_URL/functions/v1/ingest), VIBE_DEMO_PROJECT_KEY
import { parseArgs } from 'node:util';
import { makeVisitor, type Visitor } from './demo/visitors.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: { visitors: { type: 'string', default: '12' }, minutes: { type: 'string', default: '0' } },
});
const apiUrl = Deno.env.get('API_URL') ?? 'http://127.0.0.1:54321';
const ingestUrl = Deno.env.get('INGEST_URL') ?? `${apiUrl}/functions/v1/ingest`;
const projectKey = Deno.env.get('VIBE_DEMO_PROJECT_KEY') ?? 'pk_demo0000000000000000';
const concurrent = Math.max(1, Number(values.visitors));
const minutes = Number(values.minutes);

const stats = { batches: 0, events: 0, failures: 0 };
const controller = new AbortController();
const sleep = (s: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, s * 1000);
    controller.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

async function send(v: Visitor, events: Record<string, unknown>[]): Promise<void> {
  const now = Date.now();
  const body = JSON.stringify({
    project: projectKey, sent_at: now, visitor_id: v.visitorId, session_id: v.sessionId,
    events: events.map((e) => ({ ...e, ts: now })),
  });
  // A failed batch is retried a few times, like the tracker does.
  for (let attempt = 0; attempt < 4 && !controller.signal.aborted; attempt++) {
    try {
      const res = await fetch(ingestUrl, {
        method: 'POST', body,
        headers: {
          'content-type': 'text/plain', 'user-agent': v.userAgent, origin: 'https://demo.vibe-crm.dev',
          // The local stack has no IP geolocation: the gateway passes a client's country on
          // (Cloudflare sets it from the address on hosted). The address itself is the
          // connection's, as on hosted: every demo visitor shares 127.0.0.1.
          'cf-ipcountry': v.country,
        },
      });
      await res.body?.cancel();
      if (res.ok) {
        stats.batches++;
        stats.events += events.length;
        return;
      }
      if (res.status < 500 && res.status !== 429) break;
    } catch {
      // network error: retry
    }
    await sleep(2 ** attempt);
  }
  stats.failures++;
}

async function visitorLoop(slot: number): Promise<void> {
  // Slots start staggered so the first minute does not arrive all at once.
  await sleep(slot * 1.5);
  for (let n = 0; !controller.signal.aborted; n++) {
    const v = makeVisitor(Date.now() % 1_000_000 * 100 + slot * 7 + n);
    for (const step of v.steps) {
      await sleep(step.wait);
      if (controller.signal.aborted) return;
      await send(v, step.events);
    }
  }
}

console.log(`demo traffic: ${concurrent} concurrent visitors → ${ingestUrl} (project ${projectKey})`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(sig, () => controller.abort());
if (minutes > 0) setTimeout(() => controller.abort(), minutes * 60_000);
const report = setInterval(() => {
  console.log(`demo traffic: ${stats.batches} batches, ${stats.events} events sent, ${stats.failures} failed`);
}, 60_000);
await Promise.all(Array.from({ length: concurrent }, (_, i) => visitorLoop(i)));
clearInterval(report);
console.log(`demo traffic stopped: ${stats.batches} batches, ${stats.events} events, ${stats.failures} failed`);
