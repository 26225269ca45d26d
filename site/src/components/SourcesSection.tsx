// "Bronnen": where visitors come from in the page's range and filters — channels (chart and
// table), sources / campaigns, devices / browsers / OS, and the pages they view. client:only (ApexCharts).
import { useState, type ReactNode } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import type { MessageKey } from '../i18n/dictionary';
import { useTrafficSources, type SourceDimension, type TrafficSource } from '../data/getTrafficSources';
import { useTechBreakdown, type TechDimension } from '../data/getTechBreakdown';
import { useTopPages, type TopPage } from '../data/getTopPages';
import { reportQuery, type ReportQuery } from '../data/reportArgs';
import type { QueryState } from '../data/query';
import { useReportState } from '../lib/reportState';
import { valueLabel } from '../lib/reportLabels';
import { formatDuration } from '../lib/format';
import type { FilterKey } from '../lib/reportUrl';
import { BreakdownTable, type BreakdownRow } from './BreakdownTable';
import { ChannelChart } from './ChannelChart';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

function Rows<T>({ query, testId, children }: { query: { state: QueryState<T[]>; reload: () => void }; testId: string; children: (rows: T[]) => ReactNode }) {
  const t = useT();
  const s = query.state;
  if (s.status === 'loading' || s.status === 'idle') return <Loading testId={testId} />;
  if (s.status === 'error') return <ErrorState error={s.error} onRetry={query.reload} testId={testId} />;
  if (s.data.length === 0) return <Empty testId={testId}>{t('empty')}</Empty>;
  return children(s.data);
}

const sourceRow = (r: TrafficSource): BreakdownRow => ({ value: r.value, visitors: r.visitors, visitorsChangePct: r.visitorsChangePct, extra: [r.signups, r.paying] });

function Tabs<K extends string>({ tabs, active, onPick, testId }: { tabs: [K, MessageKey][]; active: K; onPick: (k: K) => void; testId: string }) {
  const t = useT();
  return (
    <div className="segmented" role="group">
      {tabs.map(([k, label]) => (
        <button key={k} type="button" aria-pressed={k === active} onClick={() => onPick(k)} data-testid={`${testId}-tab-${k}`}>
          {t(label)}
        </button>
      ))}
    </div>
  );
}

function Channels({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const query = useTrafficSources(q, 'channel');
  const label = (v: string | null) => valueLabel('channel', v, t, locale);
  return (
    <section className="card wide" data-testid="channels">
      <div className="section-head">
        <h2>{t('channels')}</h2>
      </div>
      <Rows query={query} testId="channels">
        {(rows) => (
          <div className="channels-body">
            <ChannelChart rows={rows} label={label} />
            <BreakdownTable testId="channels-table" rows={rows.map(sourceRow)} filterKey="channel" label={label} firstColumn="fk_channel" extraColumns={['colSignups', 'colPaying']} sampleRate={rows[0]?.sampleRate} />
          </div>
        )}
      </Rows>
    </section>
  );
}

const SOURCE_TABS: [SourceDimension, MessageKey][] = [['source', 'sources'], ['utm_campaign', 'campaigns']];
const SOURCE_FILTER: Partial<Record<SourceDimension, FilterKey>> = { source: 'source', utm_campaign: 'campaign' };

function Sources({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const [dim, setDim] = useState<SourceDimension>('source');
  const query = useTrafficSources(q, dim);
  const key = SOURCE_FILTER[dim] ?? null;
  return (
    <section className="card" data-testid="sources">
      <div className="section-head">
        <h2>{t(dim === 'source' ? 'sources' : 'campaigns')}</h2>
        <Tabs tabs={SOURCE_TABS} active={dim} onPick={setDim} testId="sources" />
      </div>
      <Rows query={query} testId="sources">
        {(rows) => (
          <BreakdownTable testId={`sources-${dim}`} rows={rows.map(sourceRow)} filterKey={key} label={(v) => valueLabel(key ?? 'source', v, t, locale)} firstColumn={dim === 'source' ? 'fk_source' : 'fk_campaign'} extraColumns={['colSignups', 'colPaying']} sampleRate={rows[0]?.sampleRate} />
        )}
      </Rows>
    </section>
  );
}

const TECH_TABS: [TechDimension, MessageKey][] = [['device', 'devices'], ['browser', 'browsers'], ['os', 'systems']];
const TECH_FILTER: Record<TechDimension, FilterKey | null> = { device: 'device', browser: 'browser', os: null };

function Tech({ q }: { q: ReportQuery }) {
  const t = useT();
  const locale = useLocale();
  const [dim, setDim] = useState<TechDimension>('device');
  const query = useTechBreakdown(q, dim);
  const key = TECH_FILTER[dim];
  return (
    <section className="card" data-testid="tech">
      <div className="section-head">
        <h2>{t('technology')}</h2>
        <Tabs tabs={TECH_TABS} active={dim} onPick={setDim} testId="tech" />
      </div>
      <Rows query={query} testId="tech">
        {(rows) => (
          <BreakdownTable testId={`tech-${dim}`} rows={rows} filterKey={key} label={(v) => valueLabel(key ?? 'os', v, t, locale)} firstColumn={dim === 'device' ? 'colDevice' : dim === 'browser' ? 'colBrowser' : 'systems'} sampleRate={rows[0]?.sampleRate} />
        )}
      </Rows>
    </section>
  );
}

const pageRow = (r: TopPage): BreakdownRow => ({ value: r.page, visitors: r.visitors, visitorsChangePct: r.visitorsChangePct, extra: [r.views, r.entries, r.exits, r.avgSeconds] });
const PAGE_COLUMNS: MessageKey[] = ['colViews', 'colEntries', 'colExits', 'colAvgTime'];

function Pages({ q }: { q: ReportQuery }) {
  const t = useT();
  const query = useTopPages(q);
  return (
    <section className="card wide" data-testid="pages">
      <div className="section-head">
        <h2>{t('pages')}</h2>
      </div>
      <Rows query={query} testId="pages">
        {(rows) => (
          <BreakdownTable testId="pages-table" rows={rows.map(pageRow)} filterKey="page" label={(v) => v ?? '–'} firstColumn="fk_page" extraColumns={PAGE_COLUMNS} extraFormat={{ colAvgTime: formatDuration }} sampleRate={rows[0]?.sampleRate} />
        )}
      </Rows>
    </section>
  );
}

export default function SourcesSection() {
  const t = useT();
  const state = useReportState();
  return (
    <ProjectGate>
      {(p) => {
        const q = reportQuery(p.id, state);
        return (
          <div className="sources-section" data-testid="sources-section">
            <h2 className="section-title">{t('sources')}</h2>
            <div className="report-grid">
              <Channels q={q} />
              <Sources q={q} />
              <Tech q={q} />
              <Pages q={q} />
            </div>
          </div>
        );
      }}
    </ProjectGate>
  );
}
