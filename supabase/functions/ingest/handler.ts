// The ingest endpoint, separate from Deno.serve so tests can call it directly.
// Thin on purpose: transport guards (method, Content-Type, body size, UTF-8, JSON) and
// enrichment (user agent, bot, country, hashed IP), then the batch — as the client
// sent it — goes to crm.ingest (coalesced, see sql.ts). Every event rule (types,
// sizes, reasons), and every rule about sessions, identity, dedupe and rate limits,
// lives in Postgres.
import { BodyTooLarge, readBytes } from '../_shared/body.ts';
import { corsHeaders } from '../_shared/cors.ts';
import { KeysUnavailable, type VerifyBatch } from './auth.ts';
import { enrich } from './enrich.ts';
import { projectKeyIn, type RefusalReporter } from './refusals.ts';
import type { IngestCall } from './result.ts';
import type { TrackerFile } from './tracker-file.ts';

export interface HandlerDeps {
  ingest: IngestCall;
  /** Where the function's own refusals are counted (bots, 400, 413, 415). */
  refusals: RefusalReporter;
  /** Keys the daily IP salt. */
  ipSecret: string;
  /** The header the platform puts the client's address in (CLIENT_IP_HEADER); default cf-connecting-ip. */
  ipHeader?: string;
  tracker: () => Promise<TrackerFile | null>;
  /** Verifies and removes the Supabase Auth tokens of identify events (auth.ts). */
  verifyTokens?: VerifyBatch;
  now?: () => Date;
}

/** A transport limit of the function, not an event rule: Postgres never sees larger bodies. */
export const MAX_BODY_BYTES = 64 * 1024;
/** text/plain: the tracker's CORS-simple requests (no preflight); application/json: other clients. */
const CONTENT_TYPES = ['text/plain', 'application/json'];

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
  });
}

/** The body as UTF-8 text, at most MAX_BODY_BYTES (larger bodies are refused before they are buffered). */
async function readBody(req: Request): Promise<string> {
  let all: Uint8Array;
  try {
    all = await readBytes(req, MAX_BODY_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new HttpError(413, 'too_large', `body over ${MAX_BODY_BYTES} bytes`);
    throw new HttpError(400, 'invalid_batch', 'the body could not be read (cut short?)');
  }
  if (!all.length) throw new HttpError(400, 'invalid_batch', 'empty body');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, 'invalid_batch', 'body is not UTF-8');
  }
}

/** The first bytes of a body that is not read whole (to find the project of a refusal). */
async function bodyStart(req: Request): Promise<string> {
  try {
    const reader = req.body?.getReader();
    const first = await reader?.read();
    reader?.cancel().catch(() => {});
    return first?.value ? new TextDecoder().decode(first.value.subarray(0, 4096)) : '';
  } catch {
    return '';
  }
}

async function serveTracker(req: Request, deps: HandlerDeps): Promise<Response> {
  const file = await deps.tracker();
  if (!file) {
    throw new HttpError(503, 'tracker_not_built', 'the tracker is not built here: run `npm run build`');
  }
  const headers = {
    'Content-Type': 'application/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600, stale-while-revalidate=86400',
    'Access-Control-Allow-Origin': '*',
    ETag: file.etag,
  };
  if (req.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
  return new Response(req.method === 'HEAD' ? null : file.body, { status: 200, headers });
}

/**
 * Text Postgres can store: a lone surrogate (a title cut in the middle of an emoji) or
 * U+0000 makes Postgres refuse the text. Both become U+FFFD, in keys too. Only a body
 * that escapes one of them (\u0000, \ud800–\udfff) is rewritten; any other passes as sent.
 */
function storableText(text: string, parsed: unknown): string {
  if (!/\\u(0000|d[89a-f])/i.test(text)) return text;
  const fix = (v: unknown): unknown => {
    if (typeof v === 'string') return v.toWellFormed().replaceAll('\u0000', '\uFFFD');
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [fix(k) as string, fix(x)]));
    return v;
  };
  return JSON.stringify(fix(parsed));
}

