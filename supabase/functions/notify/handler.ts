// Edge Function `notify`: pg_net posts {delivery_id, attempt} here for every alert
// delivery that leaves the database (webhook, Slack, email). The function claims the
// delivery (SQL builds and signs the request) and answers 202 at once; then, in the
// background, it sends the request once with a deadline and reports the outcome, and
// SQL decides about retries. Answering first matters on hosted: pg_net sends its queue
// in batches and starts the next only when every request of one is answered, so a slow
// receiver must not hold notify's answer. It holds no state: killed mid-send, the
// delivery's lease runs out and the database sends it again.
import { refusedAddress, type Resolve } from '../_shared/address.ts';
import { type Claim, parseDelivery } from './claim.ts';

export interface EmailApi {
  /** Resend-compatible POST endpoint. */
  url: string;
  apiKey?: string;
  from?: string;
}

export interface NotifyDeps {
  /** The bearer token pg_net sends (Vault's vibe_notify_token; the function secret VIBE_NOTIFY_TOKEN). */
  token: string;
  claim(id: number, attempt: number): Promise<Claim | null>;
  record(id: number, attempt: number, status: number | null, error: string | null): Promise<string | null>;
  email: EmailApi;
  resolve: Resolve;
  fetch?: typeof fetch;
  /** How long a receiver may take (a slow one only holds its own delivery). */
  timeoutMs?: number;
  /** Keeps the function alive for work after the answer (EdgeRuntime.waitUntil on Supabase). */
  waitUntil?: (work: Promise<unknown>) => void;
}

/** Supabase's Edge Runtime keeps an isolate alive for promises given to EdgeRuntime.waitUntil; plain Deno needs nothing. */
const runtimeWaitUntil = (work: Promise<unknown>) =>
  (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime?.waitUntil(work);

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** Compares without leaking where the first difference is. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The request to make for a claim, or the reason it cannot be made. */
async function prepare(c: Claim, deps: NotifyDeps): Promise<{ url: string; init: RequestInit } | { error: string }> {
  let url = c.url;
  let body = c.body;
  const headers = { ...c.headers };
  if (c.channel === 'email') {
    if (!deps.email.apiKey || !deps.email.from) {
      return { error: 'email is not configured: set the function secrets RESEND_API_KEY and ALERT_EMAIL_FROM' };
    }
    url = deps.email.url;
    body = JSON.stringify({ from: deps.email.from, ...JSON.parse(body) });
    headers.Authorization = `Bearer ${deps.email.apiKey}`;
  } else if (!c.allow_private && url) {
    const host = new URL(url).hostname;
    let addrs: string[];
    try {
      addrs = await deps.resolve(host);
    } catch (e) {
      return { error: `could not resolve ${host}: ${(e as Error).message}` };
    }
    const bad = refusedAddress(addrs, c.refused_networks);
    if (bad) return { error: `refused: ${host} resolves to ${bad}, a private, loopback or link-local address` };
  }
  if (!url) return { error: 'the delivery has no receiver URL' };
  // A redirect is not followed: it could lead to an address the check above refuses.
  return { url, init: { method: 'POST', headers, body, redirect: 'manual' } };
}

/**
 * A fetch error quotes the whole URL (a Slack webhook's path is its credential): in the
 * log the URL is cut to scheme and host.
 */
export function withoutPath(message: string, url: string): string {
  const origin = new URL(url).origin;
  return message.replaceAll(url, `${origin}/…`).replaceAll(new URL(url).href, `${origin}/…`);
}

/** Sends the claimed request and reports the outcome to SQL. */
async function deliver(id: number, attempt: number, claim: Claim, deps: NotifyDeps, doFetch: typeof fetch, timeoutMs: number) {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(claim, deps);
  } catch (e) {
    // An unusable URL or body: recorded, so the delivery does not wait out its lease.
    prepared = { error: `the request could not be made: ${(e as Error).message}` };
  }
  let status: number | null = null;
  let error: string | null = null;
  if ('error' in prepared) {
    error = prepared.error;
  } else {
    try {
      const res = await doFetch(prepared.url, { ...prepared.init, signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      const text = (await res.text().catch(() => '')).slice(0, 300);
      if (status < 200 || status > 299) {
        error = `the receiver answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` +
          (text ? `: ${text}` : '');
      }
    } catch (e) {
      error = (e as Error).name === 'TimeoutError'
        ? `the receiver did not answer within ${timeoutMs / 1000} s`
        : `the receiver was not reached: ${withoutPath((e as Error).message, prepared.url)}`;
    }
  }
  await deps.record(id, attempt, status, error);
}

export function createHandler(deps: NotifyDeps): (req: Request) => Promise<Response> {
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return async (req) => {
    if (req.method !== 'POST') return json(405, { error: 'POST only' });
    const auth = req.headers.get('Authorization') ?? '';
    if (!deps.token || !sameToken(auth, `Bearer ${deps.token}`)) return json(401, { error: 'invalid token' });
    const d = parseDelivery(await req.text());
    if (!d) return json(400, { error: 'expected {"delivery_id": n, "attempt": n}' });

    let claim: Claim | null;
    try {
      claim = await deps.claim(d.delivery_id, d.attempt);
    } catch (e) {
      // The database is unreachable or busy: nothing was sent; the outbox tries again
      // when the job sees this answer in pg_net's responses (or the lease runs out).
      console.error(`notify: claim of delivery ${d.delivery_id} failed: ${(e as Error).message}`);
      return json(503, { error: 'the database could not be reached; the delivery will be retried' });
    }
    if (!claim) return json(200, { skipped: 'not pending on this attempt' });

    const work = deliver(d.delivery_id, d.attempt, claim, deps, doFetch, timeoutMs).catch((e) =>
      console.error(`notify: delivery ${d.delivery_id} attempt ${d.attempt}: ${(e as Error).message}`)
    );
    (deps.waitUntil ?? runtimeWaitUntil)(work);
    return json(202, { accepted: d.delivery_id });
  };
}
