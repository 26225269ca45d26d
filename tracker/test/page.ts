// Test harness: loads the real script-tag bundle (the code dist/vibe.js holds) into a
// fresh happy-dom window per page, with a controllable clock, a fake fetch that records
// every batch and answers what the test says, and a recording sendBeacon.
import { BrowserErrorCaptureEnum, Window } from 'happy-dom';
import { bundleScript } from '../build';

export type Ev = { id: string; type: string; ts: number; path: string } & Record<string, unknown>;
export interface Batch {
  project: string;
  sent_at: number;
  visitor_id?: string;
  session_id?: string;
  events: Ev[];
}

let code: Promise<string> | undefined;
/** Built once per test file. */
export const script = () => (code ??= bundleScript());

/** The queue stub README.md documents, as a page pastes it before the script tag. */
export const STUB =
  "['vibeTrack','vibeIdentify','vibeReset'].forEach(function(f){window[f]=window[f]||function(){(window.vibeQ=window.vibeQ||[]).push([f,arguments])}})";

type Timer = { id: number; at: number; every: number; f: () => void };

/** A fake clock for one or more pages: timers fire only in `tick`, in time order. */
export class Clock {
  now = Date.UTC(2026, 10, 25, 12);
  #timers = new Map<number, Timer>();
  #next = 1;
  readonly Date: DateConstructor;

  constructor() {
    const clock = this;
    this.Date = class extends Date {
      static override now() {
        return clock.now;
      }
    } as DateConstructor;
  }

  add(f: () => void, ms = 0, every = 0): number {
    const id = this.#next++;
    this.#timers.set(id, { id, at: this.now + ms, every, f });
    return id;
  }

  clear(id?: number): void {
    if (id) this.#timers.delete(id);
  }

  /** Advances time by ms, running due timers and letting promises (fetch answers) settle after each. */
  async tick(ms = 0): Promise<void> {
    const end = this.now + ms;
    await settle();
    for (;;) {
      const due = [...this.#timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.at);
      if (due.every) due.at += due.every;
      else this.#timers.delete(due.id);
      due.f();
      await settle();
    }
    this.now = end;
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

export interface PageOptions {
  url?: string;
  /** data-* attributes of the script tag (without the data- prefix); project and api have defaults, null removes one. */
  attrs?: Record<string, string | null>;
  /** Inline code run before the tracker (the queue stub and early calls). */
  before?: string;
  clock?: Clock;
  /** localStorage and sessionStorage contents to start with (a previous page of the same tab). */
  local?: Record<string, string>;
  session?: Record<string, string>;
  /** The HTTP status for the nth request (from 0), or 'offline' for a network error. Default 202. */
  /** The status to answer, 'offline', or a status with a Retry-After header (seconds). */
  answer?: (batch: Batch, n: number) => number | 'offline' | { status: number; retryAfter: number };
  referrer?: string;
  title?: string;
  webdriver?: boolean;
  doNotTrack?: string;
  gpc?: boolean;
}

export const API = 'https://ref.supabase.co/functions/v1/ingest';
export const PROJECT = 'pk_test1234';

export interface Page {
  win: Window;
  clock: Clock;
  /** Every fetch body, in order, with the status it got. */
  requests: { batch: Batch; status: number | 'offline'; keepalive: boolean; headers: unknown }[];
  beacons: Batch[];
  /** Events of every request and beacon, flattened. */
  sent(): Ev[];
  local(): Record<string, string>;
  session(): Record<string, string>;
  setVisible(visible: boolean): void;
  /** Runs code in the page (as a site's own script would). */
  run(code: string): void;
  /** Adds the tracker's script tag (once more). */
  addTracker(): Promise<void>;
  close(): Promise<void>;
}

const dump = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i)!, s.getItem(s.key(i)!)!]));

