import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent, secondsSince, segmentLabelKey, trendOf } from './format';
import { csvFileName, integrationSnippet } from './snippet';

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

  it('builds the snippet from the ingest URL and public key', () => {
    expect(integrationSnippet('https://x.supabase.co/functions/v1/ingest/', 'pk_abc')).toBe(
      '<script defer src="https://x.supabase.co/functions/v1/ingest/vibe.js" data-project="pk_abc" data-api="https://x.supabase.co/functions/v1/ingest"></script>',
    );
  });

  it('names CSV files by project, kind and day', () => {
    expect(csvFileName('users', 'Mijn Shop!', new Date('2026-11-25T12:00:00Z'))).toBe('vibe-crm-mijn-shop-users-2026-11-25.csv');
  });
});
