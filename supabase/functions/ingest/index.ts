// Edge Function `ingest`: receives tracker batches and serves the tracker script.
// verify_jwt = false (config.toml): browsers call it with the project's public key.
import { connect } from '../_shared/db.ts';
import { tokenVerifier } from './auth.ts';
import { createHandler } from './handler.ts';
import { refusalReporter } from './refusals.ts';
import { sqlAuthTrust, sqlIngest, sqlRefusals } from './sql.ts';
import { trackerLoader } from './tracker-file.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
if (!dbUrl) throw new Error('SUPABASE_DB_URL is not set');
// The daily IP salt is keyed with a server-side secret; the service role key is
// always present on Supabase, IP_HASH_SECRET lets an operator choose another.
const ipSecret = Deno.env.get('IP_HASH_SECRET') ?? Deno.env.get('SUPABASE_SERVICE_ROLE_KEY');
if (!ipSecret) throw new Error('IP_HASH_SECRET or SUPABASE_SERVICE_ROLE_KEY must be set');

// Which header carries the client's address depends on what stands in front of the
// function: Cloudflare's cf-connecting-ip on hosted Supabase (docs/ingest.md#the-client-address).
const ipHeader = Deno.env.get('CLIENT_IP_HEADER')?.trim().toLowerCase() || undefined;

/** SUPABASE_JWKS (hosted: this project's signing keys, `{"keys": […]}` or `[…]`), if set and readable. */
function ownJwks() {
  const text = Deno.env.get('SUPABASE_JWKS');
  if (!text) return undefined;
  try {
    const jwks = JSON.parse(text);
    if (Array.isArray(jwks)) return { keys: jwks };
    if (Array.isArray(jwks?.keys)) return jwks;
  } catch {
    // fall through: the keys are fetched from the project's JWKS URL instead
  }
  console.error('ingest: SUPABASE_JWKS is not a JWKS; fetching the keys from the project instead');
  return undefined;
}

const sql = connect(dbUrl);
Deno.serve(createHandler({
  verifyTokens: tokenVerifier({
    ownUrl: Deno.env.get('SUPABASE_URL') ?? '',
    ownIssuer: Deno.env.get('SB_JWT_ISSUER') || undefined,
    // Only projects on the legacy shared secret need it (`supabase secrets set AUTH_JWT_SECRET=…`).
    jwtSecret: Deno.env.get('AUTH_JWT_SECRET') || undefined,
    ownJwks: ownJwks(),
    trust: sqlAuthTrust(sql),
  }),
  ingest: sqlIngest(sql),
  refusals: refusalReporter(sqlRefusals(sql)),
  ipSecret,
  ipHeader,
  tracker: trackerLoader(new URL('./vibe.js', import.meta.url)),
}));
