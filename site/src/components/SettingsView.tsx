// Settings (admins and owners): origins, privacy, DNT, signed identify with the identity
// secret, Supabase Auth, funnel steps, members, roles and invitations, public key rotation,
// alerts. Viewers see only Supabase Auth and the alerts, read-only. The SQL checks every role
// again; this page only hides what a viewer cannot use.
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { formatDateTime } from '../lib/format';
import { canConfigure, type CrmProject } from '../data/listCrmProjects';
import { projectsStore } from '../data/activeProject';
import { useCrmProject, type FunnelStepDef, type ProjectSettings } from '../data/getCrmProject';
import { useUpdateCrmProjectSettings } from '../data/updateCrmProjectSettings';
import { useSetCrmFunnelSteps } from '../data/setCrmFunnelSteps';
import { useRotateCrmIdentitySecret } from '../data/rotateCrmIdentitySecret';
import { useRotateCrmPublicKey } from '../data/rotateCrmPublicKey';
import { type CrmInvitation, useCrmInvitations, useInviteCrmMember, useResendCrmInvitation, useRevokeCrmInvitation } from '../data/crmInvitations';
import { useSetCrmMemberRole } from '../data/setCrmMemberRole';
import { useRemoveCrmMember } from '../data/removeCrmMember';
import { SIGNING_EXAMPLE } from '../lib/snippet';
import { ProjectGate } from './ProjectGate';
import { CopyButton } from './ui/CopyButton';
import { ErrorState, Loading } from './ui/States';
import { authStore } from '../data/auth';
import { useDeleteCrmProject } from '../data/deleteCrmProject';
import { ROLES } from '../data/enums';
import { IngestPanel } from './IngestPanel';
import { Feedback, Panel } from './SettingsPanel';
import { SupabaseAuthSettings, SupabaseAuthSettingsReadOnly } from './SupabaseAuthSettings';

// Its own chunk: the alerts UI (forms, logs) loads only once Settings renders it.
const AlertsPanel = lazy(() => import('./AlertsPanel'));

function Alerts({ project }: { project: CrmProject }) {
  return (
    <Suspense fallback={<Loading testId="alerts" />}>
      <AlertsPanel key={project.id} projectId={project.id} canWrite={canConfigure(project)} />
    </Suspense>
  );
}

function Access({ s, reload }: { s: ProjectSettings; reload: () => void }) {
  const t = useT();
  const [origins, setOrigins] = useState(s.allowedOrigins.join('\n'));
  const [privacy, setPrivacy] = useState(s.privacyMode);
  const [dnt, setDnt] = useState(s.respectDnt);
  const [signed, setSigned] = useState(s.requireSignedIdentify);
  const action = useUpdateCrmProjectSettings();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const allowedOrigins = origins.split('\n').map((o) => o.trim()).filter(Boolean);
    const saved = await action.run(s.id, { allowedOrigins, privacyMode: privacy, respectDnt: dnt, requireSignedIdentify: signed });
    if (!saved.ok) return;
    // show the origins as stored (lower-cased, default port dropped, once each)
    if (saved.value) setOrigins(saved.value.allowedOrigins.join('\n'));
    reload();
  };
  return (
    <Panel title={t('settings')} testId="settings-access">
      <form className="stack" onSubmit={submit}>
        <label>
          {t('allowedOrigins')}
          <textarea rows={3} value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder="https://www.example.com" data-testid="settings-origins" />
          <span className="muted small">{t('allowedOriginsHelp')}</span>
        </label>
        <label>
          {t('privacyMode')}
          <select value={privacy} onChange={(e) => setPrivacy(e.target.value as ProjectSettings['privacyMode'])} data-testid="settings-privacy">
            <option value="standard">{t('privacyStandard')}</option>
            <option value="cookieless">{t('privacyCookieless')}</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={dnt} onChange={(e) => setDnt(e.target.checked)} data-testid="settings-dnt" />
          {t('respectDnt')}
        </label>
        <label className="check">
          <input type="checkbox" checked={signed} onChange={(e) => setSigned(e.target.checked)} data-testid="settings-signed" />
          {t('requireSignedIdentify')}
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={action.busy} data-testid="settings-save">
            {t('save')}
          </button>
          <Feedback action={action} testId="settings-access" />
        </div>
      </form>
    </Panel>
  );
}

function IdentitySecret({ projectId }: { projectId: string }) {
  const t = useT();
  const [secret, setSecret] = useState<string | null>(null);
  const action = useRotateCrmIdentitySecret();
  return (
    <Panel title={t('identitySecret')} testId="settings-secret">
      {secret && (
        <>
          <p>{t('identitySecretOnce')}</p>
          <div className="secret" data-testid="settings-secret-value">
            {secret}
          </div>
          <CopyButton text={secret} testId="settings-secret-copy" />
        </>
      )}
      <div className="row">
        <button type="button" disabled={action.busy} onClick={async () => {
            // The site's backend signs with the old secret until it is updated there.
            if (!window.confirm(t('rotateSecretConfirm'))) return;
            const rotated = await action.run(projectId);
            if (rotated.ok) setSecret(rotated.value);
          }} data-testid="settings-secret-rotate">
          {t('rotateSecret')}
        </button>
        {action.error && <ErrorState error={action.error} testId="settings-secret" />}
      </div>
      <p className="muted small">{t('signingExample')}</p>
      <pre className="code">{SIGNING_EXAMPLE}</pre>
    </Panel>
  );
}

