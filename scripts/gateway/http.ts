// Small HTTP helpers shared by every service: JSON answers, CORS, bounded bodies.
import { BodyTooLarge, readBytes } from '../../supabase/functions/_shared/body.ts';

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

export { BodyTooLarge };

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeout(timeoutMs)), timeoutMs);
  });
  try {
    return await readBytes(req, limit, deadline);
  } finally {
    clearTimeout(timer);
  }
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
