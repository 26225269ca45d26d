// Supabase Auth tokens in identify events (the tracker's data-supabase-auth): verified
// here as Supabase verifies them, then taken out of the batch. SQL gets only the verdict,
// in the context: auth.<event id> = {sub, email, trust} or {error}; it decides whether
// the project still trusts `trust` and merges on `sub` (crm.ingest_parse). A token is
// never stored.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'npm:jose@6.2.18';
import { refusedAddress, type Resolve, resolveHost } from '../_shared/address.ts';

/** Whose users a project trusts (crm.ingest_auth_trust): null = this Supabase project's own. */
export interface Trust {
  jwks_url: string | null;
  /** CIDRs a JWKS URL may not resolve into (empty where the local stack allows them). */
  refused_networks: string[];
}

export interface AuthDeps {
  /** This Supabase project (SUPABASE_URL): its keys are at <url>/auth/v1/.well-known/jwks.json. */
  ownUrl: string;
  /** Its tokens' issuer (SB_JWT_ISSUER, as the Supabase CLI sets it where functions see another URL); default <url>/auth/v1. */
  ownIssuer?: string;
  /** Its legacy shared JWT secret (HS256 tokens), when the function was given it. */
  jwtSecret?: string;
  /** Its signing keys (SUPABASE_JWKS on hosted); else fetched from <url>/auth/v1/.well-known/jwks.json. */
  ownJwks?: JSONWebKeySet;
  /** The project's trust by public key; null for an unknown key. */
  trust: (publicKey: string) => Promise<Trust | null>;
  resolve?: Resolve;
  fetch?: typeof fetch;
}

export type Verdict = { sub: string; email: string | null; trust: string } | { error: string };

/**
 * The trusted project's signing keys cannot be had right now (no connection, a timeout,
 * an answer of 429 or 5xx). Thrown, not a verdict: the ingest function answers 503 and
 * the tracker sends the batch again, so a valid sign-in is not refused for a passing fault.
 */
export class KeysUnavailable extends Error {}

/** Supabase Auth's access tokens: audience `authenticated`. */
const AUDIENCE = 'authenticated';
const ASYMMETRIC = ['ES256', 'RS256', 'EdDSA'];
const JWKS_PATH = '/.well-known/jwks.json';

type Ev = Record<string, unknown>;

/** The identify events of a parsed batch that carry a token. */
function tokenEvents(raw: unknown): Ev[] {
  const events = (raw as { events?: unknown })?.events;
  if (!Array.isArray(events)) return [];
  return events.filter((e): e is Ev => !!e && typeof e === 'object' && (e as Ev).type === 'identify' && 'token' in e);
}

/** Words for why a token was refused: jose's error, said for a site owner. */
function refusal(e: unknown, alg: string | undefined): string {
  if (e instanceof errors.JWTExpired) {
    const exp = Number(e.payload?.exp);
    return `expired: the token expired${Number.isFinite(exp) ? ` at ${new Date(exp * 1000).toISOString()}` : ''}`;
  }
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return `wrong audience: not a signed-in user's token (aud must be ${AUDIENCE})`;
    if (e.claim === 'iss') return 'foreign: issued by another Supabase project than the one this CRM project trusts';
    if (e.claim === 'nbf' || e.claim === 'iat') return 'not yet valid';
    if (e.claim === 'exp') return 'malformed: the token has no expiry';
    return `invalid claim ${e.claim}: ${e.reason}`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return 'bad signature: not signed by the Supabase project this CRM project trusts';
  }
  if (e instanceof errors.JWKSNoMatchingKey) return 'foreign: signed with a key the trusted project does not publish';
  if (e instanceof errors.JWKSMultipleMatchingKeys) return 'the trusted project\'s signing keys match the token more than once (no kid)';
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return `foreign: signed with ${alg ?? 'an algorithm'} that the trusted project's keys do not use`;
  }
  if (e instanceof errors.JWKSInvalid || e instanceof errors.JOSENotSupported) return 'the trusted project\'s signing keys are not a valid JWKS';
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return 'malformed: not a Supabase access token';
  // Anything else went wrong getting the keys: an answer other than 200 (a redirect is
  // not followed), a body that is not JSON, a refused address, the network.
  return `the trusted project's signing keys could not be fetched: ${(e as Error)?.message ?? e}`;
}

