// Integratie Code: the ready snippet for this project, a copy button, vibeTrack/vibeIdentify examples.
import { useT } from '../i18n/i18n';
import { useRuntimeConfig } from '../data/client';
import type { CrmProject } from '../data/listCrmProjects';
import { integrationSnippet, TRACK_EXAMPLE } from '../lib/snippet';
import { Dialog } from './ui/Dialog';
import { CopyButton } from './ui/CopyButton';

export function IntegrationDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const config = useRuntimeConfig();
  const snippet = config ? integrationSnippet(config.ingestUrl, project.publicKey) : '';
  return (
    <Dialog title={t('integration')} onClose={onClose} testId="integration-dialog" wide>
      <p>{t('integrationText')}</p>
      <pre className="code" data-testid="integration-snippet">
        {snippet}
      </pre>
      <CopyButton text={snippet} testId="integration-copy" />
      <p>{t('trackExample')}</p>
      <pre className="code" data-testid="integration-examples">
        {TRACK_EXAMPLE}
      </pre>
    </Dialog>
  );
}
