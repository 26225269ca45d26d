// The page frame every page shares: sign-in gate, project choice, header with live status,
// language, theme, Integratie Code, export and sign-out. Content islands render once a
// project is active (projectsStore).
import { useEffect, useRef, useState } from 'react';
import { useT, useLocale, setLocale, restoreLocale } from '../i18n/i18n';
import { LOCALES, type Locale } from '../i18n/dictionary';
import { startAuth, signOut, useAuth } from '../data/auth';
import { useCrmProjects, type CrmProject } from '../data/listCrmProjects';
import { chooseProject, pickProject, projectsStore, remembered, useProjects } from '../data/activeProject';
import { useCrmChannel } from '../data/realtime';
import { applyTheme, restoreTheme, useTheme } from '../lib/theme';
import { PAGES, type PageName } from '../lib/links';
import { LoginForm } from './LoginForm';
import { FirstRun } from './FirstRun';
import { MyInvitations } from './MyInvitations';
import { useMyCrmInvitations } from '../data/myCrmInvitations';
import { LiveStatus } from './LiveStatus';
import { IntegrationDialog } from './IntegrationDialog';
import { ExportDialog } from './ExportDialog';
import { ErrorState, Loading } from './ui/States';

function Projects({ userId }: { userId: string }) {
  const query = useCrmProjects(true, userId);
  const mine = useMyCrmInvitations(userId);
  const { active } = useProjects();
  // The project of an accepted invitation, switched to once the project list has it.
  const joining = useRef<string | null>(null);
  const s = query.state;
  useEffect(() => {
    if (s.status !== 'ready') return;
    const store = projectsStore.get();
    const keep = store.active && s.data.find((p) => p.id === store.active?.id);
    const joined = s.data.find((p) => p.id === joining.current);
    projectsStore.set({ status: 'ready', projects: s.data, active: keep ?? pickProject(s.data, remembered(globalThis.localStorage)) });
    if (joined) {
      joining.current = null;
      chooseProject(joined);
    }
  }, [s]);
  if (s.status === 'loading' || s.status === 'idle') return <Loading testId="projects" />;
  if (s.status === 'error') return <ErrorState error={s.error} onRetry={query.reload} testId="projects" />;
  const invitations = (
    <MyInvitations
      invitations={mine.state.status === 'ready' ? mine.state.data : []}
      onAccepted={(projectId) => {
        joining.current = projectId;
        mine.reload();
        query.reload();
      }}
      onDeclined={mine.reload}
    />
  );
  if (s.data.length === 0 && !active)
    return (
      <>
        {invitations}
        <FirstRun
          onCreated={(p) => {
            projectsStore.set({ status: 'ready', projects: [p], active: p });
            chooseProject(p);
            query.reload();
          }}
        />
      </>
    );
  return invitations;
}

function Header({ page, project, projects }: { page: PageName; project: CrmProject; projects: CrmProject[] }) {
  const t = useT();
  const locale = useLocale();
  const theme = useTheme();
  const [dialog, setDialog] = useState<'integration' | 'export' | null>(null);
  useCrmChannel(project.id);
  const nav: [PageName, string][] = [
    ['dashboard', t('navDashboard')],
    ['users', t('navUsers')],
    ['retention', t('navRetention')],
    // Viewers too: they see the alerts there, read-only.
    ['settings', t('navSettings')],
  ];
  return (
    <header className="topbar" data-testid="topbar">
      <div className="brand">{t('appName')}</div>
      {projects.length > 1 ? (
        <label className="project-picker">
          <span className="sr-only">{t('project')}</span>
          <select
            value={project.id}
            onChange={(e) => {
              const p = projects.find((x) => x.id === e.target.value);
              if (p) chooseProject(p);
            }}
            data-testid="project-picker"
          >
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <span className="project-name" data-testid="project-name">
          {project.name}
        </span>
      )}
      <nav aria-label={t('navMain')}>
        {nav.map(([name, label]) => (
          <a key={name} href={PAGES[name]} aria-current={name === page ? 'page' : undefined} data-testid={`nav-${name}`}>
            {label}
          </a>
        ))}
      </nav>
      <LiveStatus />
      <div className="actions">
        <button type="button" onClick={() => setDialog('integration')} data-testid="open-integration">
          {t('integration')}
        </button>
        <button type="button" onClick={() => setDialog('export')} data-testid="open-export">
          {t('export')}
        </button>
        <select aria-label={t('language')} value={locale} onChange={(e) => setLocale(e.target.value as Locale)} data-testid="language-switch">
          {LOCALES.map((l) => (
            <option key={l} value={l}>
              {l.toUpperCase()}
            </option>
          ))}
        </select>
        <button
          type="button"
          aria-label={t('theme')}
          title={theme === 'dark' ? t('themeLight') : t('themeDark')}
          onClick={() => applyTheme(theme === 'dark' ? 'light' : 'dark', true)}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        <button type="button" onClick={() => void signOut()} data-testid="sign-out">
          {t('signOut')}
        </button>
      </div>
      {dialog === 'integration' && <IntegrationDialog project={project} onClose={() => setDialog(null)} />}
      {dialog === 'export' && <ExportDialog project={project} onClose={() => setDialog(null)} />}
    </header>
  );
}

export default function AppShell({ page }: { page: PageName }) {
  const auth = useAuth();
  const { active, projects } = useProjects();
  useEffect(() => {
    restoreLocale();
    restoreTheme();
    startAuth();
  }, []);
  useEffect(() => {
    if (auth.status !== 'signedIn') projectsStore.set({ status: 'idle', projects: [], active: null });
  }, [auth.status]);

  if (auth.status === 'loading') return <Loading testId="auth" />;
  if (auth.status === 'error') return <ErrorState error={auth.error} testId="auth" />;
  if (auth.status === 'signedOut') return <LoginForm />;
  return (
    <>
      {active && <Header page={page} project={active} projects={projects} />}
      <Projects userId={auth.session.user.id} />
    </>
  );
}
