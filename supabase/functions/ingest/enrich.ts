// Server-side enrichment of a batch: device, browser and OS from the user agent,
// bot detection, country from the platform's header, and a salted IP hash. The raw
// IP never leaves this module.
import UAParser from 'npm:ua-parser-js@1.0.41';
import { isbot } from 'npm:isbot@5.2.3';

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
const IP_HEADERS = ['cf-connecting-ip', 'x-real-ip', 'x-forwarded-for'];

export function clientIp(headers: Headers, fallback?: string): string | null {
  for (const h of IP_HEADERS) {
    const value = headers.get(h)?.split(',')[0]?.trim();
    if (value) return value;
  }
  return fallback ?? null;
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

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * SHA-256 of the IP keyed with a salt that changes every UTC day: the same visitor
 * hashes alike within a day (rate limits, cookieless ids) and unlinkably across days.
 */
export async function hashIp(ip: string, secret: string, now: Date): Promise<string> {
  const enc = new TextEncoder();
  const salt = await dailySalt(secret, now.toISOString().slice(0, 10));
  const ipBytes = enc.encode(ip);
  const data = new Uint8Array(salt.length + ipBytes.length);
  data.set(salt);
  data.set(ipBytes, salt.length);
  return hex(await crypto.subtle.digest('SHA-256', data));
}

/** The day's salt, HMAC(secret, day); kept for the day it belongs to (one per secret and day). */
let saltCache: { key: string; salt: Promise<Uint8Array> } | undefined;
function dailySalt(secret: string, day: string): Promise<Uint8Array> {
  const key = `${day}:${secret}`;
  if (saltCache?.key !== key) {
    const enc = new TextEncoder();
    const salt = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      .then((k) => crypto.subtle.sign('HMAC', k, enc.encode(`ip-salt:${day}`)))
      .then((buf) => new Uint8Array(buf));
    saltCache = { key, salt };
  }
  return saltCache.salt;
}

export async function enrich(headers: Headers, opts: { secret: string; now: Date; remoteIp?: string }): Promise<Enrichment> {
  const ua = (headers.get('user-agent') ?? '').slice(0, 512);
  const ip = clientIp(headers, opts.remoteIp);
  return {
    user_agent: ua,
    ...uaFacts(ua),
    country: country(headers),
    ip_hash: ip ? await hashIp(ip, opts.secret, opts.now) : null,
  };
}
