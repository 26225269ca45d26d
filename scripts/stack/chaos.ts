// `npm run chaos`: crashes under traffic lose nothing. Against the dev stack (durable
// settings: fsync and synchronous_commit on), senders post tracker batches to the ingest
// URL with the tracker's retry rules while Postgres, the API gateway and the function
// host are each killed with SIGKILL and brought back in turn. Afterwards it prints sent,
// acknowledged and stored events, and fails unless every sent event is stored exactly
// once; per Postgres crash it prints how fast the function answered 503 while Postgres
// was down (goal < 1 s, with Retry-After) and how soon after Postgres accepted
// connections it acknowledged again (goal ≤ 2 s). Loopback only; about a minute.
//
//   npm run chaos [-- --senders 8 --seconds-between 8]
import postgres from 'postgres';
import { createLoadProject } from '../bench/load-project.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.ts';
import { stackConfig } from './config.ts';
import { gatewayService } from './gateway.ts';
import { pidFile } from './service.ts';
import { bringUpGateway, currentEnv } from './stack.ts';
import { readState } from './state.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: { senders: { type: 'string', default: '8' }, 'seconds-between': { type: 'string', default: '8' } },
});
const SENDERS = Number(values.senders);
const BETWEEN_MS = Number(values['seconds-between']) * 1000;
const cfg = stackConfig('dev');
const env = await currentEnv(cfg);
if (!env) throw new Error('no dev stack: run through `npm run chaos`, which starts one');
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${msg}`);

const sql = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
const project = await createLoadProject(sql, 'chaos');
await sql.end();

/** Every answer, with its time, for the crash figures. */
const answers: { at: number; status: number | 'network'; ms: number; retryAfter: string | null }[] = [];
const stats = { sent: 0, acknowledged: 0, attempts: 0, refused: 0, givenUp: 0 };
/** A batch still unacknowledged after this long is given up (and the run fails), so a stack that never recovers ends the run instead of hanging it. */
const GIVE_UP_MS = 60_000;
let stopping = false;

/** Posts one batch until it is acknowledged, as the tracker does: retry on network errors, 429 and 5xx, never sooner than Retry-After. */
async function deliver(body: string, events: number): Promise<void> {
  let delay = 0;
  const first = Date.now();
  for (;;) {
    const started = performance.now();
    let status: number | 'network' = 'network';
    let retryAfter: string | null = null;
    try {
      const res = await fetch(env!.INGEST_URL, {
        method: 'POST', body, headers: { 'content-type': 'text/plain', 'user-agent': CHROME },
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    } catch {
      // connection refused or cut: retried
    }
    stats.attempts++;
    answers.push({ at: Date.now(), status, ms: performance.now() - started, retryAfter });
    if (status === 202) {
      stats.acknowledged += events;
      return;
    }
    if (typeof status === 'number' && status < 500 && status !== 429) {
      stats.refused += events; // a 4xx is an answer, not an outage: the run fails
      log(`refused with ${status}: ${body.slice(0, 200)}`);
      return;
    }
    if (Date.now() - first > GIVE_UP_MS) {
      stats.givenUp += events;
      return;
    }
    // The tracker's backoff (1 s doubling), shortened to 0.25–1 s so the run stays short.
    delay = Math.min(delay * 2 || 250, 1000);
    await sleep(Math.max(delay, Math.min(Number(retryAfter) * 1000 || 0, 1000)));
  }
}

async function sender(n: number): Promise<void> {
  const visitor = crypto.randomUUID();
  const session = crypto.randomUUID();
  for (let i = 0; !stopping; i++) {
    const now = Date.now();
    const events = Array.from({ length: 5 }, (_, k) => (k === 0
      ? { id: crypto.randomUUID(), type: 'pageview', ts: now, path: `/s${n}/p${i}` }
      : { id: crypto.randomUUID(), type: 'event', ts: now, path: `/s${n}/p${i}`, name: 'click', props: { k } }));
    stats.sent += events.length;
    await deliver(JSON.stringify({ project: project.public_key, sent_at: now, visitor_id: visitor, session_id: session, events }), events.length);
    await sleep(20);
  }
}

const pidIn = async (file: string) => Number((await Deno.readTextFile(file)).split('\n')[0]);
const kill = (pid: number) => Deno.kill(pid, 'SIGKILL');
/** This stack's function hosts: the gateway's children (another stack's are left alone). */
const functionHosts = async () => {
  const gateway = await pidIn(pidFile(cfg, gatewayService(cfg, {})));
  const out = await new Deno.Command('pgrep', { args: ['-P', String(gateway), '-f', 'function-host.ts'], stdout: 'piped' }).output();
  return new TextDecoder().decode(out.stdout).split('\n').filter(Boolean).map(Number);
};

interface Crash { what: string; killedAt: number; backAt: number }
const crashes: Crash[] = [];

async function crashPostgres(): Promise<void> {
  const pid = await pidIn(join(cfg.clusterDir, 'data', 'postmaster.pid'));
  const killedAt = Date.now();
  kill(pid);
  log(`killed PostgreSQL (pid ${pid}) with SIGKILL`);
  await sleep(3000);
  await startCluster(cfg); // returns once Postgres accepts connections (after crash recovery)
  const backAt = Date.now();
  log('PostgreSQL restarted and accepting connections');
  crashes.push({ what: 'PostgreSQL', killedAt, backAt });
}

async function crashGateway(): Promise<void> {
  const pid = await pidIn(pidFile(cfg, gatewayService(cfg, {})));
  const killedAt = Date.now();
  kill(pid);
  log(`killed the API gateway (pid ${pid}) with SIGKILL`);
  await sleep(2000);
  await bringUpGateway(cfg, (await readState(cfg))!);
  crashes.push({ what: 'API gateway', killedAt, backAt: Date.now() });
}

async function crashFunctionHost(): Promise<void> {
  const pids = await functionHosts();
  if (!pids.length) throw new Error('no function host is running');
  const killedAt = Date.now();
  for (const pid of pids) kill(pid);
  log(`killed the function host (pid ${pids.join(', ')}) with SIGKILL; the gateway starts a new one on the next request`);
  crashes.push({ what: 'function host', killedAt, backAt: killedAt });
}

log(`chaos: ${SENDERS} senders → ${env.INGEST_URL}, a crash every ${BETWEEN_MS / 1000} s`);
const senders = Array.from({ length: SENDERS }, (_, n) => sender(n));
let crashFailed = false;
try {
  for (const crash of [crashPostgres, crashGateway, crashFunctionHost]) {
    await sleep(BETWEEN_MS);
    await crash();
  }
  await sleep(BETWEEN_MS);
} catch (e) {
  crashFailed = true; // still count what arrived and remove the project
  log(`a crash step failed: ${(e as Error).message}`);
} finally {
  stopping = true;
  await Promise.all(senders);
}

// What is stored, once each: dedupe by event id makes a re-sent event a duplicate, never a second row.
const check = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
const [stored] = await check`select count(*)::int as rows, count(distinct id)::int as ids from crm.user_events where project_id = ${project.id}`;
await check`delete from crm.projects where id = ${project.id}`;
await check.end();

let ok = !crashFailed && stored!.rows === stats.sent && stored!.ids === stored!.rows && stats.acknowledged === stats.sent;
console.log(`\nsent ${stats.sent} events, acknowledged ${stats.acknowledged}, stored ${stored!.rows} (${stored!.ids} distinct ids), ` +
  `${stats.attempts} requests; refused ${stats.refused}, given up ${stats.givenUp}`);
for (const c of crashes) {
  const down = answers.filter((a) => a.at > c.killedAt && a.at < c.backAt);
  const after = answers.find((a) => a.at >= c.backAt && a.status === 202);
  const lost = answers.filter((a) => a.at > c.killedAt && a.status !== 202).length;
  if (c.what === 'PostgreSQL') {
    const served = down.filter((a) => a.status === 503);
    const slowest = Math.max(0, ...served.map((a) => a.ms));
    const withRetryAfter = served.every((a) => a.retryAfter);
    const resumeMs = after ? after.at - c.backAt : Infinity;
    const good = served.length > 0 && slowest < 1000 && withRetryAfter && resumeMs <= 2000;
    ok &&= good;
    console.log(`PostgreSQL crash: ${served.length} answers of 503 while down, the slowest in ${Math.round(slowest)} ms ` +
      `(goal < 1,000)${withRetryAfter ? ', each with Retry-After' : ', SOME WITHOUT Retry-After'}; ` +
      `acknowledging again ${Math.round(resumeMs)} ms after it accepted connections (goal ≤ 2,000) ${good ? 'met' : 'NOT MET'}`);
  } else {
    console.log(`${c.what} crash: ${lost} refused or failed attempts, all retried; first acknowledgement ` +
      `${after ? Math.round(after.at - c.killedAt) : '–'} ms after the kill`);
  }
}
console.log(ok ? 'chaos: nothing lost, nothing duplicated' : 'chaos: FAILED');
Deno.exit(ok ? 0 : 1);
