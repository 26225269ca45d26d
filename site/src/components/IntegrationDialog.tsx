// Integratie Code: the ready snippet for this project, a copy button, vibeTrack/vibeIdentify examples.
import { useEffect, useState } from 'react';
import { useT } from '../i18n/i18n';
import { getBackend } from '../data/client';
import type { CrmProject } from '../data/listCrmProjects';
import { integrationSnippet, TRACK_EXAMPLE } from '../lib/snippet';
import { Dialog } from './ui/Dialog';
import { CopyButton } from './ui/CopyButton';

export function IntegrationDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const [ingestUrl, setIngestUrl] = useState<string | null>(null);
  useEffect(() => {
    void getBackend().then((b) => setIngestUrl(b.config.ingestUrl), () => setIngestUrl(''));
  }, []);
  const snippet = ingestUrl === null ? '' : integrationSnippet(ingestUrl, project.publicKey);
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
