// Small HTTP helpers shared by every service: JSON answers, CORS, bounded bodies.

export const CORS_ALLOW_HEADERS = 'authorization, x-client-info, apikey, content-type';

/** What Kong's cors plugin adds to every answer on a Supabase project. */
export function withCors(res: Response): Response {
  const h = res.headers;
  try {
    if (!h.has('access-control-allow-origin')) h.set('Access-Control-Allow-Origin', '*');
    if (!h.has('access-control-expose-headers')) {
      h.set(
        'Access-Control-Expose-Headers',
        'Content-Range, X-Supabase-Api-Version, Content-Profile',
      );
    }
    return res;
  } catch {
    // Immutable headers (a proxied response): copy once.
    const copy = new Response(res.body, res);
    return withCors(copy);
  }
}

export function preflight(req: Request): Response {
  const asked = req.headers.get('access-control-request-headers');
  return new Response(null, {
    status: 200,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': asked ?? CORS_ALLOW_HEADERS,
      'Access-Control-Max-Age': '3600',
    },
  });
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/** The client stopped sending its body (slowloris). */
export class BodyTimeout extends Error {
  constructor(readonly ms: number) {
    super(`the request body did not arrive within ${ms / 1000} s`);
  }
}

const BODY_TIMEOUT_MS = 30_000;

/**
 * Reads the body as bytes, refusing more than `limit` bytes without buffering them
 * all, and giving up on a client that stops sending halfway (slowloris).
 */
export async function readBody(
  req: Request,
  limit: number,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new BodyTooLarge(limit);
  if (!req.body) return new Uint8Array();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (Number.isFinite(declared)) {
      // A declared length bounds the body (the server enforces it): read it natively,
      // which is much cheaper than a stream reader loop for the many small bodies.
      const body = await Promise.race([req.arrayBuffer(), expired]);
      if (body === 'timeout') throw new BodyTimeout(timeoutMs);
      if (body.byteLength > limit) throw new BodyTooLarge(limit);
      return new Uint8Array(body);
    }
    const reader = req.body.getReader();
    for (;;) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === 'timeout') {
        reader.cancel().catch(() => {});
        throw new BodyTimeout(timeoutMs);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw new BodyTooLarge(limit);
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export class BadJson extends Error {}

/** Parses a JSON body; empty → undefined; anything unparsable → BadJson. */
export async function readJson(req: Request, limit: number): Promise<unknown> {
  const bytes = await readBody(req, limit);
  const text = new TextDecoder().decode(bytes).trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadJson((e as Error).message);
  }
}

/** The bearer token of a request, if any. */
export function bearer(req: Request): string | null {
  const h = req.headers.get('authorization');
  if (!h) return null;
  const m = h.match(/^bearer\s+(\S+)\s*$/i);
  return m ? m[1]! : '';
}