function Funnel({ s, reload }: { s: ProjectSettings; reload: () => void }) {
  const t = useT();
  // Local edits live until saved: a reload after another panel's action (or a refused
  // save) must not snap them back. The panel is keyed by project, so a switch starts over.
  const [steps, setSteps] = useState<FunnelStepDef[]>(s.funnelSteps);
  const action = useSetCrmFunnelSteps();
  const edit = (i: number, patch: Partial<FunnelStepDef>) => setSteps((xs) => xs.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <Panel title={t('funnelSteps')} testId="settings-funnel">
      <ol className="stack">
        {steps.map((step, i) => (
          <li key={i} className="row" data-testid="settings-funnel-step">
            <input aria-label={t('stepName')} placeholder={t('stepName')} value={step.name} onChange={(e) => edit(i, { name: e.target.value })} />
            <input aria-label={t('eventName')} placeholder={t('eventName')} value={step.eventName} onChange={(e) => edit(i, { eventName: e.target.value })} />
            <button type="button" onClick={() => setSteps((xs) => xs.filter((_, j) => j !== i))} aria-label={`${t('remove')} ${step.name}`}>
              ✕
            </button>
          </li>
        ))}
      </ol>
      <div className="row">
        <button type="button" onClick={() => setSteps((xs) => [...xs, { stepOrder: xs.length + 1, name: '', eventName: '' }])} data-testid="settings-funnel-add">
          {t('addStep')}
        </button>
        <button
          type="button"
          className="primary"
          disabled={action.busy}
          onClick={async () => {
            if ((await action.run(s.id, steps)).ok) reload();
          }}
          data-testid="settings-funnel-save"
        >
          {t('save')}
        </button>
        <Feedback action={action} testId="settings-funnel" />
      </div>
    </Panel>
  );
}

