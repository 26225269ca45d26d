// Edge Function `notify`: delivers alert firings that pg_net hands it (handler.ts).
// verify_jwt = false (config.toml): pg_net authenticates with its own bearer token.
import { connect } from '../_shared/db.ts';
import { resolveHost } from '../_shared/address.ts';
import { createHandler } from './handler.ts';
import { sqlClaim, sqlRecord } from './sql.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
if (!dbUrl) throw new Error('SUPABASE_DB_URL is not set');
const token = Deno.env.get('VIBE_NOTIFY_TOKEN');
if (!token) throw new Error('VIBE_NOTIFY_TOKEN is not set (the token Vault keeps as vibe_notify_token)');

const sql = connect(dbUrl, 2);
Deno.serve(createHandler({
  token,
  claim: sqlClaim(sql),
  record: sqlRecord(sql),
  resolve: resolveHost,
  email: {
    url: Deno.env.get('RESEND_API_URL') ?? 'https://api.resend.com/emails',
    apiKey: Deno.env.get('RESEND_API_KEY'),
    from: Deno.env.get('ALERT_EMAIL_FROM'),
  },
}));
