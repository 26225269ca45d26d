// Integratie Code: the ready snippet for this project (data-supabase-auth when the owner ticks that
// the site signs users in with Supabase Auth), a copy button, vibeTrack/vibeIdentify examples, and
// whether the first event has arrived (or events are being refused).
import { useId, useState } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { NotConfiguredError, useRuntimeConfig } from '../data/client';
import { useCrmProject } from '../data/getCrmProject';
import type { CrmProject } from '../data/listCrmProjects';
import { integrationSnippet, TRACK_EXAMPLE } from '../lib/snippet';
import { Dialog } from './ui/Dialog';
import { CopyButton } from './ui/CopyButton';
import { ErrorState, Loading } from './ui/States';
import { useIngestSummary } from '../data/getIngestSummary';
import { useReloadOnEvents } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import { formatDateTime } from '../lib/format';

/** Whether the first event has arrived (live: polled, and at once when a session starts), and any refusal of the last hour. */
function FirstEvent({ projectId }: { projectId: string }) {
  const t = useT();
  const locale = useLocale();
  const { state, reload } = useIngestSummary(projectId, 1, 5000);
  useReloadOnEvents([EVENTS.sessionStarted], reload, 500);
  if (state.status !== 'ready') return null;
  const { firstEventAt, lastRejections } = state.data;
  const refused = lastRejections[0];
  return (
    <>
      {firstEventAt ? (
        <p className="state" role="status" data-testid="integration-first-event">✓ {t('ingestArrived', { time: formatDateTime(firstEventAt, locale) })}</p>
      ) : (
        <p className="state loading" role="status" data-testid="integration-waiting">
          <span className="spinner" aria-hidden="true" /> {t('ingestWaiting')}
        </p>
      )}
      {refused && (
        <p className="state error" role="alert" data-testid="integration-refused">
          {t('ingestRefusing', { reason: refused.reason, message: refused.message ?? '' })}
        </p>
      )}
    </>
  );
}

export function IntegrationDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const config = useRuntimeConfig();
  // The project's privacy settings decide the tag's attributes: the tag is shown once they
  // are read (the plain tag if they cannot be), so what is copied never changes under you.
  const settings = useCrmProject(project.id).state;
  // A property of the site, not of the project: the owner says so here.
  const [supabaseAuth, setSupabaseAuth] = useState(false);
  const hintId = useId();
  const opts = settings.status === 'ready'
    ? { cookieless: settings.data.privacyMode === 'cookieless', respectDnt: settings.data.respectDnt, supabaseAuth }
    : { supabaseAuth };
  const settled = settings.status === 'ready' || settings.status === 'error';
  const snippet = config && settled ? integrationSnippet(config.ingestUrl, project.publicKey, opts) : '';
  return (
    <Dialog title={t('integration')} onClose={onClose} testId="integration-dialog" wide>
      <p>{t('integrationText')}</p>
      {config === null ? (
        <ErrorState error={new NotConfiguredError()} testId="integration" />
      ) : snippet ? (
        <>
          {settings.status === 'error' && (
            <p className="state error" role="alert" data-testid="integration-settings-unknown">
              {t('snippetSettingsUnknown')}
            </p>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={supabaseAuth}
              onChange={(e) => setSupabaseAuth(e.target.checked)}
              aria-describedby={hintId}
              data-testid="integration-supabase-auth"
            />
            {t('snippetSupabaseAuth')}
          </label>
          <p id={hintId} className="muted small" data-testid="integration-supabase-auth-hint">
            {t('snippetSupabaseAuthHint')}
          </p>
          <pre className="code" data-testid="integration-snippet">
            {snippet}
          </pre>
          <CopyButton text={snippet} testId="integration-copy" />
        </>
      ) : (
        <Loading testId="integration" />
      )}
      <FirstEvent projectId={project.id} />
      <p>{t('trackExample')}</p>
      <pre className="code" data-testid="integration-examples">
        {TRACK_EXAMPLE}
      </pre>
    </Dialog>
  );
}
