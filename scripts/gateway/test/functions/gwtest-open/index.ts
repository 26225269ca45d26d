// Conformance fixture with verify_jwt = false: callable without a JWT.
Deno.serve((req: Request) => Response.json({ open: true, method: req.method }));
