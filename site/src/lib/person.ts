// The one place a site user's name for the screen is made: their name, else their email,
// else "Bezoeker 61b771b9" / "Visitor 61b771b9" (the first characters of their id) in the
// dashboard's language. SQL returns name and email only.
import type { Translate } from '../i18n/i18n';

export interface Person {
  name: string | null;
  email: string | null;
  userId: string | null;
}

export function displayName(p: Person, t: Translate): string {
  return p.name || p.email || t('anonymousVisitor', { id: (p.userId ?? '').slice(0, 8) });
}

/** What goes under the name: the email when the name is shown, else nothing. */
export const secondLine = (p: Pick<Person, 'name' | 'email'>): string | null => (p.name && p.email ? p.email : null);
