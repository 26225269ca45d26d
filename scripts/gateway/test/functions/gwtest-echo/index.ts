// Conformance fixture: echoes what a function sees. `{"status": N}` in the body
// answers with that status, to exercise error mapping in supabase-js.
Deno.serve(async (req: Request) => {
  const text = req.method === 'GET' ? '' : await req.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const status = (body as { status?: number } | null)?.status ?? 200;
  const env = Object.fromEntries(
    [
      'SUPABASE_URL',
      'SUPABASE_ANON_KEY',
      'SUPABASE_SERVICE_ROLE_KEY',
      'SUPABASE_DB_URL',
      'JWT_SECRET',
    ]
      .map((k) => [k, Deno.env.get(k) ?? null]),
  );
  return new Response(
    JSON.stringify({
      method: req.method,
      path: new URL(req.url).pathname,
      authorization: req.headers.get('authorization'),
      forwardedFor: req.headers.get('x-forwarded-for'),
      country: req.headers.get('cf-ipcountry'),
      addresses: Object.fromEntries(
        ['cf-connecting-ip', 'x-real-ip', 'true-client-ip', 'forwarded'].map((h) => [h, req.headers.get(h)]),
      ),
      body,
      env,
    }),
    { status, headers: { 'Content-Type': 'application/json' } },
  );
});
