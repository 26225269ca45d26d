// Where a demo visitor comes from: the landing page view's referrer, its path with the
// query a tagged link puts there, the utm the tracker reads from that query, and the
// country a platform header would give. The same channels and countries as the seed
// (supabase/seed.sql), so the acquisition reports move the way they were filled. No
// #anchors here: the tracker sends one only with hash routing on.

/** [channel, referrer ('' = none), landing path with its query ('' = a usual entry page), weight] */
export const SOURCES = [
  ['direct', '', '', 22],
  ['organic', 'https://www.google.com/', '', 17],
  ['organic', 'https://www.google.nl/', '', 5],
  ['organic', 'https://www.bing.com/', '', 3.5],
  ['organic', 'https://duckduckgo.com/', '/docs/install', 2.5],
  ['paid', 'https://www.google.com/', '/?utm_source=google&utm_medium=cpc&utm_campaign=brand-nl', 4],
  ['paid', 'https://www.google.com/', '/features?utm_source=google&utm_medium=cpc&utm_campaign=crm-software&utm_term=realtime+crm', 3],
  ['paid', 'https://www.bing.com/', '/?utm_source=bing&utm_medium=ppc&utm_campaign=brand-nl', 1.5],
  ['social', 'https://www.linkedin.com/', '/?utm_source=linkedin&utm_medium=social&utm_campaign=launch-week', 3],
  ['social', 'https://l.facebook.com/', '', 2.5],
  ['social', 'https://l.instagram.com/', '/features', 1.5],
  ['social', 'https://t.co/', '/blog/realtime-analytics', 2],
  ['social', 'https://www.reddit.com/', '/blog/privacy-first', 2],
  ['email', '', '/blog/realtime-analytics?utm_source=newsletter&utm_medium=email&utm_campaign=monthly-newsletter', 3.5],
  ['email', '', '/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=product-update&utm_content=cta-button', 2],
  ['ai', 'https://chatgpt.com/', '/?utm_source=chatgpt.com', 4],
  ['ai', 'https://www.perplexity.ai/', '', 1.5],
  ['ai', 'https://gemini.google.com/', '', 1],
  ['ai', 'https://copilot.microsoft.com/', '', 0.7],
  ['ai', 'https://claude.ai/', '', 1],
  ['referral', 'https://news.ycombinator.com/', '/blog/realtime-analytics?ref=hn', 3],
  ['referral', 'https://www.producthunt.com/', '/?ref=producthunt', 2],
  ['referral', 'https://supabase.com/partners/integrations', '/docs/getting-started?ref=supabase', 2],
  ['referral', 'https://github.com/', '/docs', 1.5],
  ['referral', 'https://www.emerce.nl/', '/?ref=emerce', 1],
] as const;

export type Channel = (typeof SOURCES)[number][0];

/** ISO 3166-1 alpha-2, weighted like a Dutch SaaS (as the seed). */
export const COUNTRIES = [
  ['NL', 36], ['BE', 11], ['DE', 10], ['US', 9], ['GB', 8], ['FR', 4], ['ES', 2.5], ['IN', 2.5],
  ['IT', 2], ['SE', 2], ['PL', 2], ['DK', 1.5], ['AT', 1.5], ['CH', 1.5], ['IE', 1.5], ['CA', 1.5],
] as const;

const ENTRY_PAGES = ['/', '/', '/', '/pricing', '/blog/realtime-analytics', '/features', '/docs'];
const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'];

export function weighted<T>(rand: () => number, items: readonly (readonly [T, number])[]): T {
  let r = rand() * items.reduce((n, [, w]) => n + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return items[items.length - 1]![0];
}

/** The utm object the tracker sends for a path: utm_* of its query (tracker/src/core.ts). */
export function utmOf(path: string): Record<string, string> | undefined {
  const q = new URLSearchParams(path.split('?')[1] ?? '');
  let utm: Record<string, string> | undefined;
  for (const k of UTM_KEYS) {
    const v = q.get(`utm_${k}`);
    if (v) (utm ??= {})[k] = v;
  }
  return utm;
}

export interface Landing {
  channel: Channel;
  path: string;
  referrer?: string;
  utm?: Record<string, string>;
}

/** A visit's landing page view: where it lands and what came with it. */
export function landing(rand: () => number): Landing {
  const [channel, referrer, path] = weighted(rand, SOURCES.map((s) => [s, s[3]] as const));
  const at = path || ENTRY_PAGES[Math.floor(rand() * ENTRY_PAGES.length)]!;
  return { channel, path: at, referrer: referrer || undefined, utm: utmOf(at) };
}
