// Links between the static pages, under the site's base path.
const base = ((import.meta as unknown as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/').replace(/\/?$/, '/');

export const PAGES = {
  dashboard: base,
  users: `${base}users/`,
  retention: `${base}retention/`,
  settings: `${base}settings/`,
} as const;

export type PageName = keyof typeof PAGES;
