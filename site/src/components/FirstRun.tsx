// Shown when the signed-in user has no project yet: creates one with create_crm_project.
import { useState, type FormEvent } from 'react';
import { useT } from '../i18n/i18n';
import { useCreateCrmProject } from '../data/createCrmProject';
import type { CrmProject } from '../data/listCrmProjects';
import { ErrorState } from './ui/States';

export function FirstRun({ onCreated }: { onCreated: (p: CrmProject) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const create = useCreateCrmProject();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const list = origins.split('\n').map((o) => o.trim()).filter(Boolean);
    const created = await create.run(name, list);
    if (created.ok) onCreated(created.value);
  }

  return (
    <form className="card narrow" onSubmit={submit} data-testid="first-run">
      <h1>{t('firstRunTitle')}</h1>
      <p className="muted">{t('firstRunText')}</p>
      <label>
        {t('projectName')}
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} data-testid="first-run-name" />
      </label>
      <label>
        {t('allowedOriginsHint')}
        <textarea rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder="https://www.example.com" data-testid="first-run-origins" />
      </label>
      {create.error && <ErrorState error={create.error} testId="first-run" />}
      <button type="submit" className="primary" disabled={create.busy} data-testid="first-run-submit">
        {t('createProject')}
      </button>
    </form>
  );
}
