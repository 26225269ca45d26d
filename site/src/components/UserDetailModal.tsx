// User detail: profile and the last 20 sessions with their pages, in a keyboard-accessible dialog.
import { useEffect } from 'react';
import { useT, useLocale } from '../i18n/i18n';
import { useSiteUserDetail, type SiteUserDetail } from '../data/getSiteUserDetail';
import { useActiveProject } from '../data/activeProject';
import { formatDateTime, formatDuration, formatNumber } from '../lib/format';
import { openUserDetail, openUserFromUrl, useSelectedUser } from '../lib/selection';
import { Dialog } from './ui/Dialog';
import { SegmentBadge } from './ui/SegmentBadge';
import { Empty, ErrorState, Loading } from './ui/States';
import { displayName } from '../lib/person';

function Detail({ d }: { d: SiteUserDetail }) {
  const t = useT();
  const locale = useLocale();
  const p = d.profile;
  const meta = Object.entries(p.metadata);
  return (
    <>
      <dl className="profile" data-testid="user-detail-profile">
        <dt>{t('colUser')}</dt>
        <dd data-testid="user-detail-name">{displayName({ ...p, userId: p.id }, t)}</dd>
        <dt>{t('email')}</dt>
        <dd>{p.email ?? '–'}</dd>
        <dt>{t('colSegment')}</dt>
        <dd>
          <SegmentBadge segment={p.segment} /> {p.verified && <span className="badge good">{t('verified')}</span>}
        </dd>
        <dt>{t('firstSeen')}</dt>
        <dd>{formatDateTime(p.firstSeenAt, locale)}</dd>
        <dt>{t('lastSeen')}</dt>
        <dd>{formatDateTime(p.lastSeenAt, locale)}</dd>
        <dt>{t('sessions')}</dt>
        <dd>{formatNumber(p.sessionsCount, locale)}</dd>
        <dt>{t('pageviews')}</dt>
        <dd>{formatNumber(p.pageviewsCount, locale)}</dd>
        {meta.length > 0 && (
          <>
            <dt>{t('metadata')}</dt>
            <dd>
              <code>{JSON.stringify(p.metadata)}</code>
            </dd>
          </>
        )}
      </dl>
      <h3>{t('lastSessions')}</h3>
      {d.sessions.length === 0 ? (
        <Empty testId="user-detail-sessions">{t('noSessions')}</Empty>
      ) : (
        <ol className="sessions" data-testid="user-detail-sessions">
          {d.sessions.map((s) => (
            <li key={s.id} data-testid="user-detail-session">
              <div className="session-head">
                <strong>{formatDateTime(s.startedAt, locale)}</strong>
                <span>
                  {t('duration')}: {formatDuration(s.durationSeconds)}
                </span>
                <span className="muted">
                  {s.deviceType ?? '–'} · {s.browser ?? '–'}
                </span>
              </div>
              <ul className="pages" aria-label={t('pages')}>
                {s.pages.map((pg, i) => (
                  <li key={i}>
                    <code>{pg.path}</code> <span className="muted small">{formatDuration(pg.secondsOnPage)}</span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function Body({ projectId, userId }: { projectId: string; userId: string }) {
  const { state, reload } = useSiteUserDetail(projectId, userId);
  if (state.status === 'loading' || state.status === 'idle') return <Loading testId="user-detail" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} testId="user-detail" />;
  return <Detail d={state.data} />;
}

export default function UserDetailModal() {
  const t = useT();
  const userId = useSelectedUser();
  const project = useActiveProject();
  useEffect(() => openUserFromUrl(), []);
  if (!userId || !project) return null;
  return (
    <Dialog title={t('userDetail')} onClose={() => openUserDetail(null)} testId="user-detail" wide>
      <Body projectId={project.id} userId={userId} />
    </Dialog>
  );
}
