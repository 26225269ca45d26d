// /auth/v1: the GoTrue subset supabase-js needs for email/password logins:
// password and refresh grants with rotating refresh tokens, GET /user, POST /logout.
import type { GatewayConfig } from './config.ts';
import { type Db, isConnectionError } from './db.ts';
import { BadJson, bearer, BodyTooLarge, json, readJson } from './http.ts';
import type { Claims, Jwt } from './jwt.ts';
import { USER_COLUMNS, userJson, type UserRow } from './users.ts';

const API_VERSION = { 'X-Supabase-Api-Version': '2024-01-01' };

const fail = (status: number, code: string, message: string) =>
  json(status, { code, message }, API_VERSION);

function newRefreshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(
    /=+$/,
    '',
  );
}

export class Auth {
  constructor(private cfg: GatewayConfig, private db: Db, private jwt: Jwt) {}

  async handle(req: Request, path: string): Promise<Response> {
    const sub = path.replace(/^\/auth\/v1/, '') || '/';
    const method = req.method.toUpperCase();
    try {
      if (sub === '/token' && method === 'POST') {
        const grant = new URL(req.url).searchParams.get('grant_type');
        const body = await readJson(req, 64 * 1024);
        const input = (typeof body === 'object' && body !== null ? body : {}) as Record<
          string,
          unknown
        >;
        // Postgres cannot hold U+0000 in text: such a login or token matches nobody.
        if (Object.values(input).some((v) => typeof v === 'string' && v.includes('\u0000'))) {
          return fail(400, 'validation_failed', 'A value holds a NUL character');
        }
        if (grant === 'password') return await this.#passwordGrant(input);
        if (grant === 'refresh_token') return await this.#refreshGrant(input);
        return fail(
          400,
          'validation_failed',
          `unsupported_grant_type: ${
            grant ?? '(none)'
          } (the local gateway supports password and refresh_token)`,
        );
      }
      if (sub === '/user' && method === 'GET') return await this.#getUser(req);
      if (sub === '/logout' && method === 'POST') return await this.#logout(req);
      if (sub === '/health' && method === 'GET') {
        return json(200, {
          version: 'local',
          name: 'GoTrue (vibe-crm local gateway)',
          description: 'password and refresh grants',
        });
      }
      if (sub === '/signup') {
        return fail(
          422,
          'signup_disabled',
          'Signups are not served locally: create logins with `npm run user:create -- EMAIL PASSWORD`',
        );
      }
      return fail(404, 'not_found', `${method} /auth/v1${sub} is not served by the local gateway`);
    } catch (e) {
      if (e instanceof BadJson) {
        return fail(400, 'bad_json', `Could not parse request body as JSON: ${e.message}`);
      }
      if (e instanceof BodyTooLarge) return fail(413, 'request_too_large', e.message);
      if (isConnectionError(e)) {
        return fail(503, 'unexpected_failure', 'Database is unavailable, try again');
      }
      throw e;
    }
  }

