// Light/dark: follows the system until the user picks one; the choice is remembered.
import { createStore, useStore } from './store';

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'vibe-crm.theme';
export const themeStore = createStore<Theme>('light');

export function applyTheme(theme: Theme, remember: boolean): void {
  document.documentElement.dataset.theme = theme;
  if (remember) {
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* not remembered */
    }
  }
  themeStore.set(theme);
}

/** The inline head script already set data-theme before paint; mirror it into the store. */
export function restoreTheme(): void {
  themeStore.set(document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');
}

export const useTheme = (): Theme => useStore(themeStore);
