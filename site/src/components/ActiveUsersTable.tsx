// Who is on the site now: live from Realtime, healed by a refresh every 10 s and after a
// reconnect; durations tick every second; a click opens the user detail.
import { useEffect, useState } from 'react';
import { useT } from '../i18n/i18n';
import { useOnlineUsers } from '../data/getOnlineUsers';
import { SEGMENT_FILTERS, type OnlineSession, type SegmentFilter } from '../data/onlineSession';
import { formatDuration, secondsSince, segmentLabelKey } from '../lib/format';
import { openUserDetail } from '../lib/selection';
import { ProjectGate } from './ProjectGate';
import { SegmentBadge } from './ui/SegmentBadge';
import { Empty, ErrorState, Loading } from './ui/States';
import { displayName, secondLine } from '../lib/person';

function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

function Row({ s, now }: { s: OnlineSession; now: number }) {
  const t = useT();
  const open = () => s.userId && openUserDetail(s.userId);
  return (
    <tr
      className={s.isStuck ? 'stuck' : undefined}
      tabIndex={0}
      onClick={open}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), open())}
      data-testid="active-user-row"
      data-session-id={s.sessionId}
      data-user-id={s.userId ?? ''}
    >
      <td data-label={t('colUser')}>
        <div className="who">
          <strong data-testid="active-user-name">{displayName(s, t)}</strong>
          {secondLine(s) && <span className="muted small">{secondLine(s)}</span>}
        </div>
      </td>
      <td data-label={t('colPage')} className="page" data-testid="active-user-page">
        {s.currentPage ?? '–'}
      </td>
      <td data-label={t('colTimeOnSite')} className="num" data-testid="active-user-time">
        {formatDuration(secondsSince(s.startedAtMs, now))}
      </td>
      <td data-label={t('colDevice')}>{s.deviceType ?? '–'}</td>
      <td data-label={t('colBrowser')}>{s.browser ?? '–'}</td>
      <td data-label={t('colSegment')}>
        <SegmentBadge segment={s.segment} />
      </td>
      <td data-label={t('colStatus')}>
        {s.isStuck && (
          <span className="badge warn" title={t('stuckTitle')} data-testid="stuck-indicator">
            ⚠ {t('stuck')} {formatDuration(secondsSince(s.pageSinceMs, now))}
          </span>
        )}
        {!s.isStuck && s.isIdle && <span className="badge muted">{t('idle')}</span>}
      </td>
    </tr>
  );
}

function Table({ projectId }: { projectId: string }) {
  const t = useT();
  const [filter, setFilter] = useState<SegmentFilter>('all');
  const view = useOnlineUsers(projectId, filter);
  const now = useNow(1000);
  return (
    <>
      <div className="section-head">
        <h2>{t('activeUsers')}</h2>
        <div className="segmented" role="group" aria-label={t('filterSegment')} data-testid="segment-filter">
          {SEGMENT_FILTERS.map((f) => (
            <button key={f} type="button" aria-pressed={f === filter} onClick={() => setFilter(f)} data-testid={`segment-filter-${f}`}>
              {t(segmentLabelKey(f) ?? 'segAll')}
            </button>
          ))}
        </div>
      </div>
      {view.status === 'loading' || view.status === 'idle' ? (
        <Loading testId="active-users" />
      ) : view.status === 'error' ? (
        <ErrorState error={view.error as Error} onRetry={view.reload} testId="active-users" />
      ) : view.sessions.length === 0 ? (
        <Empty testId="active-users">{t('noOnlineUsers')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data responsive" data-testid="active-users-table">
            <thead>
              <tr>
                <th>{t('colUser')}</th>
                <th>{t('colPage')}</th>
                <th>{t('colTimeOnSite')}</th>
                <th>{t('colDevice')}</th>
                <th>{t('colBrowser')}</th>
                <th>{t('colSegment')}</th>
                <th>{t('colStatus')}</th>
              </tr>
            </thead>
            <tbody>
              {view.sessions.map((s) => (
                <Row key={s.sessionId} s={s} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {view.status === 'ready' && view.error && <ErrorState error={view.error} onRetry={view.reload} testId="active-users-refresh" />}
    </>
  );
}

export default function ActiveUsersTable() {
  return (
    <ProjectGate>
      {(p) => (
        <section className="card" data-testid="active-users">
          <Table projectId={p.id} />
        </section>
      )}
    </ProjectGate>
  );
}
