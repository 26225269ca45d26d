// The CRM list: search, segment filter and paging; the SQL filters and counts.
import { useEffect, useState } from 'react';
import { useT, useLocale } from '../i18n/i18n';
import { CRM_SEGMENTS, crmSegmentParam, PAGE_SIZE, useSiteUsers, type CrmSegmentFilter } from '../data/listSiteUsers';
import { formatDateTime, formatNumber, segmentLabelKey } from '../lib/format';
import { openUserDetail } from '../lib/selection';
import { ProjectGate } from './ProjectGate';
import { SegmentBadge } from './ui/SegmentBadge';
import { Empty, ErrorState, Loading } from './ui/States';
import { displayName, secondLine } from '../lib/person';

function List({ projectId }: { projectId: string }) {
  const t = useT();
  const locale = useLocale();
  const [input, setInput] = useState('');
  const [search, setSearch] = useState('');
  const [segment, setSegment] = useState<CrmSegmentFilter>('all');
  const [page, setPage] = useState(0);
  // Search as you type, but one RPC per pause rather than per key.
  useEffect(() => {
    const id = setTimeout(() => {
      setSearch(input);
      setPage(0);
    }, 300);
    return () => clearTimeout(id);
  }, [input]);
  const { state, reload } = useSiteUsers(projectId, { segment: crmSegmentParam(segment), search, page });
  const total = state.status === 'ready' ? state.data.total : 0;
  return (
    <section className="card" data-testid="all-users">
      <div className="section-head">
        <h2>{t('allUsers')}</h2>
      </div>
      <div className="toolbar">
        <input type="search" aria-label={t('search')} placeholder={t('search')} value={input} onChange={(e) => setInput(e.target.value)} data-testid="all-users-search" />
        <select
          aria-label={t('filterSegment')}
          value={segment}
          onChange={(e) => {
            setSegment(e.target.value as CrmSegmentFilter);
            setPage(0);
          }}
          data-testid="all-users-segment"
        >
          {CRM_SEGMENTS.map((s) => (
            <option key={s} value={s}>
              {t(segmentLabelKey(s) ?? 'segAll')}
            </option>
          ))}
        </select>
      </div>
      {state.status === 'loading' || state.status === 'idle' ? (
        <Loading testId="all-users" />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="all-users" />
      ) : state.data.rows.length === 0 ? (
        <Empty testId="all-users">{t('noUsers')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data responsive" data-testid="all-users-table">
            <thead>
              <tr>
                <th>{t('colUser')}</th>
                <th>{t('colSegment')}</th>
                <th>{t('sessions')}</th>
                <th>{t('firstSeen')}</th>
                <th>{t('lastSeen')}</th>
                <th>{t('colStatus')}</th>
              </tr>
            </thead>
            <tbody>
              {state.data.rows.map((u) => (
                <tr
                  key={u.id}
                  tabIndex={0}
                  onClick={() => openUserDetail(u.id)}
                  onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), openUserDetail(u.id))}
                  data-testid="all-users-row"
                  data-user-id={u.id}
                >
                  <td data-label={t('colUser')}>
                    <div className="who">
                      <strong>{displayName({ ...u, userId: u.id }, t)}</strong>
                      {secondLine(u) && <span className="muted small">{secondLine(u)}</span>}
                    </div>
                  </td>
                  <td data-label={t('colSegment')}>
                    <SegmentBadge segment={u.segment} />
                  </td>
                  <td data-label={t('sessions')}>{formatNumber(u.sessionsCount, locale)}</td>
                  <td data-label={t('firstSeen')}>{formatDateTime(u.firstSeenAt, locale)}</td>
                  <td data-label={t('lastSeen')}>{formatDateTime(u.lastSeenAt, locale)}</td>
                  <td data-label={t('colStatus')}>{u.isOnline && <span className="badge good">{t('online')}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {state.status === 'ready' && state.error && <ErrorState error={state.error} onRetry={reload} testId="all-users-refresh" />}
      <div className="pager" data-testid="all-users-pager">
        <span className="muted" data-testid="all-users-range">
          {total > 0 && t('pageOf', { from: page * PAGE_SIZE + 1, to: Math.min(total, (page + 1) * PAGE_SIZE), total })}
        </span>
        <button type="button" disabled={page === 0} onClick={() => setPage((p) => p - 1)} data-testid="all-users-prev">
          {t('previous')}
        </button>
        <button type="button" disabled={(page + 1) * PAGE_SIZE >= total} onClick={() => setPage((p) => p + 1)} data-testid="all-users-next">
          {t('next')}
        </button>
      </div>
    </section>
  );
}

export default function AllUsers() {
  return <ProjectGate>{(p) => <List projectId={p.id} />}</ProjectGate>;
}
