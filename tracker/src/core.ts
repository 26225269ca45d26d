import { uuid } from './ids';
import type { Identity, Props } from './index';

/** The settings the tracker reads, named as the script tag's `data-*` attributes. */
export type Setting = 'project' | 'api' | 'hash' | 'mode' | 'respect-dnt' | 'allow-localhost';
/** Reads one setting: null/undefined when absent, a string (maybe '') when present. */
export type Settings = (name: Setting) => string | null | undefined;
/** track, identify, reset. */
export type Calls = [(name: string, props?: Props) => void, (who: Identity) => void, () => void];

type Ev = Record<string, unknown> & { id: string };
/** A queued event with the visitor and session it belongs to (a batch carries one of each). */
type Item = { v?: string; s?: string; e: Ev };
type Store = Record<string, string>;

/**
 * Starts tracking the page: page views (load, SPA navigation), heartbeats, leave,
 * and a persistent queue sent in batches (see supabase/functions/ingest/PROTOCOL.md).
 * Written for size: the IIFE build must stay under the budget in tracker/build.ts.
 */
export function start(get: Settings): Calls {
  const w = window, d = document, nav = navigator, loc = location, now = Date.now;
  const on = (t: string, f: (e: PageTransitionEvent) => void) => w.addEventListener(t, f as EventListener);
  const has = (k: Setting) => get(k) != null;
  const project = get('project'), api = get('api')!, hash = has('hash');
  const cookieless = get('mode') == 'cookieless';
  const off = !project
    // DNT/GPC only when the project asks: the tracker cannot see the project setting before sending.
    || has('respect-dnt') && (nav.doNotTrack == '1' || (nav as { globalPrivacyControl?: boolean }).globalPrivacyControl)
    || !has('allow-localhost') && (nav.webdriver || /^(localhost|127\.[\d.]+|\[::1\]|)$/.test(loc.hostname));
  const qk = 'vibe_q' + project;

  // Cookieless (or blocked storage): plain objects, so nothing outlives the page.
  let ls: Store = {}, ss: Store = {};
  try {
    if (!cookieless) (ls = localStorage as unknown as Store), (ss = sessionStorage as unknown as Store);
  } catch {}
  const load = <T>(st: Store, k: string): T | undefined => {
    try {
      return JSON.parse(st[k]!);
    } catch {}
  };
  const save = <T>(st: Store, k: string, v: T): T => {
    try {
      st[k] = JSON.stringify(v);
    } catch {}
    return v;
  };

  // A session id per tab, renewed after 30 min without an event.
  let fresh: unknown = cookieless;
  const session = (): string => {
    let s = load<[string, number]>(ss, 'vibe_s'), t = now();
    if (!s || t - s[1] > 18e5) (s = [uuid(), t]), (fresh = 1);
    s[1] = t;
    return save(ss, 'vibe_s', s)[0];
  };
  const visitor = (): string => load<string>(ls, 'vibe_v') || save(ls, 'vibe_v', uuid());

  let busy = 0, timer: ReturnType<typeof setTimeout> | 0 = 0, delay = 0, first = 1;

  /** The oldest queued event's visitor and session, with as many of theirs as fit one request. */
  const batch = (): [string, Ev[]] | undefined => {
    const q = load<Item[]>(ls, qk) || [], b = q[0], evs: Ev[] = [];
    let size = 0;
    if (!b) return;
    // ≤ 100 events, and ≤ ~60 KB so that keepalive/sendBeacon (64 KB) never refuse it.
    for (const x of q) {
      if (x.v == b.v && x.s == b.s && evs.length < 100 && ((size += JSON.stringify(x.e).length) < 2e4 || !evs[0])) {
        evs.push(x.e);
      }
    }
    return [JSON.stringify({ project, sent_at: now(), visitor_id: b.v, session_id: b.s, events: evs }), evs];
  };

  const send = (): void => {
    clearTimeout(timer);
    timer = 0;
    const b = !busy && batch();
    if (!b) return;
    busy = 1;
    fetch(api, { method: 'POST', body: b[0], keepalive: true })
      .then((r) => {
        // Retry on 429 and 5xx; anything else is an answer: acknowledged, or dropped (other 4xx).
        if (r.status == 429 || r.status > 499) throw 0;
        const ids = b[1].map((e) => e.id);
        save(ls, qk, (load<Item[]>(ls, qk) || []).filter((x) => !ids.includes(x.e.id)));
        busy = delay = 0;
        send();
      })
      .catch(() => {
        busy = 0;
        delay = Math.min(delay * 2 || 1e3, 3e5);
        timer = setTimeout(send, delay * (1 + Math.random()));
      });
  };

  const path = () => (loc.pathname + loc.search + (hash ? loc.hash : '')).slice(0, 2048);

  const push = (type: string, x?: object): void => {
    if (off) return;
    const e = { ...x, type, id: uuid(), ts: now(), path: path() };
    const q = load<Item[]>(ls, qk) || [];
    q.push(cookieless ? { e } : { v: visitor(), s: session(), e });
    save(ls, qk, q.slice(-500));
    // The first event of a page goes out at once (with whatever the same task queued), later ones within 1 s.
    timer ||= setTimeout(send, first ? 0 : 1e3);
    first = 0;
  };

  let last: string | undefined, ref = '';
  const pageview = () => {
    const p = path(), utm: Store = {}, u = new URLSearchParams(loc.search);
    if (p == last) return;
    last = p;
    for (const k of ['source', 'medium', 'campaign', 'term', 'content']) {
      const v = u.get('utm_' + k);
      if (v) utm[k] = v.slice(0, 256);
    }
    push('pageview', {
      title: d.title.slice(0, 512),
      referrer: ref || undefined,
      utm,
      screen: screen.width + 'x' + screen.height,
    });
    ref = '';
  };

  if (!off) {
    // The referrer only on the first page view of a session (cookieless: the server decides).
    if (!cookieless) session();
    if (fresh) ref = d.referrer.slice(0, 2048);
    pageview();
    for (const m of ['pushState', 'replaceState'] as const) {
      const f = history[m];
      history[m] = (...a: Parameters<History['pushState']>) => (f.apply(history, a), pageview());
    }
    on('popstate', pageview);
    on('hashchange', pageview);
    // Back from the bfcache: a new view of the page.
    on('pageshow', (e) => e.persisted && ((last = ''), pageview()));
    on('pagehide', () => {
      push('leave');
      // No answer comes back: the events stay queued until a later request is acknowledged.
      const b = batch();
      b && nav.sendBeacon(api, b[0]);
    });
    // Heartbeats only while visible, and none while events wait (offline): those refresh the session too.
    setInterval(() => d.visibilityState == 'visible' && !load<Item[]>(ls, qk)?.[0] && push('heartbeat'), 3e4);
  }

  return [
    (name, props) => push('event', { name, props }),
    (who) => push('identify', who),
    // A new visitor id; no session, so the next event starts one.
    () => off || (save(ls, 'vibe_v', uuid()), save(ss, 'vibe_s', 0)),
  ];
}
