// Simulated visitors for the demo traffic: each one is a small script of steps
// (page views, heartbeats, identify, funnel events, leave) that follows the batch
// format of supabase/functions/ingest/PROTOCOL.md. Where they come from: ./sources.ts.
import { COUNTRIES, landing, type Landing, weighted } from './sources.ts';

export interface Step {
  /** Seconds after the previous step. */
  wait: number;
  events: Record<string, unknown>[];
}

export interface Visitor {
  visitorId: string;
  sessionId: string;
  userAgent: string;
  /** sent as cf-ipcountry, the header Cloudflare sets in front of hosted Supabase */
  country: string;
  /** the landing page view's channel, path, referrer and utm */
  source: Landing;
  steps: Step[];
}

const PAGES = ['/', '/pricing', '/features', '/features/live-view', '/blog', '/blog/realtime-analytics',
  '/blog/privacy-first', '/docs', '/docs/getting-started', '/docs/identify', '/contact', '/signup', '/app/dashboard',
  '/app/settings', '/checkout'];
const TITLES: Record<string, string> = { '/': 'Vibe CRM', '/pricing': 'Prijzen', '/signup': 'Aanmelden', '/checkout': 'Afrekenen' };
/** [user agent, screen, weight]: the seed's device mix, as ua-parser-js reads them */
const AGENTS = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', '1920x1080', 19],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', '1920x1080', 7],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', '1536x864', 3],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', '1512x982', 7],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', '1440x900', 6],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', '1920x1080', 3],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', '390x844', 23],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', '393x852', 4],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', '412x915', 16],
  ['Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36', '384x854', 5],
  ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', '820x1180', 4.5],
  ['Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', '800x1280', 1.5],
] as const;
const FIRST = ['Sanne', 'Daan', 'Emma', 'Lucas', 'Julia', 'Noah', 'Tess', 'Sem', 'Anna', 'Finn'];
const LAST = ['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'de Boer'];

/** mulberry32: small seeded PRNG, so a seed replays the same visitor. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  h[12] = '4';
  h[16] = '89ab'[Math.floor(rand() * 4)]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/**
 * A visitor's whole visit. Event timestamps are filled in when a step is sent
 * (`ts: 0` placeholders), so the same script can be replayed at any time.
 */
export function makeVisitor(seed: number): Visitor {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const id = () => uuidFrom(rand);
  const ev = (type: string, extra: Record<string, unknown> = {}) => ({ id: id(), type, ts: 0, ...extra });
  const steps: Step[] = [];
  const stuck = rand() < 0.1;
  const source = landing(rand);
  const [userAgent, screen] = weighted(rand, AGENTS.map(([ua, sc, w]) => [[ua, sc], w] as const));
  // The landing view carries the referrer and utm, as the tracker sends them (tracker/src/core.ts).
  let page = source.path;
  const titled = (path: string) => TITLES[path.split('?')[0]!] ?? 'Vibe CRM';
  steps.push({ wait: 0, events: [ev('pageview', { path: page, title: titled(page), referrer: source.referrer, utm: source.utm, screen })] });

  const heartbeatsOn = (seconds: number) => {
    for (let t = 30; t <= seconds; t += 30) steps.push({ wait: 30, events: [ev('heartbeat', { path: page })] });
  };
  const pagesToVisit = stuck ? 1 : 1 + Math.floor(rand() * 6);
  for (let i = 1; i < pagesToVisit; i++) {
    const dwell = 5 + Math.floor(rand() * 50);
    heartbeatsOn(dwell);
    page = pick(PAGES);
    steps.push({ wait: dwell % 30 || 5, events: [ev('pageview', { path: page, title: titled(page), screen })] });
  }
  // The funnel: about a third sign up, half of them activate, a third of those pay.
  if (rand() < 0.35) {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${seed % 1000}@example.com`;
    const paid = rand() < 0.17;
    steps.push({ wait: 4, events: [ev('event', { path: '/signup', name: 'signup', props: { plan: paid ? 'pro' : 'free' } })] });
    steps.push({ wait: 1, events: [ev('identify', { path: '/signup', email, name, segment: paid ? 'premium' : rand() < 0.5 ? 'trial' : 'user' })] });
    if (rand() < 0.5) steps.push({ wait: 6, events: [ev('event', { path: '/app/dashboard', name: 'activated' })] });
    if (paid) steps.push({ wait: 8, events: [ev('event', { path: '/checkout', name: 'payment_success', props: { amount: 49 } })] });
  }
  // Stuck visitors sit on one page for 6–9 minutes (the dashboard flags > 5 min).
  heartbeatsOn(stuck ? 360 + Math.floor(rand() * 180) : 10 + Math.floor(rand() * 60));
  steps.push({ wait: 3, events: [ev('leave', { path: page })] });
  return {
    visitorId: id(),
    sessionId: id(),
    userAgent,
    country: weighted(rand, COUNTRIES),
    source,
    steps,
  };
}
