// Runs one Edge Function in its own Deno process, unchanged: the function's
// index.ts calls `Deno.serve(handler)` exactly as on Supabase, and this host makes
// that call listen on the internal port the gateway chose, then imports index.ts.
// Usage: deno run --allow-all function-host.ts <path/to/index.ts>
import { pathToFileURL } from 'node:url';

export const READY_MARKER = '__vibe_function_ready__';

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

if (import.meta.main) {
  const entry = Deno.args[0];
  const port = Number(Deno.env.get('VIBE_FUNCTION_PORT'));
  const gatewayPid = Number(Deno.env.get('VIBE_GATEWAY_PID'));
  if (!entry || !port) {
    console.error('usage: VIBE_FUNCTION_PORT=N deno run --allow-all function-host.ts <index.ts>');
    Deno.exit(2);
  }
  const serve = Deno.serve.bind(Deno) as (
    opts: Deno.ServeTcpOptions,
    handler: Handler,
  ) => Deno.HttpServer;
  // Every Deno.serve form (handler; options, handler; options with handler) lands on our port.
  (Deno as unknown as { serve: unknown }).serve = (a: unknown, b?: unknown) => {
    const opts = (typeof a === 'function' ? {} : a ?? {}) as Record<string, unknown>;
    const handler =
      (typeof a === 'function' ? a : typeof b === 'function' ? b : opts.handler) as Handler;
    if (typeof handler !== 'function') throw new Error('Deno.serve was called without a handler');
    const { port: _p, hostname: _h, onListen: _o, handler: _x, ...rest } = opts;
    return serve({
      ...(rest as Deno.ServeTcpOptions),
      port,
      hostname: '127.0.0.1',
      onListen: () => console.log(READY_MARKER),
    }, handler);
  };
  // Never outlive the gateway (e.g. after a kill -9): exit when it is gone.
  if (gatewayPid) {
    const timer = setInterval(() => {
      try {
        Deno.statSync(`/proc/${gatewayPid}`);
      } catch {
        Deno.exit(0);
      }
    }, 2000);
    Deno.unrefTimer(timer);
  }
  await import(pathToFileURL(entry).href);
}
