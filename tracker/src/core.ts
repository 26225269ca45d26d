import { uuid } from './ids';
import { METADATA_BYTES, PATH, PROPS_BYTES, REFERRER, TITLE, UTM_VALUE } from './limits';
import type { Identity, Props } from './index';

/** The settings the tracker reads, named as the script tag's `data-*` attributes. */
export type Setting = 'project' | 'api' | 'hash' | 'mode' | 'respect-dnt' | 'allow-localhost' | 'supabase-auth';
/** Returns the current Supabase access token (the ESM `supabaseAuth` option as a function). */
export type Token = () => string | null | undefined;
/** What a present setting holds: a string (maybe ''); 'supabase-auth' may also be a function (ESM only). */
export type Values = { [K in Setting]: K extends 'supabase-auth' ? string | Token : string };
/** Reads one setting: null/undefined when absent. */
export type Settings = <K extends Setting>(name: K) => Values[K] | null | undefined;
/** track, identify, reset. */
export type Calls = [(name: string, props?: Props) => void, (who: Identity) => void, () => void];

type Ev = Record<string, unknown> & { id: string };
/** A queued event with the visitor and session it belongs to (a batch carries one of each). */
type Item = { v?: string; s?: string; e: Ev };
type Store = Record<string, string>;
const noop = () => {};

/**
 * Starts tracking the page: page views (load, SPA navigation), heartbeats, leave,
 * and a persistent queue sent in batches (see supabase/functions/ingest/PROTOCOL.md).
 * Written for size: the IIFE build must stay under the budget in tracker/build.ts.
 */
