import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, isDefaultState, parseReportState, resolveRange, serialiseReportState, validDay } from './reportUrl';

describe('report URL state', () => {
  it('defaults to 30 days and no filter when the URL has nothing', () => {
    expect(parseReportState('')).toEqual(DEFAULT_STATE);
    expect(serialiseReportState(DEFAULT_STATE)).toBe('');
  });

  it('round-trips presets, custom ranges and filters', () => {
    for (const search of ['?range=7d', '?range=today', '?range=90d', '?from=2026-11-01&to=2026-11-30', '?range=7d&f.channel=social&f.country=NL']) {
      expect(serialiseReportState(parseReportState(search))).toBe(search);
    }
    expect(parseReportState('?f.source=news.ycombinator.com&f.campaign=spring sale').filter).toEqual({ source: 'news.ycombinator.com', campaign: 'spring sale' });
  });

  it('keeps other parameters and replaces only its own', () => {
    const s = serialiseReportState({ range: { preset: '7d' }, filter: { device: 'mobile' } }, '?x=1&range=90d&f.channel=email');
    expect(new URLSearchParams(s).getAll('x')).toEqual(['1']);
    expect(s).toBe('?x=1&range=7d&f.device=mobile');
  });

  it('falls back to defaults on bad values', () => {
    expect(parseReportState('?range=8d').range).toEqual({ preset: '30d' });
    expect(parseReportState('?from=2026-02-30&to=2026-03-01').range).toEqual({ preset: '30d' });
    expect(parseReportState('?from=2026-03-02&to=2026-03-01').range).toEqual({ preset: '30d' });
    expect(parseReportState('?from=2024-01-01&to=2026-01-01').range).toEqual({ preset: '30d' }); // > 366 days
    expect(parseReportState('?from=yesterday&to=2026-03-01&range=7d').range).toEqual({ preset: '7d' });
    expect(parseReportState('?f.os=Linux&f.channel=&f.nope=1&f.country=NL').filter).toEqual({ country: 'NL' });
    expect(parseReportState(`?f.source=${'x'.repeat(501)}`).filter).toEqual({});
    expect(parseReportState('?f.channel=carrier_pigeon&f.device=mobile').filter).toEqual({ device: 'mobile' });
    expect(validDay('2026-13-01')).toBeNull();
  });

  it('resolves a range to UTC days, a preset ending today', () => {
    expect(resolveRange({ preset: 'today' }, '2026-12-06')).toEqual({ from: '2026-12-06', to: '2026-12-06', days: 1 });
    expect(resolveRange({ preset: '7d' }, '2026-12-06')).toEqual({ from: '2026-11-30', to: '2026-12-06', days: 7 });
    expect(resolveRange({ preset: '30d' }, '2026-03-01')).toEqual({ from: '2026-01-31', to: '2026-03-01', days: 30 });
    expect(resolveRange({ preset: 'custom', from: '2026-11-01', to: '2026-11-30' }, '2026-12-06')).toEqual({ from: '2026-11-01', to: '2026-11-30', days: 30 });
  });

  it('knows the default view (30 days, no filter), where the cards stay week-over-week', () => {
    expect(isDefaultState(DEFAULT_STATE)).toBe(true);
    expect(isDefaultState(parseReportState(''))).toBe(true);
    expect(isDefaultState(parseReportState('?range=30d'))).toBe(true);
    expect(isDefaultState(parseReportState('?range=7d'))).toBe(false);
    expect(isDefaultState(parseReportState('?f.country=NL'))).toBe(false);
    // the same 30 days as dates are a chosen range, not the default view
    expect(isDefaultState({ range: { preset: 'custom', from: '2026-11-07', to: '2026-12-06' }, filter: {} })).toBe(false);
    expect(isDefaultState({ range: { preset: '30d' }, filter: { country: '' } })).toBe(true);
  });
});
