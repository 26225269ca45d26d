// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { clearFilters, removeFilter, reportStore, setFilter, setRange } from './reportState';
import { DEFAULT_STATE } from './reportUrl';

afterEach(() => {
  reportStore.set(DEFAULT_STATE);
  history.replaceState(null, '', '/');
});

describe('report state', () => {
  it('writes range and filters into the URL, keeping other parameters', () => {
    history.replaceState(null, '', '/?x=1');
    setRange({ preset: '7d' });
    setFilter('channel', 'social');
    setFilter('country', 'NL');
    expect(location.search).toBe('?x=1&range=7d&f.channel=social&f.country=NL');
    removeFilter('channel');
    expect(reportStore.get().filter).toEqual({ country: 'NL' });
    clearFilters();
    setRange({ preset: 'custom', from: '2026-11-01', to: '2026-11-30' });
    expect(location.search).toBe('?x=1&from=2026-11-01&to=2026-11-30');
  });

  it('follows Back (popstate) from the URL', () => {
    history.replaceState(null, '', '/?range=90d&f.device=mobile');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(reportStore.get()).toEqual({ range: { preset: '90d' }, filter: { device: 'mobile' } });
  });
});