export function start(get: Settings): Calls {
  const d = document, nav = navigator, loc = location, now = Date.now, str = JSON.stringify;
  const has = (k: Setting) => get(k) != null;
  const project = get('project'), api = get('api')!, hash = has('hash');
  const cookieless = get('mode') == 'cookieless';
  const off = !project || !api
    // DNT/GPC only when the project asks: the tracker cannot see the project setting before sending.
    || has('respect-dnt') && (nav.doNotTrack == '1' || (nav as { globalPrivacyControl?: boolean }).globalPrivacyControl)
    || !has('allow-localhost') && (nav.webdriver || /^(localhost|127\.[\d.]+|\[::1\]|)$/.test(loc.hostname));
  const qk = 'vibe_q' + project, auth = get('supabase-auth');

  // Cookieless (or blocked storage): plain objects, so nothing outlives the page.
  // site: the real localStorage even cookieless, where the site's own Supabase session is.
  let ls: Store = {}, ss: Store = {}, site: Store = {};
  try {
    site = localStorage as unknown as Store;
    if (!cookieless) (ls = site), (ss = sessionStorage as unknown as Store);
  } catch {}
  const load = <T>(st: Store, k: string): T | undefined => {
    try {
      return JSON.parse(st[k]!);
    } catch {}
  };
  const save = <T>(st: Store, k: string, v: T): T => {
    try {
      st[k] = str(v);
    } catch {}
    return v;
  };

  // A session id per tab, renewed after 30 min without an event.
  let fresh: unknown = cookieless;
  const session = (): string => {
    let s = load<[string, number]>(ss, 'vibe_s'), t = now();
    if (!s || t - s[1] > 18e5) fresh = s = [uuid()] as unknown as [string, number];
    s[1] = t;
    return save(ss, 'vibe_s', s)[0];
  };
  const visitor = (): string => load<string>(ls, 'vibe_v') || save(ls, 'vibe_v', uuid());
  const queue = (): Item[] => load(ls, qk) || [];

  let busy = 0, timer: ReturnType<typeof setTimeout> | 0 = 0, delay = 0, wait = 0;

  /** The body of one request: the oldest queued event's visitor and session, with as many of theirs as fit. */
  const batch = (): string | undefined => {
    const q = queue(), b = q[0], evs: Ev[] = [];
    let size = 0;
    if (!b) return;
    // ≤ 8,000 characters of events (≤ 24 KB): keepalive fetches and beacons share 64 KB in flight.
    // The smallest event is 88 characters, so this also keeps a batch under 100 events.
    for (const x of q) {
      if (x.v == b.v && x.s == b.s && ((size += str(x.e).length) < 8e3 || !evs[0])) {
        evs.push(x.e);
      }
    }
    return str({ project, sent_at: now(), visitor_id: b.v, session_id: b.s, events: evs });
  };

  // A timer left pending by a direct call only finds the queue empty or a request in flight.
  const send = (): void => {
    timer = 0;
    const b = !busy && batch();
    if (!b) return;
    busy = 1;
    fetch(api, { method: 'POST', body: b, keepalive: true })
      .then(({ status: s, headers: h }) => {
        // Retry on 429 and 5xx, not before the server's Retry-After (seconds); anything
        // else is an answer: acknowledged, or dropped (other 4xx).
        if (s == 429 || s > 499) throw +h.get('retry-after')! * 1e3;
        // The sent events are those whose (unique) id is in the body.
        save(ls, qk, queue().filter((x) => !b.includes(x.e.id)));
        busy = delay = 0;
        send();
      })
      .catch((r) => {
        busy = 0;
        // r: the Retry-After in ms, or a network error (NaN: no floor).
        delay = Math.max(Math.min(delay * 2 || 1e3, 3e5), +r || 0);
        timer = setTimeout(send, delay * (1 + Math.random()));
      });
  };

  const path = () => (loc.pathname + loc.search + (hash ? loc.hash : '')).slice(0, PATH);

  const push = (type: string, x?: object): void => {
    const e = { ...x, type, id: uuid(), ts: now(), path: path() };
    const q = queue();
    q.push(cookieless ? { e } : { v: visitor(), s: session(), e });
    save(ls, qk, q.slice(-500));
    // The first event of a page goes out at once (with whatever the same task queued), later ones within 1 s.
    timer ||= setTimeout(send, wait);
    wait = 1e3;
  };

  let last: unknown, ref = ''; // the last page view's path (0: none since pagehide)
  const pageview = () => {
    const p = path(), u = new URLSearchParams(loc.search);
    let utm: Store | undefined;
    if (p == last) return;
    last = p;
    for (const k of 'source medium campaign term content'.split(' ')) {
      const v = u.get('utm_' + k);
      if (v) (utm ||= {})[k] = v.slice(0, UTM_VALUE);
    }
    push('pageview', {
      title: d.title.slice(0, TITLE),
      referrer: ref || undefined,
      utm,
      screen: screen.width + 'x' + screen.height,
    });
    ref = '';
  };

  // A router sets the new title after the URL: read both a moment later. A redirect
  // within that moment makes one page view, of where it ends.
  const route = () => setTimeout(pageview, 300);

  // A new visitor id; no session, so the next event starts one.
  const reset = () => (save(ls, 'vibe_v', uuid()), save(ss, 'vibe_s', 0));

  // Supabase Auth (data-supabase-auth): the access token supabase-js keeps in localStorage
  // under sb-<ref>-auth-token, or under the key given, read from `site` (so cookieless too:
  // the session is the site's, not ours); or the ESM option's function, whose undefined
  // means "not known yet" (null: signed out). Only the token's tail, its signature's, is
  // kept (vibe_a): a new one is a sign-in or a refresh, none a sign-out.
  // No try: storage is `site` or {} and load catches; index.ts guards the ESM function.
  const check = () => {
    // A string has no .call: shorter than typeof == 'function'.
    const t = (auth as Token).call ? (auth as Token)()
      : load<{ access_token?: string }>(site, (auth as string) || Object.keys(site).find((k) => /^sb-.+-auth-token$/.test(k))!)?.access_token ?? null;
    const f = t && t.slice(-9);
    // Loose !=: no token and no fingerprint are equal (null, or nothing stored).
    if (t !== undefined && f != load(ls, 'vibe_a')) {
      // A token waiting in the queue (offline, a retry) is dropped: it must not outlive a
      // sign-out, and a newer one replaces it.
      save(ls, qk, queue().filter((x) => !x.e.token));
      // The token alone: the server refuses a token identify with other fields.
      t ? push('identify', { token: t }) : reset();
      save(ls, 'vibe_a', f);
    }
  };

  // Silent: the calls exist, and do nothing.
  if (off) return [noop, noop, noop];

  // The referrer only with the first page view of a session; cookieless, with each page's
  // first view (only the server knows whether it starts a session).
  if (!cookieless) session();
  if (fresh) ref = d.referrer.slice(0, REFERRER);
  pageview();
  for (const m of ['pushState', 'replaceState'] as const) {
    const f = history[m];
    history[m] = (...a: Parameters<History['pushState']>) => (f.apply(history, a), route());
  }
  addEventListener('popstate', route);
  addEventListener('hashchange', route);
  // Back from the bfcache (pageshow after pagehide), the page is seen again; the first pageshow is deduped.
  addEventListener('pageshow', pageview);
  addEventListener('pagehide', () => {
    push('leave');
    last = 0;
    // No answer comes back: the events stay queued until a later request is acknowledged.
    nav.sendBeacon(api, batch()!);
  });
  // Heartbeats only while visible, and none while events wait (offline): those refresh the session too.
  setInterval(() => !d.hidden && !queue()[0] && push('heartbeat'), 3e4);
  // After the first page view, which goes out under the anonymous id (the identify merges it).
  // Polled: the storage event does not fire in the tab that signs in, refreshes or signs out.
  if (auth != null) check(), setInterval(check, 1e3);

  // Refused here, with a warning, rather than sent to be rejected: the server would drop it anyway.
  const fits = (o: unknown, max: number, what: string) =>
    new Blob([str(o)]).size <= max || void console.warn(`vibe: ${what} over ${max} B, dropped`);

  return [
    (name, props) => fits(props, PROPS_BYTES, 'props') && push('event', { name, props }),
    (who) => fits(who.metadata, METADATA_BYTES, 'metadata') && push('identify', who),
    reset,
  ];
}