export async function openPage(o: PageOptions = {}): Promise<Page> {
  const clock = o.clock ?? new Clock();
  const win = new Window({
    url: o.url ?? 'https://shop.example/',
    settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true, errorCapture: BrowserErrorCaptureEnum.disabled },
  });
  const w = win as unknown as Record<string, unknown>;
  w.Date = clock.Date;
  const timers = new Set<number>();
  const add = (id: number) => (timers.add(id), id);
  w.setTimeout = (f: () => void, ms?: number) => add(clock.add(f, ms));
  w.setInterval = (f: () => void, ms = 0) => add(clock.add(f, ms, Math.max(ms, 1)));
  w.clearTimeout = w.clearInterval = (id?: number) => clock.clear(id);

  const page: Page = {
    win,
    clock,
    requests: [],
    beacons: [],
    sent: () => [...page.requests.map((r) => r.batch), ...page.beacons].flatMap((b) => b.events),
    local: () => dump(win.localStorage as unknown as Storage),
    session: () => dump(win.sessionStorage as unknown as Storage),
    setVisible: (v) => {
      visible = v;
      win.document.dispatchEvent(new win.Event('visibilitychange'));
    },
    run: (code) => {
      const s = win.document.createElement('script');
      s.textContent = code;
      win.document.body.appendChild(s);
    },
    addTracker: async () => {
      const s = win.document.createElement('script');
      for (const [k, v] of Object.entries({ project: PROJECT, api: API, ...o.attrs })) if (v !== null) s.setAttribute('data-' + k, v);
      s.textContent = await script();
      win.document.head.appendChild(s);
    },
    // A closed page's timers stop, as the browser's do.
    close: () => {
      for (const id of timers) clock.clear(id);
      return win.happyDOM.close();
    },
  };

  w.fetch = async (url: string, init: { method: string; body: string; keepalive: boolean; headers?: unknown }) => {
    if (url !== API || init.method !== 'POST') throw new Error(`unexpected fetch ${init.method} ${url}`);
    const batch = JSON.parse(init.body) as Batch;
    const answer = o.answer?.(batch, page.requests.length) ?? 202;
    const status = typeof answer === 'object' ? answer.status : answer;
    page.requests.push({ batch, status, keepalive: init.keepalive, headers: init.headers });
    if (status === 'offline') throw new TypeError('Failed to fetch');
    const headers = new Headers(typeof answer === 'object' ? { 'retry-after': String(answer.retryAfter) } : {});
    return { status, ok: status < 300, headers };
  };
  let visible = true;
  const nav = win.navigator as unknown as Record<string, unknown>;
  Object.defineProperty(nav, 'webdriver', { get: () => o.webdriver ?? false });
  Object.defineProperty(nav, 'doNotTrack', { get: () => o.doNotTrack ?? 'unspecified' });
  if (o.gpc) Object.defineProperty(nav, 'globalPrivacyControl', { get: () => true });
  nav.sendBeacon = (url: string, body: string) => {
    if (url !== API || typeof body !== 'string') throw new Error('unexpected beacon');
    page.beacons.push(JSON.parse(body) as Batch);
    return true;
  };
  Object.defineProperty(win.document, 'visibilityState', { get: () => (visible ? 'visible' : 'hidden') });
  Object.defineProperty(win.document, 'hidden', { get: () => !visible });
  Object.defineProperty(win.document, 'referrer', { get: () => o.referrer ?? '' });
  win.document.title = o.title ?? 'Shop';
  for (const [k, v] of Object.entries(o.local ?? {})) win.localStorage.setItem(k, v);
  for (const [k, v] of Object.entries(o.session ?? {})) win.sessionStorage.setItem(k, v);

  if (o.before) page.run(o.before);
  await page.addTracker();
  return page;
}

/** Leaves the page as the browser does: pagehide (with the beacon), then the window is gone. */
export async function leave(page: Page): Promise<void> {
  page.win.dispatchEvent(new page.win.Event('pagehide'));
  await page.close();
}
