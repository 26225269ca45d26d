import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent, secondsSince, segmentLabelKey, trendOf } from './format';
import { csvFileName, integrationSnippet, QUEUE_STUB } from './snippet';

describe('formatDuration', () => {
  it('shows m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(-3)).toBe('0:00');
    expect(formatDuration(null)).toBe('–');
  });
});

describe('formatPercent', () => {
  it('uses the locale and an optional sign', () => {
    expect(formatPercent(12.5, 'nl')).toBe('12,5%');
    expect(formatPercent(12.5, 'en', true)).toBe('+12.5%');
    expect(formatPercent(-3, 'en', true)).toBe('-3%');
    expect(formatPercent(null, 'en')).toBe('–');
  });
});

describe('trendOf', () => {
  it('points the arrow by sign and colours by whether higher is better', () => {
    expect(trendOf(10)).toEqual({ arrow: '▲', tone: 'good' });
    expect(trendOf(-10)).toEqual({ arrow: '▼', tone: 'bad' });
    expect(trendOf(10, false)).toEqual({ arrow: '▲', tone: 'bad' });
    expect(trendOf(0)).toEqual({ arrow: '▬', tone: 'neutral' });
    expect(trendOf(null)).toBeNull();
  });
});

describe('small helpers', () => {
  it('counts whole seconds since a moment', () => {
    expect(secondsSince(1000, 62_999)).toBe(61);
    expect(secondsSince(5000, 1000)).toBe(0);
  });

  it('labels known segments only', () => {
    expect(segmentLabelKey('premium')).toBe('segPremium');
    expect(segmentLabelKey('vip')).toBeNull();
  });

  it('builds the snippet from the ingest URL and public key, after the queue stub', () => {
    expect(integrationSnippet('https://x.supabase.co/functions/v1/ingest/', 'pk_abc')).toBe(
      `${QUEUE_STUB}\n<script defer src="https://x.supabase.co/functions/v1/ingest/vibe.js" data-project="pk_abc" data-api="https://x.supabase.co/functions/v1/ingest"></script>`,
    );
  });

  it('follows the project\'s privacy settings: cookieless and Do Not Track', () => {
    const tag = integrationSnippet('https://x.supabase.co/functions/v1/ingest', 'pk_abc', { cookieless: true, respectDnt: true });
    expect(tag).toContain(' data-mode="cookieless"');
    expect(tag).toContain(' data-respect-dnt>');
    expect(integrationSnippet('https://x/ingest', 'pk_abc', { cookieless: false, respectDnt: false })).not.toMatch(/data-mode|data-respect-dnt/);
  });

  it('adds data-supabase-auth (no value) only when asked, after the privacy attributes', () => {
    expect(integrationSnippet('https://x/ingest', 'pk_abc', { respectDnt: true, supabaseAuth: true })).toMatch(
      / data-api="https:\/\/x\/ingest" data-respect-dnt data-supabase-auth><\/script>$/,
    );
    expect(integrationSnippet('https://x/ingest', 'pk_abc', { supabaseAuth: false })).not.toContain('data-supabase-auth');
    expect(integrationSnippet('https://x/ingest', 'pk_abc')).not.toContain('data-supabase-auth');
  });

  it('the queue stub keeps early calls where the tracker reads them (window.vibeQ)', () => {
    const w: Record<string, unknown> = {};
    const body = QUEUE_STUB.replace(/^<script>|<\/script>$/g, '');
    new Function('window', body)(w);
    (w.vibeTrack as (...a: unknown[]) => void)('signup', { plan: 'pro' });
    expect((w.vibeQ as unknown[][]).map(([f, args]) => [f, Array.from(args as ArrayLike<unknown>)])).toEqual([['vibeTrack', ['signup', { plan: 'pro' }]]]);
  });

  it('names CSV files by project, kind and day', () => {
    expect(csvFileName('users', 'Mijn Shop!', new Date('2026-11-25T12:00:00Z'))).toBe('vibe-crm-mijn-shop-users-2026-11-25.csv');
  });
});