  async #passwordGrant(input: Record<string, unknown>): Promise<Response> {
    const { email, password } = input;
    if (typeof email !== 'string' || typeof password !== 'string' || !email || !password) {
      return fail(400, 'validation_failed', 'A password and an email address are required');
    }
    const rows = await this.db.auth.unsafe<(UserRow & { ok: boolean })[]>(
      `select ${USER_COLUMNS},
              coalesce(encrypted_password = extensions.crypt($2, encrypted_password), false) as ok
         from auth.users where email = lower($1) and deleted_at is null`,
      [email, password],
    );
    const user = rows[0];
    if (!user || !user.ok) return fail(400, 'invalid_credentials', 'Invalid login credentials');
    if (!user.email_confirmed_at) return fail(400, 'email_not_confirmed', 'Email not confirmed');
    if (user.banned_until && user.banned_until.getTime() > Date.now()) {
      return fail(400, 'user_banned', 'User is banned');
    }
    const issued = await this.db.auth.begin(async (tx) => {
      const [u] = await tx.unsafe<UserRow[]>(
        `update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1 returning ${USER_COLUMNS}`,
        [user.id],
      );
      const [s] = await tx.unsafe<{ id: string }[]>(
        `insert into auth.sessions (user_id) values ($1) returning id`,
        [user.id],
      );
      const token = newRefreshToken();
      await tx.unsafe(
        `insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)`,
        [
          token,
          user.id,
          s!.id,
        ],
      );
      return { user: u!, sessionId: s!.id, refreshToken: token };
    });
    return json(
      200,
      await this.#session(issued.user, issued.sessionId, issued.refreshToken),
      API_VERSION,
    );
  }

  async #refreshGrant(input: Record<string, unknown>): Promise<Response> {
    const old = input.refresh_token;
    if (typeof old !== 'string' || !old) {
      return fail(400, 'validation_failed', 'refresh_token is required');
    }
    const result = await this.db.auth.begin(async (tx) => {
      // Rotation: a token is good exactly once; the update wins a race only once.
      const [used] = await tx.unsafe<{ session_id: string; user_id: string }[]>(
        `update auth.refresh_tokens set revoked = true, updated_at = now()
          where token = $1 and not revoked returning session_id, user_id`,
        [old],
      );
      if (!used) {
        const [seen] = await tx.unsafe<{ session_id: string }[]>(
          `select session_id from auth.refresh_tokens where token = $1`,
          [old],
        );
        if (!seen) return { error: 'refresh_token_not_found' as const };
        // Reuse of a rotated token: treat the session as stolen and end it, like GoTrue.
        await tx.unsafe(`delete from auth.sessions where id = $1`, [seen.session_id]);
        return { error: 'refresh_token_already_used' as const };
      }
      const [u] = await tx.unsafe<UserRow[]>(
        `select ${USER_COLUMNS} from auth.users where id = $1::uuid and deleted_at is null`,
        [used.user_id],
      );
      if (!u) return { error: 'user_not_found' as const };
      const token = newRefreshToken();
      await tx.unsafe(
        `insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)`,
        [token, used.user_id, used.session_id, old],
      );
      await tx.unsafe(`update auth.sessions set updated_at = now() where id = $1`, [
        used.session_id,
      ]);
      return { user: u, sessionId: used.session_id, refreshToken: token };
    });
    if (result.error !== undefined) {
      const message = {
        refresh_token_not_found: 'Invalid Refresh Token: Refresh Token Not Found',
        refresh_token_already_used: 'Invalid Refresh Token: Already Used',
        user_not_found: 'User from the refresh token does not exist',
      }[result.error];
      return fail(400, result.error, message);
    }
    return json(
      200,
      await this.#session(result.user!, result.sessionId!, result.refreshToken!),
      API_VERSION,
    );
  }

  async #session(user: UserRow, sessionId: string, refreshToken: string) {
    const now = Date.now();
    const claims: Claims = {
      iss: `${this.cfg.apiUrl}/auth/v1`,
      sub: user.id,
      aud: user.aud ?? 'authenticated',
      email: user.email ?? '',
      phone: user.phone ?? '',
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      role: user.role ?? 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: Math.floor(now / 1000) }],
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    };
    const accessToken = await this.jwt.sign(claims, this.cfg.jwtExpiry, now);
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: this.cfg.jwtExpiry,
      expires_at: Math.floor(now / 1000) + this.cfg.jwtExpiry,
      refresh_token: refreshToken,
      user: userJson(user),
    };
  }

  /** The verified claims of a user token, or the error GoTrue answers. */
  async #userClaims(req: Request): Promise<Claims | Response> {
    const token = bearer(req);
    if (!token) return fail(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
    const check = await this.jwt.verify(token);
    if (!check.ok) {
      const why = check.kind === 'expired'
        ? 'token has invalid claims: token is expired'
        : check.message;
      return fail(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${why}`);
    }
    if (typeof check.claims.sub !== 'string') {
      return fail(403, 'bad_jwt', 'invalid claim: missing sub claim');
    }
    return check.claims;
  }

  async #getUser(req: Request): Promise<Response> {
    const claims = await this.#userClaims(req);
    if (claims instanceof Response) return claims;
    if (claims.session_id) {
      const [s] = await this.db.auth.unsafe(`select 1 from auth.sessions where id = $1::uuid`, [
        claims.session_id,
      ]);
      if (!s) {
        return fail(
          403,
          'session_not_found',
          'Session from session_id claim in JWT does not exist',
        );
      }
    }
    const [u] = await this.db.auth.unsafe<UserRow[]>(
      `select ${USER_COLUMNS} from auth.users where id = $1::uuid and deleted_at is null`,
      [claims.sub!],
    );
    if (!u) return fail(403, 'user_not_found', 'User from sub claim in JWT does not exist');
    return json(200, userJson(u), API_VERSION);
  }

  async #logout(req: Request): Promise<Response> {
    const claims = await this.#userClaims(req);
    if (claims instanceof Response) return claims;
    const scope = new URL(req.url).searchParams.get('scope') ?? 'global';
    const sid = claims.session_id ?? '00000000-0000-0000-0000-000000000000';
    const query: Record<string, [string, string[]]> = {
      global: [`delete from auth.sessions where user_id = $1::uuid`, [claims.sub!]],
      local: [`delete from auth.sessions where id = $1::uuid`, [sid]],
      others: [`delete from auth.sessions where user_id = $1::uuid and id <> $2::uuid`, [
        claims.sub!,
        sid,
      ]],
    };
    const q = query[scope];
    if (!q) return fail(400, 'validation_failed', 'scope must be global, local or others');
    await this.db.auth.unsafe(q[0], q[1]);
    return new Response(null, { status: 204, headers: API_VERSION });
  }
}
