// Integratie Code: the ready snippet for this project, a copy button, vibeTrack/vibeIdentify examples.
import { useT } from '../i18n/i18n';
import { NotConfiguredError, useRuntimeConfig } from '../data/client';
import { useCrmProject } from '../data/getCrmProject';
import type { CrmProject } from '../data/listCrmProjects';
import { integrationSnippet, TRACK_EXAMPLE } from '../lib/snippet';
import { Dialog } from './ui/Dialog';
import { CopyButton } from './ui/CopyButton';
import { ErrorState, Loading } from './ui/States';

export function IntegrationDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const config = useRuntimeConfig();
  // The project's privacy settings decide the tag's attributes: the tag is shown once they
  // are read (the plain tag if they cannot be), so what is copied never changes under you.
  const settings = useCrmProject(project.id).state;
  const opts = settings.status === 'ready'
    ? { cookieless: settings.data.privacyMode === 'cookieless', respectDnt: settings.data.respectDnt }
    : {};
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
          <pre className="code" data-testid="integration-snippet">
            {snippet}
          </pre>
          <CopyButton text={snippet} testId="integration-copy" />
        </>
      ) : (
        <Loading testId="integration" />
      )}
      <p>{t('trackExample')}</p>
      <pre className="code" data-testid="integration-examples">
        {TRACK_EXAMPLE}
      </pre>
    </Dialog>
  );
}