/** Verifies tokens for one process: remote key sets are kept (jose caches their keys). */
export function tokenVerifier(deps: AuthDeps) {
  const fetchImpl = deps.fetch ?? fetch;
  const resolve = deps.resolve ?? resolveHost;
  const remote = new Map<string, JWTVerifyGetKey>();
  const own = deps.ownJwks ? createLocalJWKSet(deps.ownJwks) : null;
  const secret = deps.jwtSecret ? new TextEncoder().encode(deps.jwtSecret) : null;
  const ownUrl = deps.ownUrl.replace(/\/+$/, '');

  /** A remote key set, fetched only from an address outside the refused networks. */
  const keysAt = (url: string, refused: string[]): JWTVerifyGetKey => {
    const key = `${url} ${refused.join(',')}`;
    let set = remote.get(key);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), {
        [customFetch]: async (u, init) => {
          const host = new URL(u).hostname;
          const bad = refused.length ? refusedAddress(await resolve(host), refused) : null;
          // The address itself is not said: the answer goes to whoever sent the batch.
          if (bad) throw new Error(`${host} resolves to a private address`);
          let res: Response;
          try {
            res = await fetchImpl(u, init);
          } catch (e) {
            throw new KeysUnavailable(`${host}: ${(e as Error)?.message ?? e}`);
          }
          if (res.status === 429 || res.status >= 500) {
            await res.body?.cancel();
            throw new KeysUnavailable(`${host} answered ${res.status}`);
          }
          return res;
        },
      });
      remote.set(key, set);
    }
    return set;
  };

  async function verify(token: unknown, trust: Trust): Promise<Verdict> {
    if (typeof token !== 'string' || !token) return { error: 'malformed: the token must be a string' };
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { error: 'malformed: not a Supabase access token' };
    }
    try {
      let payload;
      if (trust.jwks_url) {
        // Another project: only its published (asymmetric) keys; its issuer is the URL's stem.
        const issuer = trust.jwks_url.slice(0, -JWKS_PATH.length);
        ({ payload } = await jwtVerify(token, keysAt(trust.jwks_url, trust.refused_networks), {
          issuer,
          audience: AUDIENCE,
          algorithms: ASYMMETRIC,
          requiredClaims: ['exp'],
        }));
      } else {
        const issuer = deps.ownIssuer ?? `${ownUrl}/auth/v1`;
        const opts = { issuer, audience: AUDIENCE, requiredClaims: ['exp'] };
        if (alg === 'HS256') {
          if (!secret) return { error: 'this project\'s legacy JWT secret is not configured for the ingest function (AUTH_JWT_SECRET)' };
          ({ payload } = await jwtVerify(token, secret, { ...opts, algorithms: ['HS256'] }));
        } else {
          const keys = own ?? keysAt(`${ownUrl}/auth/v1${JWKS_PATH}`, []);
          ({ payload } = await jwtVerify(token, keys, { ...opts, algorithms: ASYMMETRIC }));
        }
      }
      if (typeof payload.sub !== 'string' || !payload.sub) return { error: 'the token names no user (sub)' };
      const email = typeof payload.email === 'string' && payload.email ? payload.email : null;
      return { sub: payload.sub, email, trust: trust.jwks_url ?? 'own' };
    } catch (e) {
      if (e instanceof KeysUnavailable) throw e;
      if (e instanceof errors.JWKSTimeout) throw new KeysUnavailable('the key set did not answer in time');
      return { error: refusal(e, alg) };
    }
  }

  /**
   * The batch without its tokens, and the verdicts by event id; null when no identify
   * carries a token (the batch then goes on exactly as sent).
   */
  return async function verifyBatch(raw: unknown): Promise<{ batch: unknown; auth: Record<string, Verdict> } | null> {
    const carriers = tokenEvents(raw);
    if (!carriers.length) return null;
    const project = (raw as { project?: unknown }).project;
    const trust = typeof project === 'string' ? await deps.trust(project) : null;
    const auth: Record<string, Verdict> = {};
    // In parallel: a batch's tokens share one wait for a key set that is slow to answer.
    await Promise.all(carriers.map(async (ev) => {
      const { token } = ev;
      delete ev.token;
      // An unknown project is refused whole by SQL; an event without an id is refused there too.
      if (!trust || typeof ev.id !== 'string') return;
      auth[ev.id] = await verify(token, trust);
    }));
    return { batch: raw, auth };
  };
}

export type VerifyBatch = ReturnType<typeof tokenVerifier>;
