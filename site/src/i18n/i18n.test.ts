// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { localeStore, setLocale } from './i18n';

describe('setLocale', () => {
  afterEach(() => setLocale('nl'));

  it('switches the page language and re-titles the page from its title key', () => {
    document.documentElement.dataset.titleKey = 'navUsers';
    document.title = 'Alle gebruikers · Vibe CRM';
    setLocale('en');
    expect(document.documentElement.lang).toBe('en');
    expect(document.title).toBe('All users · Vibe CRM');
    expect(localeStore.get()).toBe('en');
    setLocale('nl');
    expect(document.title).toBe('Alle gebruikers · Vibe CRM');
  });
});
