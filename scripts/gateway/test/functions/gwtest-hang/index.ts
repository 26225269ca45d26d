// Conformance fixture with verify_jwt = false: never answers, so the gateway's
// wall-clock limit has something to cut off.
Deno.serve(() => new Promise<Response>(() => {}));