function RoleSelect({ label, value, disabled, onChange, testId }: { label: string; value: string; disabled?: boolean; onChange: (role: string) => void; testId: string }) {
  return (
    <select aria-label={label} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** Pending invitations of the project: the owner resends (7 more days) or revokes them. */
function Invitations({ projectId, invitations, reload }: { projectId: string; invitations: CrmInvitation[]; reload: () => void }) {
  const t = useT();
  const locale = useLocale();
  const resend = useResendCrmInvitation();
  const revoke = useRevokeCrmInvitation();
  if (invitations.length === 0) return null;
  return (
    <>
      <h3>{t('pendingInvitations')}</h3>
      <ul className="stack">
        {invitations.map((i) => (
          <li key={i.id} className="row" data-testid="settings-invitation">
            <span>{i.email}</span>
            <span className="muted small">
              {i.role} · {t('invitationExpires', { at: formatDateTime(i.expiresAt, locale) })}
            </span>
            <button type="button" disabled={resend.busy} onClick={async () => (await resend.run(projectId, i.id)).ok && reload()} data-testid="settings-invitation-resend">
              {t('resend')}
            </button>
            <button type="button" disabled={revoke.busy} onClick={async () => (await revoke.run(projectId, i.id)).ok && reload()} data-testid="settings-invitation-revoke">
              {t('revoke')}
            </button>
          </li>
        ))}
      </ul>
      {resend.error && <ErrorState error={resend.error} testId="settings-invitation-resend" />}
      {revoke.error && <ErrorState error={revoke.error} testId="settings-invitation-revoke" />}
    </>
  );
}

/** Members for admins and owners; only owners (as the SQL checks) see invitations and change roles. */
function Members({ s, reload, isOwner }: { s: ProjectSettings; reload: () => void; isOwner: boolean }) {
  const t = useT();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const invite = useInviteCrmMember();
  const setMemberRole = useSetCrmMemberRole();
  const remove = useRemoveCrmMember();
  const invitations = useCrmInvitations(s.id, isOwner);
  const pending = invitations.state.status === 'ready' ? invitations.state.data : [];
  const busy = invite.busy || setMemberRole.busy || remove.busy;
  return (
    <Panel title={t('members')} testId="settings-members">
      {s.members.length === 0 ? (
        <p className="muted">–</p>
      ) : (
        <ul className="stack">
          {s.members.map((m) => (
            <li key={m.userId} className="row" data-testid="settings-member">
              <span>{m.email ?? m.userId}</span>
              <RoleSelect
                label={`${t('role')} ${m.email ?? m.userId}`}
                value={m.role}
                disabled={busy || !isOwner}
                onChange={async (r) => {
                  // The SQL keeps one owner: demoting the last is refused and shown.
                  await setMemberRole.run(s.id, m.userId, r);
                  reload();
                }}
                testId="settings-member-role-select"
              />
              <button
                type="button"
                disabled={busy}
                onClick={async () => {
                  if (!window.confirm(t('removeMemberConfirm', { who: m.email ?? m.userId }))) return;
                  if (!(await remove.run(s.id, m.userId)).ok) return;
                  const me = authStore.get();
                  // Leaving the project: start over, so the project list no longer offers it.
                  if (me.status === 'signedIn' && me.session.user.id === m.userId) window.location.assign('/');
                  else reload();
                }}
                aria-label={`${t('remove')} ${m.email ?? m.userId}`}
              >
                {t('remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <Invitations projectId={s.id} invitations={pending} reload={invitations.reload} />
      {isOwner && (
      <form
        className="row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!(await invite.run(s.id, email, role)).ok) return;
          setEmail('');
          invitations.reload();
        }}
      >
        <input type="email" required aria-label={t('email')} placeholder={t('email')} value={email} onChange={(e) => setEmail(e.target.value)} data-testid="settings-member-email" />
        <RoleSelect label={t('role')} value={role} onChange={setRole} testId="settings-member-role" />
        <button type="submit" disabled={busy} data-testid="settings-member-invite">
          {t('invite')}
        </button>
      </form>
      )}
      {isOwner && <p className="muted small">{t('inviteHelp')}</p>}
      <Feedback action={invite} testId="settings-members" />
      {setMemberRole.error && <ErrorState error={setMemberRole.error} testId="settings-members-role" />}
      {remove.error && <ErrorState error={remove.error} testId="settings-members-remove" />}
    </Panel>
  );
}

function PublicKey({ s, project, reload }: { s: ProjectSettings; project: CrmProject; reload: () => void }) {
  const t = useT();
  const action = useRotateCrmPublicKey();
  const rotate = async () => {
    if (!window.confirm(t('rotateKeyConfirm'))) return;
    const rotated = await action.run(s.id);
    if (!rotated.ok) return;
    const key = rotated.value;
    // The header's Integratie Code reads the active project: give it the new key.
    projectsStore.set((st) => ({ ...st, active: { ...project, publicKey: key }, projects: st.projects.map((p) => (p.id === project.id ? { ...p, publicKey: key } : p)) }));
    reload();
  };
  return (
    <Panel title={t('publicKey')} testId="settings-key">
      <code data-testid="settings-key-value">{s.publicKey}</code>
      <div className="row">
        <button type="button" disabled={action.busy} onClick={rotate} data-testid="settings-key-rotate">
          {t('rotateKey')}
        </button>
        <Feedback action={action} testId="settings-key" />
      </div>
    </Panel>
  );
}

/** Owners only: the project and all its data go, after its name is typed (the SQL checks it too). */
function DeleteProject({ s }: { s: ProjectSettings }) {
  const t = useT();
  const [name, setName] = useState('');
  const action = useDeleteCrmProject();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Start over: the project list must no longer offer it.
    if ((await action.run(s.id, name)).ok) window.location.assign('/');
  };
  return (
    <Panel title={t('deleteProject')} testId="settings-delete">
      <p className="muted">{t('deleteProjectText', { name: s.name })}</p>
      <form className="row" onSubmit={submit}>
        <input aria-label={t('deleteProjectConfirm')} placeholder={s.name} value={name} onChange={(e) => setName(e.target.value)} data-testid="settings-delete-name" />
        <button type="submit" disabled={action.busy || name !== s.name} data-testid="settings-delete-submit">
          {t('deleteProject')}
        </button>
      </form>
      {action.error && <ErrorState error={action.error} testId="settings-delete" />}
    </Panel>
  );
}

function Settings({ project }: { project: CrmProject }) {
  const t = useT();
  if (canConfigure(project)) return <ProjectSettingsView project={project} />;
  return (
    <div className="stack" data-testid="settings">
      <p className="card" data-testid="settings-forbidden">{t('settingsAdminsOnly')}</p>
      <SupabaseAuthSettingsReadOnly key={project.id} projectId={project.id} />
      <Alerts project={project} />
    </div>
  );
}

function ProjectSettingsView({ project }: { project: CrmProject }) {
  const { state, reload } = useCrmProject(project.id);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="settings" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="settings" />;
  const s = state.data;
  return (
    <div className="stack" data-testid="settings">
      <div className="settings-grid">
        <Access key={`access-${s.id}`} s={s} reload={reload} />
        <PublicKey s={s} project={project} reload={reload} />
        <Funnel key={`funnel-${s.id}`} s={s} reload={reload} />
        <Members s={s} reload={reload} isOwner={project.role === 'owner'} />
        <IdentitySecret projectId={s.id} />
        <SupabaseAuthSettings key={`supabase-auth-${s.id}`} s={s} canWrite reload={reload} />
        <IngestPanel projectId={s.id} />
        <Alerts project={project} />
        {project.role === 'owner' && <DeleteProject key={`delete-${s.id}`} s={s} />}
      </div>
    </div>
  );
}

export default function SettingsView() {
  return <ProjectGate>{(p) => <Settings project={p} />}</ProjectGate>;
}
