// "Wie komt terug": the cohort triangle of the page's range and filters — week or month, a
// start event and a return event (the project's funnel events or its other custom events;
// none = first visit / any activity) — as a heatmap and a table, a cell opening its
// people, and a CSV of the table.
// client:only (ApexCharts).
import { useState } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { useCrmProject } from '../data/getCrmProject';
import { useEventNames } from '../data/listEventNames';
import { useRetentionCohorts, type Cohort, type RetentionChoice, type RetentionPeriod } from '../data/getRetentionCohorts';
import type { CohortCell } from '../data/listRetentionCohortUsers';
import { useExportRetentionCohortsCsv } from '../data/exportRetentionCohortsCsv';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { downloadText } from '../lib/download';
import { formatDay, formatNumber, formatPercent } from '../lib/format';
import { SampleNote } from './BreakdownTable';
import { CohortHeatmap } from './CohortHeatmap';
import { CohortUsersDialog } from './CohortUsersDialog';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

const PERIODS: RetentionPeriod[] = ['week', 'month'];

export interface RetentionEvents {
  funnel: string[];
  /** the project's other custom events */
  custom: string[];
}

function EventPick({ value, events, none, label, testId, onPick }: { value: string | null; events: RetentionEvents; none: string; label: string; testId: string; onPick: (v: string | null) => void }) {
  const t = useT();
  const group = (name: string, list: string[]) =>
    list.length > 0 && (
      <optgroup label={name}>
        {list.map((ev) => (
          <option key={ev} value={ev}>
            {ev}
          </option>
        ))}
      </optgroup>
    );
  return (
    <label className="row">
      <span className="muted">{label}</span>
      <select value={value ?? ''} onChange={(e) => onPick(e.target.value || null)} data-testid={testId}>
        <option value="">{none}</option>
        {group(t('funnelEvents'), events.funnel)}
        {group(t('customEvents'), events.custom)}
      </select>
    </label>
  );
}

function CohortTable({ cohorts, period, onPick }: { cohorts: Cohort[]; period: RetentionPeriod; onPick: (c: CohortCell) => void }) {
  const t = useT();
  const locale = useLocale();
  const width = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const unit = t(period === 'week' ? 'weekShort' : 'monthShort');
  return (
    <div className="table-wrap">
      <table className="data cohort-table" data-testid="cohort-table">
        <thead>
          <tr>
            <th>{t('cohort')}</th>
            <th>{t('cohortSize')}</th>
            {Array.from({ length: width }, (_, k) => (
              <th key={k}>{`${unit}${k}`}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cohorts.map((c) => (
            <tr key={c.cohortStart} data-testid="cohort-row" data-cohort={c.cohortStart} data-size={c.size}>
              <th scope="row">{formatDay(c.cohortStart, locale)}</th>
              <td>{formatNumber(c.size, locale)}</td>
              {Array.from({ length: width }, (_, k) =>
                k < c.retained.length ? (
                  <td key={k}>
                    <button type="button" className="link" title={t('cohortCellTip', { pct: formatPercent(c.retainedPct[k] ?? 0, locale), n: formatNumber(c.retained[k] ?? 0, locale), size: formatNumber(c.size, locale) })} onClick={() => onPick({ cohortStart: c.cohortStart, offset: k })} data-testid="cohort-cell" data-offset={k} data-retained={c.retained[k]} data-pct={c.retainedPct[k]}>
                      {formatPercent(c.retainedPct[k] ?? 0, locale)}
                    </button>
                  </td>
                ) : (
                  <td key={k} />
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Cohorts({ q, events }: { q: ReportQuery; events: RetentionEvents }) {
  const t = useT();
  const [choice, setChoice] = useState<RetentionChoice>({ period: 'week', startEvent: null, returnEvent: null });
  const [cell, setCell] = useState<CohortCell | null>(null);
  const { state, reload } = useRetentionCohorts(q, choice);
  const cohorts = state.status === 'ready' ? state.data : [];
  const csv = useExportRetentionCohortsCsv();
  async function download() {
    const r = await csv.run(q, choice);
    if (r.ok) downloadText(r.value, `retention-${choice.period}-${q.from}-${q.to}.csv`);
  }
  return (
    <section className="card wide" data-testid="cohorts" data-period={choice.period}>
      <div className="section-head">
        <h2>{t('cohortsTitle')}</h2>
        <button type="button" disabled={cohorts.length === 0 || csv.busy} onClick={download} data-testid="cohorts-csv">
          {t('downloadCsv')}
        </button>
      </div>
      {csv.error && <ErrorState error={csv.error} onRetry={download} testId="cohorts-csv" />}
      <div className="toolbar cohort-controls">
        <div className="segmented" role="group" aria-label={t('cohortPeriod')}>
          {PERIODS.map((p) => (
            <button key={p} type="button" aria-pressed={choice.period === p} onClick={() => setChoice((c) => ({ ...c, period: p }))} data-testid={`cohorts-period-${p}`}>
              {t(p === 'week' ? 'periodWeek' : 'periodMonth')}
            </button>
          ))}
        </div>
        <EventPick value={choice.startEvent} events={events} none={t('firstVisit')} label={t('startEvent')} testId="cohorts-start-event" onPick={(v) => setChoice((c) => ({ ...c, startEvent: v }))} />
        <EventPick value={choice.returnEvent} events={events} none={t('anyActivity')} label={t('returnEvent')} testId="cohorts-return-event" onPick={(v) => setChoice((c) => ({ ...c, returnEvent: v }))} />
      </div>
      {state.status === 'loading' || state.status === 'idle' ? (
        <Loading testId="cohorts" />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="cohorts" />
      ) : cohorts.length === 0 ? (
        <Empty testId="cohorts">{t('empty')}</Empty>
      ) : (
        <>
          <CohortHeatmap cohorts={cohorts} period={choice.period} onPick={setCell} />
          <CohortTable cohorts={cohorts} period={choice.period} onPick={setCell} />
          <SampleNote rate={Math.min(...cohorts.map((c) => c.sampleRate))} testId="cohorts" />
        </>
      )}
      {cell && <CohortUsersDialog q={q} choice={choice} cell={cell} onClose={() => setCell(null)} />}
    </section>
  );
}

function WithEvents({ q }: { q: ReportQuery }) {
  // The funnel's events, then the project's other custom events; until they load (or if
  // they fail) the defaults stand.
  const project = useCrmProject(q.projectId).state;
  const names = useEventNames(q.projectId).state;
  const funnel = project.status === 'ready' ? [...new Set(project.data.funnelSteps.map((s) => s.eventName).filter(Boolean))] : [];
  const custom = names.status === 'ready' ? names.data.filter((n) => !funnel.includes(n)) : [];
  return <Cohorts q={q} events={{ funnel, custom }} />;
}

export default function RetentionCohorts() {
  const state = useReportState();
  return <ProjectGate>{(p) => <WithEvents q={reportQuery(p.id, state)} />}</ProjectGate>;
}
