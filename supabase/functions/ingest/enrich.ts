// Server-side enrichment of a batch: device, browser and OS from the user agent,
// bot detection, country (the platform's header, else the embedded IP-to-country
// table) and a salted IP hash. The raw IP never leaves this module and is never logged.
import UAParser from 'npm:ua-parser-js@1.0.41';
import { isbot } from 'npm:isbot@5.2.3';
import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { countryOfIp } from './geo/country-of-ip.ts';

export interface Enrichment {
  user_agent: string;
  device_type: 'desktop' | 'mobile' | 'tablet';
  browser: string | null;
  os: string | null;
  country: string | null;
  ip_hash: string | null;
  is_bot: boolean;
}

/** Headers that edge platforms use for the caller's country (first valid wins). */
const COUNTRY_HEADERS = ['cf-ipcountry', 'x-vercel-ip-country', 'x-country-code', 'x-country'];

/**
 * The one header that carries the client's address on this deployment
 * (CLIENT_IP_HEADER, docs/ingest.md#the-client-address). Only the platform's own
 * header is read: any other one a client can send itself, and would choose its rate-limit
 * bucket and cookieless id with it. The default is Cloudflare's, which sits in front of
 * hosted Supabase and sets it from the connection.
 */
export const DEFAULT_CLIENT_IP_HEADER = 'cf-connecting-ip';

/**
 * The client's address from `header`, or null when it is missing or not an address. A
 * list (X-Forwarded-For) gives its last entry: the one the nearest proxy appended, the
 * only one a client cannot write.
 */
export function clientIp(headers: Headers, header = DEFAULT_CLIENT_IP_HEADER): string | null {
  const value = headers.get(header)?.split(',').at(-1)?.trim() ?? '';
  return isIP(value) ? value : null;
}

export function country(headers: Headers): string | null {
  for (const h of COUNTRY_HEADERS) {
    const value = headers.get(h)?.trim().toUpperCase();
    // XX = unknown, T1 = Tor (Cloudflare conventions).
    if (value && /^[A-Z]{2}$/.test(value) && value !== 'XX' && value !== 'T1') return value;
  }
  return null;
}

type UaFacts = Pick<Enrichment, 'device_type' | 'browser' | 'os' | 'is_bot'>;
/** Parsed user agents: a site's visitors share a few hundred, and parsing is the costly part. */
const uaCache = new Map<string, UaFacts>();
const UA_CACHE_SIZE = 2000;

/** Device, browser, OS and bot verdict of a user agent, cached (emptied when full). */
export function uaFacts(ua: string): UaFacts {
  let facts = uaCache.get(ua);
  if (!facts) {
    // An empty user agent is a script, not a browser.
    facts = { ...device(ua), is_bot: ua === '' || isbot(ua) };
    if (uaCache.size >= UA_CACHE_SIZE) uaCache.clear();
    uaCache.set(ua, facts);
  }
  return facts;
}

export function device(ua: string): Pick<Enrichment, 'device_type' | 'browser' | 'os'> {
  const r = new UAParser(ua).getResult();
  const type = r.device.type === 'mobile' || r.device.type === 'wearable'
    ? 'mobile'
    : r.device.type === 'tablet'
    ? 'tablet'
    : 'desktop';
  return { device_type: type, browser: r.browser.name ?? null, os: r.os.name ?? null };
}

/**
 * SHA-256 of the IP keyed with a salt that changes every UTC day: the same visitor
 * hashes alike within a day (rate limits, cookieless ids) and unlinkably across days.
 * node:crypto hashes synchronously; WebCrypto's digest hands every call to a worker
 * thread, which cost the ingest function about a quarter of its CPU per request.
 */
export function hashIp(ip: string, secret: string, now: Date): string {
  return createHash('sha256').update(dailySalt(secret, now.toISOString().slice(0, 10))).update(ip).digest('hex');
}

/** The day's salt, HMAC(secret, day); kept for the day it belongs to (one per secret and day). */
let saltCache: { key: string; salt: Uint8Array } | undefined;
function dailySalt(secret: string, day: string): Uint8Array {
  const key = `${day}:${secret}`;
  if (saltCache?.key !== key) {
    saltCache = { key, salt: createHmac('sha256', secret).update(`ip-salt:${day}`).digest() };
  }
  return saltCache.salt;
}

export function enrich(headers: Headers, opts: { secret: string; now: Date; ipHeader?: string }): Enrichment {
  const ua = (headers.get('user-agent') ?? '').slice(0, 512);
  const ip = clientIp(headers, opts.ipHeader);
  return {
    user_agent: ua,
    ...uaFacts(ua),
    // The header is the platform's own answer; the table is looked up only without one.
    country: country(headers) ?? (ip ? countryOfIp(ip) : null),
    ip_hash: ip ? hashIp(ip, opts.secret, opts.now) : null,
  };
}
