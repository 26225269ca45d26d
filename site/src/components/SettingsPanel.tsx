// The card and the save feedback shared by the Settings panels (SettingsView's own, Ingest,
// Supabase Auth); Alerts has a wider card with its own head.
import type { ReactNode } from 'react';
import { useT } from '../i18n/i18n';
import { ErrorState } from './ui/States';

/** An action's error, or a short "saved" after it succeeded. */
export function Feedback({ action, testId }: { action: { error: Error | null; done: boolean }; testId: string }) {
  const t = useT();
  if (action.error) return <ErrorState error={action.error} testId={testId} />;
  return action.done ? (
    <span role="status" className="muted" data-testid={`${testId}-saved`}>
      {t('saved')}
    </span>
  ) : null;
}

/** One Settings card: a heading and its content; testId names the card. */
export function Panel({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section className="card stack" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
