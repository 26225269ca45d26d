// The people behind one cohort cell (list_retention_cohort_users), paged; a row opens the
// user's detail (the same modal as the CRM list), closing this list first so one dialog
// holds the focus at a time.
import { useState } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { COHORT_PAGE_SIZE, useCohortUsers, type CohortCell } from '../data/listRetentionCohortUsers';
import type { RetentionChoice } from '../data/getRetentionCohorts';
import type { ReportQuery } from '../data/reportArgs';
import { formatDateTime, formatDay } from '../lib/format';
import { openUserDetail } from '../lib/selection';
import { displayName, secondLine } from '../lib/person';
import { Dialog } from './ui/Dialog';
import { SegmentBadge } from './ui/SegmentBadge';
import { Empty, ErrorState, Loading } from './ui/States';

interface Props {
  q: ReportQuery;
  choice: RetentionChoice;
  cell: CohortCell;
  onClose: () => void;
}

export function CohortUsersDialog({ q, choice, cell, onClose }: Props) {
  const t = useT();
  const locale = useLocale();
  const [page, setPage] = useState(0);
  const { state, reload } = useCohortUsers(q, choice, cell, page);
  const total = state.status === 'ready' ? state.data.total : 0;
  const title = t('cohortUsersTitle', { cohort: formatDay(cell.cohortStart, locale), k: String(cell.offset), unit: t(choice.period === 'week' ? 'weekShort' : 'monthShort') });
  return (
    <Dialog title={title} onClose={onClose} testId="cohort-users" wide>
      {state.status === 'loading' || state.status === 'idle' ? (
        <Loading testId="cohort-users" />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="cohort-users" />
      ) : state.data.rows.length === 0 ? (
        <Empty testId="cohort-users">{t('noUsers')}</Empty>
      ) : (
        <ul className="cohort-users" data-testid="cohort-users-list" data-total={total}>
          {state.data.rows.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                className="link"
                data-testid="cohort-user"
                data-user-id={u.id}
                onClick={() => {
                  onClose();
                  openUserDetail(u.id);
                }}
              >
                <strong>{displayName({ ...u, userId: u.id }, t)}</strong>
              </button>{' '}
              {secondLine(u) && <span className="muted small">{secondLine(u)}</span>} <SegmentBadge segment={u.segment} />{' '}
              <span className="muted small">{formatDateTime(u.lastSeenAt, locale)}</span>
            </li>
          ))}
        </ul>
      )}
      {total > COHORT_PAGE_SIZE && (
        <div className="pager">
          <span className="muted">{t('pageOf', { from: page * COHORT_PAGE_SIZE + 1, to: Math.min(total, (page + 1) * COHORT_PAGE_SIZE), total })}</span>
          <button type="button" disabled={page === 0} onClick={() => setPage((p) => p - 1)} data-testid="cohort-users-prev">
            {t('previous')}
          </button>
          <button type="button" disabled={(page + 1) * COHORT_PAGE_SIZE >= total} onClick={() => setPage((p) => p + 1)} data-testid="cohort-users-next">
            {t('next')}
          </button>
        </div>
      )}
    </Dialog>
  );
}
