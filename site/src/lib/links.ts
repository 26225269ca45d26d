// Links between the static pages, under the site's base path.
const base = ((import.meta as unknown as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/').replace(/\/?$/, '/');

export const PAGES = {
  dashboard: base,
  users: `${base}users/`,
  settings: `${base}settings/`,
} as const;

export type PageName = keyof typeof PAGES;
