// Settings → Supabase Auth: whose signed-in users a tag with data-supabase-auth identifies
// (this Supabase project's, or another's by its JWKS URL), and whether deleting a user from
// this project's Auth erases their CRM person. The SQL checks the URL and the role; a
// refused URL shows its message.
import { useId, useState, type FormEvent } from 'react';
import { useT } from '../i18n/i18n';
import { useCrmProject, type ProjectSettings } from '../data/getCrmProject';
import { useUpdateCrmProjectSettings } from '../data/updateCrmProjectSettings';
import { Feedback, Panel } from './SettingsPanel';
import { ErrorState, Loading } from './ui/States';

export function SupabaseAuthSettings({ s, canWrite, reload }: { s: ProjectSettings; canWrite: boolean; reload: () => void }) {
  const t = useT();
  const name = useId();
  const [other, setOther] = useState(s.authJwksUrl !== null);
  // Kept while "this project" is picked, so switching back does not lose a typed URL.
  const [url, setUrl] = useState(s.authJwksUrl ?? '');
  const [erase, setErase] = useState(s.authEraseDeletedUsers);
  const action = useUpdateCrmProjectSettings();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // null removes the URL: back to this project's users
    const saved = await action.run(s.id, { authJwksUrl: other ? url.trim() : null, authEraseDeletedUsers: erase });
    if (saved.ok) reload();
  };
  return (
    <Panel title={t('supabaseAuthTitle')} testId="settings-supabase-auth">
      <p className="muted small">{t('supabaseAuthText')}</p>
      <form className="stack" onSubmit={submit}>
        <fieldset className="stack">
          <legend>{t('supabaseAuthUsersOf')}</legend>
          <label className="check">
            <input type="radio" name={name} checked={!other} disabled={!canWrite} onChange={() => setOther(false)} data-testid="settings-supabase-auth-this" />
            {t('supabaseAuthThisProject')}
          </label>
          <label className="check">
            <input type="radio" name={name} checked={other} disabled={!canWrite} onChange={() => setOther(true)} data-testid="settings-supabase-auth-other" />
            {t('supabaseAuthOtherProject')}
          </label>
          {other && (
            <label>
              {t('supabaseAuthJwksUrl')}
              {/* text, not type=url: the SQL decides what a valid URL is, and says why not */}
              <input
                type="text"
                inputMode="url"
                spellCheck={false}
                readOnly={!canWrite}
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                placeholder="https://abcd1234.supabase.co/auth/v1/.well-known/jwks.json"
                data-testid="settings-supabase-auth-url"
              />
              <span className="muted small">{t('supabaseAuthJwksUrlHelp')}</span>
            </label>
          )}
        </fieldset>
        {/* The SQL erases only users of this project's own Auth: with another project the switch does nothing. */}
        <label className="check">
          <input
            type="checkbox"
            role="switch"
            checked={erase}
            disabled={!canWrite || other}
            onChange={(e) => setErase(e.target.checked)}
            data-testid="settings-supabase-auth-erase"
          />
          {t('supabaseAuthErase')}
        </label>
        <span className="muted small" data-testid="settings-supabase-auth-erase-help">
          {other ? t('supabaseAuthEraseOtherProject') : t('supabaseAuthEraseHelp')}
        </span>
        {canWrite && (
          <div className="row">
            <button type="submit" className="primary" disabled={action.busy} data-testid="settings-supabase-auth-save">
              {t('save')}
            </button>
            <Feedback action={action} testId="settings-supabase-auth" />
          </div>
        )}
      </form>
    </Panel>
  );
}

/** A viewer's Settings page loads no project otherwise: this reads it for the panel alone. */
export function SupabaseAuthSettingsReadOnly({ projectId }: { projectId: string }) {
  const { state, reload } = useCrmProject(projectId);
  if (state.status === 'ready') return <SupabaseAuthSettings s={state.data} canWrite={false} reload={reload} />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="settings-supabase-auth" />;
  return <Loading testId="settings-supabase-auth" />;
}
