// Users CSV and metrics CSV, produced by the SQL exports and saved as files.
import { useState } from 'react';
import { useT } from '../i18n/i18n';
import { useExportSiteUsersCsv } from '../data/exportSiteUsersCsv';
import { useExportCrmMetricsCsv } from '../data/exportCrmMetricsCsv';
import type { CrmProject } from '../data/listCrmProjects';
import { CRM_SEGMENTS, crmSegmentParam, type CrmSegmentFilter } from '../data/listSiteUsers';
import { csvFileName } from '../lib/snippet';
import { downloadText } from '../lib/download';
import { segmentLabelKey } from '../lib/format';
import { Dialog } from './ui/Dialog';
import { ErrorState } from './ui/States';

export function ExportDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const [segment, setSegment] = useState<CrmSegmentFilter>('all');
  const [onlineOnly, setOnlineOnly] = useState(true); // the SQL default
  const users = useExportSiteUsersCsv();
  const metrics = useExportCrmMetricsCsv();
  const [last, setLast] = useState<'users' | 'metrics' | null>(null);
  const busy = users.busy || metrics.busy;
  const current = last === 'users' ? users : last === 'metrics' ? metrics : null;

  async function run(kind: 'users' | 'metrics') {
    setLast(kind);
    const csv = kind === 'users' ? await users.run(project.id, crmSegmentParam(segment), onlineOnly) : await metrics.run(project.id);
    if (csv.ok) downloadText(csv.value, csvFileName(kind, project.name, new Date()));
  }

  return (
    <Dialog title={t('export')} onClose={onClose} testId="export-dialog">
      <div className="stack">
        <label>
          {t('filterSegment')}
          <select value={segment} onChange={(e) => setSegment(e.target.value as CrmSegmentFilter)} data-testid="export-segment">
            {CRM_SEGMENTS.map((s) => (
              <option key={s} value={s}>
                {t(segmentLabelKey(s) ?? 'segAll')}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={onlineOnly} onChange={(e) => setOnlineOnly(e.target.checked)} data-testid="export-online-only" />
          {t('exportOnlineOnly')}
        </label>
        <button type="button" className="primary" disabled={busy} onClick={() => run('users')} data-testid="export-users">
          {t('exportUsers')}
        </button>
        <button type="button" disabled={busy} onClick={() => run('metrics')} data-testid="export-metrics">
          {t('exportMetrics')}
        </button>
        {current?.done && (
          <p role="status" data-testid="export-done">
            {t('exportDone')}
          </p>
        )}
        {current?.error && <ErrorState error={current.error} testId="export" />}
      </div>
    </Dialog>
  );
}
