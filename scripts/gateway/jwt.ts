// HS256 JWTs signed with the stack's secret: verification for every service, and
// minting for /auth/v1. Failures are classified the way PostgREST/Realtime report them.
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export type Claims = JWTPayload & { role?: string; email?: string; session_id?: string };

export type JwtCheck =
  | { ok: true; claims: Claims }
  | { ok: false; kind: 'expired'; secondsAgo: number; message: string }
  | { ok: false; kind: 'malformed' | 'invalid'; message: string };

export class Jwt {
  readonly #key: Uint8Array;
  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  async verify(token: string): Promise<JwtCheck> {
    if (token.split('.').length !== 3) {
      return { ok: false, kind: 'malformed', message: 'The token provided is not a valid JWT' };
    }
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'] });
      return { ok: true, claims: payload as Claims };
    } catch (e) {
      if (e instanceof errors.JWTExpired) {
        const exp = Number((e.payload as JWTPayload).exp ?? 0);
        const secondsAgo = Math.max(0, Math.floor(Date.now() / 1000) - exp);
        return { ok: false, kind: 'expired', secondsAgo, message: 'JWT expired' };
      }
      if (e instanceof errors.JWSSignatureVerificationFailed) {
        return { ok: false, kind: 'invalid', message: 'JWSError JWSInvalidSignature' };
      }
      if (
        e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof SyntaxError
      ) {
        return { ok: false, kind: 'malformed', message: 'The token provided is not a valid JWT' };
      }
      return { ok: false, kind: 'invalid', message: (e as Error).message };
    }
  }

  sign(claims: Claims, expiresInSeconds: number, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresInSeconds)
      .sign(this.#key);
  }
}
