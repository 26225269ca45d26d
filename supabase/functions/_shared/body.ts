// Reading a request body with a size limit, shared by the Edge Functions and the local
// gateway (scripts/gateway imports it): a body over the limit is refused before it is
// buffered whole.

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/**
 * The body as bytes; BodyTooLarge beyond `limit`. A declared Content-Length bounds the
 * body (the server enforces it), so it is read natively, much cheaper than a reader
 * loop for the many small bodies; a chunked body is read chunk by chunk and given up
 * as soon as it passes the limit. Every read also races `deadline` (a promise that
 * rejects, e.g. on a timeout), so a client that stops sending cannot hold the caller.
 */
export async function readBytes(req: Request, limit: number, deadline?: Promise<never>): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new BodyTooLarge(limit);
  if (!req.body) return new Uint8Array();
  const within = <T>(p: Promise<T>) => (deadline ? Promise.race([p, deadline]) : p);
  if (Number.isFinite(declared)) {
    const body = new Uint8Array(await within(req.arrayBuffer()));
    if (body.byteLength > limit) throw new BodyTooLarge(limit);
    return body;
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const next = await within(reader.read());
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limit) throw new BodyTooLarge(limit);
      chunks.push(next.value);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
