// Users CSV and metrics CSV, produced by the SQL exports and saved as files.
import { useState } from 'react';
import { useT } from '../i18n/i18n';
import { withRpc } from '../data/query';
import { exportSiteUsersCsv } from '../data/exportSiteUsersCsv';
import { exportCrmMetricsCsv } from '../data/exportCrmMetricsCsv';
import type { CrmProject } from '../data/listCrmProjects';
import { SEGMENT_FILTERS, segmentParam, type SegmentFilter } from '../data/onlineSession';
import { csvFileName } from '../lib/snippet';
import { downloadText } from '../lib/download';
import { segmentLabelKey } from '../lib/format';
import { Dialog } from './ui/Dialog';
import { ErrorState } from './ui/States';

export function ExportDialog({ project, onClose }: { project: CrmProject; onClose: () => void }) {
  const t = useT();
  const [segment, setSegment] = useState<SegmentFilter>('all');
  const [onlineOnly, setOnlineOnly] = useState(true); // the SQL default
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState(false);

  async function run(kind: 'users' | 'metrics') {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const csv = await withRpc((rpc) =>
        kind === 'users' ? exportSiteUsersCsv(rpc, project.id, segmentParam(segment), onlineOnly) : exportCrmMetricsCsv(rpc, project.id),
      );
      downloadText(csv, csvFileName(kind, project.name, new Date()));
      setDone(true);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('export')} onClose={onClose} testId="export-dialog">
      <div className="stack">
        <label>
          {t('filterSegment')}
          <select value={segment} onChange={(e) => setSegment(e.target.value as SegmentFilter)} data-testid="export-segment">
            {SEGMENT_FILTERS.map((s) => (
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
        {done && (
          <p role="status" data-testid="export-done">
            {t('exportDone')}
          </p>
        )}
        {error && <ErrorState error={error} testId="export" />}
      </div>
    </Dialog>
  );
}
