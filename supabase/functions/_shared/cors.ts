// CORS for browser-facing functions. The tracker posts `text/plain` (a simple
// request, no preflight); `application/json` callers get a preflight answer.

export const corsAllowHeaders = 'authorization, x-client-info, apikey, content-type';

/** Reflects the caller's origin; the ingest SQL decides whether it is allowed. */
export function corsHeaders(origin: string | null): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin ?? '*',
    'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
    'Access-Control-Allow-Headers': corsAllowHeaders,
    'Access-Control-Max-Age': '86400',
    // The tracker waits the Retry-After of a 429 or 503; a page may only read it when exposed.
    'Access-Control-Expose-Headers': 'Retry-After',
    Vary: 'Origin',
  };
}