async function ingest(req: Request, deps: HandlerDeps, cors: Record<string, string>) {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!CONTENT_TYPES.includes(type)) {
    const project = projectKeyIn(await bodyStart(req));
    const message = `Content-Type must be ${CONTENT_TYPES.join(' or ')}`;
    if (project) deps.refusals.record(project, 'unsupported_media_type', message);
    throw new HttpError(415, 'unsupported_media_type', message);
  }
  let text: string;
  try {
    text = await readBody(req);
  } catch (e) {
    const project = e instanceof HttpError && e.status === 413 ? projectKeyIn(await bodyStart(req)) : null;
    if (project && e instanceof HttpError) deps.refusals.record(project, e.code, e.message);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const project = projectKeyIn(text);
    if (project) deps.refusals.record(project, 'invalid_batch', 'body is not JSON');
    throw new HttpError(400, 'invalid_batch', 'body is not JSON');
  }
  // The key routes the function's own refusals to their project; SQL checks it like the rest.
  const project = typeof (raw as { project?: unknown })?.project === 'string' ? (raw as { project: string }).project : null;

  const now = deps.now?.() ?? new Date();
  const enriched = enrich(req.headers, { secret: deps.ipSecret, now, ipHeader: deps.ipHeader });
  if (enriched.is_bot) {
    if (project) deps.refusals.record(project, 'bot', 'a bot\'s user agent');
    return json(202, { status: 202, accepted: 0, duplicates: 0, rejected: [], ignored: 'bot' }, cors);
  }

  const { is_bot: _, ...context } = enriched;
  let result;
  try {
    // Tokens are checked before SQL sees the batch, and never reach it: only their verdicts.
    let verified;
    try {
      verified = await deps.verifyTokens?.(raw);
    } catch (err) {
      if (!(err instanceof KeysUnavailable)) throw err;
      console.error('ingest: signing keys unavailable:', (err as Error).message);
      throw new HttpError(503, 'unavailable', 'the signing keys of the trusted Supabase project could not be fetched; retry later', {
        'Retry-After': '5',
      });
    }
    if (verified) text = JSON.stringify(verified.batch);
    result = await deps.ingest(storableText(text, raw), {
      ...context,
      ...(verified ? { auth: verified.auth } : {}),
      received_at: now.toISOString(),
      origin: req.headers.get('origin'),
      // The fact only; whether the project honours it is decided in SQL (respect_dnt).
      ...(req.headers.get('dnt') === '1' || req.headers.get('sec-gpc') === '1' ? { dnt: true } : {}),
    });
  } catch (err) {
    if (err instanceof HttpError) throw err;
    console.error('ingest: database call failed:', (err as Error).message);
    // An outage gets 503 + Retry-After; re-sending is safe either way (events are deduped by id).
    if (isOutage(err)) throw new HttpError(503, 'unavailable', 'the database is unavailable; retry later', { 'Retry-After': '5' });
    throw err;
  }

  const { detail, sqlstate, ...answer } = result;
  if (result.status === 202) return json(202, answer, cors);
  if (result.status >= 500) console.error(`ingest: ${result.error} (${sqlstate ?? '-'}): ${detail ?? result.message}`);
  const headers: Record<string, string> = { ...cors };
  if (result.status === 429 || result.status === 503) headers['Retry-After'] = String(result.retry_after ?? 10);
  // A refused origin gets no CORS grant: its page cannot read the answer.
  if (result.error === 'origin_not_allowed') delete headers['Access-Control-Allow-Origin'];
  return json(result.status, { error: result.error, message: result.message, retry_after: result.retry_after }, headers);
}

/**
 * Worth a retry: anything that is not an SQL error (connection failures, errno codes
 * such as EPIPE, a full queue) and passing database states — connection (08), shutdown
 * (57P), statement timeout (57014), resources (53), deadlock / serialization (40001,
 * 40P01), lock wait (55P03).
 */
function isOutage(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) && !/^E[A-Z]+$/.test(code);
  return !sqlstate || /^(08|53|57P|57014|40001|40P01|55P03)/.test(code);
}

export function createHandler(deps: HandlerDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    const cors = corsHeaders(req.headers.get('origin'));
    try {
      const path = new URL(req.url).pathname;
      if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors });
      if ((req.method === 'GET' || req.method === 'HEAD') && /\/vibe(\.min)?\.js$/.test(path)) {
        return await serveTracker(req, deps);
      }
      if (req.method !== 'POST') {
        throw new HttpError(405, 'method_not_allowed', 'POST a batch, or GET …/ingest/vibe.js', { Allow: 'POST, GET, OPTIONS' });
      }
      return await ingest(req, deps, cors);
    } catch (err) {
      if (err instanceof HttpError) {
        return json(err.status, { error: err.code, message: err.message }, { ...cors, ...err.headers });
      }
      console.error('ingest: unexpected error:', err);
      return json(500, { error: 'internal', message: 'unexpected error' }, cors);
    }
  };
}
