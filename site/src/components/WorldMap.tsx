// Visitors by country in the page's range and filters: the map (a lazy chunk) beside a table.
// client:visible; the outer div is rendered even before a project is known, because an
// island with no element of its own would never become visible.
import { lazy, Suspense } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { useGeoBreakdown } from '../data/getGeoBreakdown';
import { reportQuery } from '../data/reportArgs';
import { useReportState } from '../lib/reportState';
import { countryName } from '../lib/reportLabels';
import { BreakdownTable } from './BreakdownTable';
import { ProjectGate } from './ProjectGate';
import { Empty, ErrorState, Loading } from './ui/States';

const WorldMapSvg = lazy(() => import('./WorldMapSvg'));

function Geo({ projectId }: { projectId: string }) {
  const t = useT();
  const locale = useLocale();
  const state = useReportState();
  const { state: s, reload } = useGeoBreakdown(reportQuery(projectId, state));
  return (
    <section className="card" data-testid="geo">
      <div className="section-head">
        <h2>{t('mapTitle')}</h2>
      </div>
      {s.status === 'loading' || s.status === 'idle' ? (
        <Loading testId="geo" />
      ) : s.status === 'error' ? (
        <ErrorState error={s.error} onRetry={reload} testId="geo" />
      ) : (
        <div className="map-grid">
          <div className="map-wrap">
            <Suspense fallback={<Loading testId="map" />}>
              <WorldMapSvg rows={s.data} />
            </Suspense>
          </div>
          {s.data.length === 0 ? (
            <Empty testId="geo">{t('empty')}</Empty>
          ) : (
            <BreakdownTable
              testId="geo-table"
              rows={s.data.map((r) => ({ value: r.country, visitors: r.visitors, visitorsChangePct: r.visitorsChangePct, extra: [r.conversions] }))}
              filterKey="country"
              label={(v) => countryName(v, locale, t)}
              firstColumn="colCountry"
              extraColumns={['colConversions']}
              sampleRate={s.data[0]?.sampleRate}
            />
          )}
        </div>
      )}
      {/* DB-IP's license (CC BY 4.0) asks for this link on every page that shows its results. */}
      <p className="muted small" data-testid="geo-attribution">
        <a href="https://db-ip.com" target="_blank" rel="noopener">IP Geolocation by DB-IP</a>
      </p>
    </section>
  );
}

export default function WorldMap() {
  return (
    <div className="island-anchor" data-testid="geo-anchor">
      <ProjectGate>{(p) => <Geo projectId={p.id} />}</ProjectGate>
    </div>
  );
}
