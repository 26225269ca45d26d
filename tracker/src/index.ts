import { type Calls, start } from './core';

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
  const o: Record<string, unknown> = {
    project: options.project,
    api: options.api,
    hash: options.hash,
    mode: options.cookieless ? 'cookieless' : null,
    'respect-dnt': options.respectDnt,
    'allow-localhost': options.allowLocalhost,
  };
  calls = start((k) => (o[k] == null || o[k] === false ? null : String(o[k])));
  for (const [i, a] of waiting.splice(0)) call(i, a);
}

/** A custom event. */
export const track = (name: string, props?: Props): void => call(0, [name, props]);
/** Who the visitor is; `signature` (from your backend) lets the server merge them into a known user. */
export const identify = (identity: Identity): void => call(1, [identity]);
/** On logout: a new anonymous id and a new session. */
export const reset = (): void => call(2, []);
