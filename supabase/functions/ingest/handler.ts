// The ingest endpoint, separate from Deno.serve so tests can call it directly.
// Thin on purpose: parse, validate, enrich, then crm.ingest (concurrent requests
// coalesced into one crm.ingest_batches call, see sql.ts);
// every rule about sessions, identity, dedupe and rate limits lives in Postgres.
import { BodyTooLarge, readBytes } from '../_shared/body.ts';
import { corsHeaders } from '../_shared/cors.ts';
import { enrich } from './enrich.ts';
import type { IngestCall, IngestRejection } from './result.ts';
import { checkEnvelope, checkEvent, type IngestEvent, MAX_BODY_BYTES, MAX_EVENTS } from './schema.ts';
import type { TrackerFile } from './tracker-file.ts';

export interface HandlerDeps {
  ingest: IngestCall;
  /** Keys the daily IP salt. */
  ipSecret: string;
  tracker: () => Promise<TrackerFile | null>;
  now?: () => Date;
}

type Info = { remoteAddr?: { hostname?: string } };

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

/** Reads at most MAX_BODY_BYTES as UTF-8 text; larger bodies are refused before they are buffered. */
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
 * U+0000 makes jsonb refuse the whole parameter — and with it every batch coalesced into
 * the same call. Both become U+FFFD, in keys too.
 */
function storable(v: unknown): unknown {
  if (typeof v === 'string') return v.toWellFormed().replaceAll('\u0000', '\uFFFD');
  if (Array.isArray(v)) return v.map(storable);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [storable(k) as string, storable(x)]));
  }
  return v;
}

async function ingest(req: Request, info: Info | undefined, deps: HandlerDeps, cors: Record<string, string>) {
  const text = await readBody(req);
  let raw: unknown;
  try {
    raw = storable(JSON.parse(text));
  } catch {
    throw new HttpError(400, 'invalid_batch', 'body is not JSON');
  }
  const events = (raw as { events?: unknown })?.events;
  if (Array.isArray(events) && events.length > MAX_EVENTS) {
    throw new HttpError(413, 'too_large', `more than ${MAX_EVENTS} events in one batch`);
  }
  const checked = checkEnvelope(raw);
  if ('message' in checked) throw new HttpError(400, 'invalid_batch', checked.message);
  const { envelope } = checked;

  const now = deps.now?.() ?? new Date();
  const enriched = enrich(req.headers, { secret: deps.ipSecret, now, remoteIp: info?.remoteAddr?.hostname });
  if (enriched.is_bot) {
    return json(202, { status: 202, accepted: 0, duplicates: 0, rejected: [], ignored: 'bot' }, cors);
  }

  // Valid events go to SQL; `origin` maps their position back to the request's.
  const valid: IngestEvent[] = [];
  const origin: number[] = [];
  const rejected: IngestRejection[] = [];
  envelope.events.forEach((e, i) => {
    const res = checkEvent(e, i);
    if ('event' in res) {
      valid.push(res.event);
      origin.push(i);
    } else rejected.push(res.rejection);
  });
  if (valid.length === 0) return json(202, { status: 202, accepted: 0, duplicates: 0, rejected }, cors);

  const { is_bot: _, ...context } = enriched;
  let result;
  try {
    result = await deps.ingest({ ...envelope, events: valid }, {
      ...context,
      received_at: now.toISOString(),
      origin: req.headers.get('origin'),
      // The fact only; whether the project honours it is decided in SQL (respect_dnt).
      ...(req.headers.get('dnt') === '1' || req.headers.get('sec-gpc') === '1' ? { dnt: true } : {}),
    });
  } catch (err) {
    console.error('ingest: database call failed:', (err as Error).message);
    // An outage gets 503 + Retry-After; re-sending is safe either way (events are deduped by id).
    if (isOutage(err)) throw new HttpError(503, 'unavailable', 'the database is unavailable; retry later', { 'Retry-After': '5' });
    throw err;
  }

  if (result.status !== 202) {
    const headers: Record<string, string> = { ...cors };
    if (result.status === 429 || result.status === 503) headers['Retry-After'] = String(result.retry_after ?? 10);
    // A refused origin gets no CORS grant: its page cannot read the answer.
    if (result.error === 'origin_not_allowed') delete headers['Access-Control-Allow-Origin'];
    return json(result.status, { error: result.error, message: result.message, retry_after: result.retry_after }, headers);
  }
  const sqlRejected = (result.rejected ?? []).map((r) => ({ ...r, index: origin[r.index] ?? r.index }));
  return json(202, { ...result, rejected: [...rejected, ...sqlRejected].sort((a, b) => a.index - b.index) }, cors);
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

export function createHandler(deps: HandlerDeps): (req: Request, info?: Info) => Promise<Response> {
  return async (req, info) => {
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
      return await ingest(req, info, deps, cors);
    } catch (err) {
      if (err instanceof HttpError) {
        return json(err.status, { error: err.code, message: err.message }, { ...cors, ...err.headers });
      }
      console.error('ingest: unexpected error:', err);
      return json(500, { error: 'internal', message: 'unexpected error' }, cors);
    }
  };
}
