// Locale switch (remembered per browser) and the translate function the views use.
import { createStore, useStore } from '../lib/store';
import { dictionaries, type Locale, type MessageKey } from './dictionary';

export const LOCALE_KEY = 'vibe-crm.locale';
export const localeStore = createStore<Locale>('nl');

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (m, name: string) => (vars && name in vars ? String(vars[name]) : m));
}

export function setLocale(locale: Locale): void {
  try {
    localStorage.setItem(LOCALE_KEY, locale);
  } catch {
    /* not remembered */
  }
  document.documentElement.lang = locale;
  const titleKey = document.documentElement.dataset.titleKey as MessageKey | undefined;
  if (titleKey && titleKey in dictionaries[locale]) document.title = `${translator(locale)(titleKey)} · Vibe CRM`;
  localeStore.set(locale);
}

/** Applies the remembered locale once the page is interactive. */
export function restoreLocale(): void {
  try {
    const saved = localStorage.getItem(LOCALE_KEY);
    if (saved === 'nl' || saved === 'en') setLocale(saved);
  } catch {
    /* default nl */
  }
}

export function useT(): Translate {
  return translator(useStore(localeStore));
}

export const useLocale = (): Locale => useStore(localeStore);
