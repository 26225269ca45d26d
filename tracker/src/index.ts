import { type Calls, type Setting, type Values, start } from './core';

/** Options of the ESM build's `init`; the script tag sets the same through data attributes. */
export interface VibeOptions {
  /** The project's public key, `pk_…` (`data-project`). */
  project: string;
  /** The ingest endpoint, `https://<ref>.supabase.co/functions/v1/ingest` (`data-api`). */
  api: string;
  /** Count hash changes as page views and keep the hash in paths (`data-hash`). */
  hash?: boolean;
  /** No storage at all; the server derives visitor and session ids (`data-mode="cookieless"`). */
  cookieless?: boolean;
  /** Send nothing when the browser asks not to be tracked (DNT or GPC) (`data-respect-dnt`). */
  respectDnt?: boolean;
  /** Track on localhost, 127.0.0.1, file: and under automation (`data-allow-localhost`). */
  allowLocalhost?: boolean;
  /**
   * Supabase Auth: identify the signed-in user by their access token, and reset on sign-out,
   * without calling `identify`/`reset` (`data-supabase-auth`). Checked every second.
   * - `true`: read the session supabase-js keeps in localStorage (`sb-<ref>-auth-token`).
   * - a function: returns the current access token, null when signed out, and undefined
   *   while the session is not known yet (so a page load does not look like a sign-out);
   *   for apps that keep the session elsewhere, e.g. cookies with `@supabase/ssr`:
   *   `let token; supabase.auth.onAuthStateChange((_e, s) => (token = s?.access_token ?? null));`
   *   then `supabaseAuth: () => token`.
   *
   * The ingest function verifies the token and merges the visitor into the person whose
   * external id is the auth user id; the server never stores the token.
   */
  supabaseAuth?: boolean | (() => string | null | undefined);
}

/** Custom event properties: any JSON object, at most 4 KB serialised. */
export type Props = Record<string, unknown>;

/** What `identify` sends; at least one of `email`, `external_id`, `name`. */
export interface Identity {
  email?: string;
  name?: string;
  /** The site's own user id. */
  external_id?: string;
  segment?: 'visitor' | 'user' | 'premium' | 'trial' | 'churned';
  metadata?: Record<string, unknown>;
  /** hex HMAC-SHA256 of `external_id` (or lower(trim(email))) with the project's identity secret, computed by the site's backend. */
  signature?: string;
}

/** The three calls a page makes. */
export interface Vibe {
  track(name: string, props?: Props): void;
  identify(identity: Identity): void;
  /** On logout: a new anonymous id and a new session. */
  reset(): void;
}
// The ESM build for bundlers. Calls made before `init` wait for it, like the script tag's queue stub.
let calls: Calls | undefined;
const waiting: [number, unknown[]][] = [];

const call = (i: number, a: unknown[]) => {
  if (calls) (calls[i] as (...a: unknown[]) => void)(...a);
  else waiting.push([i, a]);
};

/** Starts tracking (once; later calls are ignored). Call it in the browser, not during SSR. */
export function init(options: VibeOptions): void {
  if (calls) return;
  // As the script tag's attributes: a flag is present ('') or absent (null).
  const flag = (on?: boolean) => (on ? '' : null);
  const auth = options.supabaseAuth;
  const o: { [K in Setting]: Values[K] | null | undefined } = {
    project: options.project,
    api: options.api,
    hash: flag(options.hash),
    mode: options.cookieless ? 'cookieless' : null,
    'respect-dnt': flag(options.respectDnt),
    'allow-localhost': flag(options.allowLocalhost),
    // true: the empty attribute (find supabase-js's session). A function goes through, made
    // safe: core calls it every second without a try; a throw means "not known" (undefined).
    'supabase-auth': auth === true ? '' : auth ? () => {
      try {
        const t = auth();
        // Only a non-empty string is a token; '' (or anything else) is no token.
        return t === undefined || (typeof t == 'string' && t) ? t : null;
      } catch {}
    } : null,
  };
  calls = start((k) => o[k]);
  for (const [i, a] of waiting.splice(0)) call(i, a);
}

/** A custom event. */
export const track = (name: string, props?: Props): void => call(0, [name, props]);
/** Who the visitor is; `signature` (from your backend) lets the server merge them into a known user. */
export const identify = (identity: Identity): void => call(1, [identity]);
/** On logout: a new anonymous id and a new session. */
export const reset = (): void => call(2, []);
