// The world map, loaded lazily by WorldMap (its own chunk: d3-geo, topojson-client and the
// ISO table stay out of the page until the map scrolls into view).
// Why these: d3-geo and topojson-client are the maintained D3 modules (react-simple-maps
// wraps the same two but has had no release for years); world-atlas is Natural Earth as
// TopoJSON from the same authors. The atlas file is imported with `?url`, so Vite copies
// it into the site's own /_astro/ — the map never asks a CDN, and the JSON is not JS.
import { useEffect, useMemo, useState } from 'react';
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import type { Feature, Geometry } from 'geojson';
import { numericToAlpha2 } from 'i18n-iso-countries';
import atlasUrl from 'world-atlas/countries-110m.json?url';
import { useLocale, useT } from '../i18n/i18n';
import { formatNumber } from '../lib/format';
import { countryName } from '../lib/reportLabels';
import { shadePct } from '../lib/mapShade';
import { setFilter } from '../lib/reportState';
import type { GeoRow } from '../data/getGeoBreakdown';
import { ErrorState, Loading } from './ui/States';

const WIDTH = 960;
const HEIGHT = 470;
const ANTARCTICA = '010';

interface Shape {
  id: string;
  alpha2: string | null;
  d: string;
}

/** The atlas as SVG paths with each country's ISO alpha-2 (world-atlas ids are ISO numeric). */
function shapesOf(topology: Topology<{ countries: GeometryCollection }>): Shape[] {
  const geo = feature(topology, topology.objects.countries);
  const features = (geo.features as Feature<Geometry, { name?: string }>[]).filter((f) => f.id !== ANTARCTICA);
  const projection = geoEqualEarth().fitSize([WIDTH, HEIGHT], { type: 'FeatureCollection', features });
  const path = geoPath(projection);
  return features.map((f, i) => {
    const id = f.id === undefined ? `x${i}` : String(f.id);
    return { id, alpha2: f.id === undefined ? null : (numericToAlpha2(String(f.id)) ?? null), d: path(f) ?? '' };
  });
}

export default function WorldMapSvg({ rows }: { rows: GeoRow[] }) {
  const t = useT();
  const locale = useLocale();
  const [shapes, setShapes] = useState<Shape[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    fetch(atlasUrl)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${atlasUrl}: HTTP ${r.status}`))))
      .then((topology) => live && setShapes(shapesOf(topology)))
      .catch((e: unknown) => live && setError(e instanceof Error ? e : new Error(String(e))));
    return () => {
      live = false;
    };
  }, [attempt]);
  const byCountry = useMemo(() => new Map(rows.filter((r) => r.country).map((r) => [r.country as string, r.visitors])), [rows]);
  const max = rows.reduce((m, r) => Math.max(m, r.visitors), 0);
  if (error) return <ErrorState error={error} onRetry={() => setAttempt((a) => a + 1)} testId="map" />;
  if (!shapes) return <Loading testId="map" />;
  return (
    <svg className="world-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={t('mapLabel')} data-testid="map">
      {shapes.map((s) => {
        const visitors = (s.alpha2 && byCountry.get(s.alpha2)) || 0;
        const shade = shadePct(visitors, max);
        const pick = visitors > 0 && s.alpha2 ? () => setFilter('country', s.alpha2 as string) : undefined;
        return (
          <path
            key={s.id}
            d={s.d}
            data-testid="map-country"
            data-id={s.id}
            data-iso={s.alpha2 ?? ''}
            data-visitors={visitors}
            className={pick ? 'active' : undefined}
            style={shade ? { fill: `color-mix(in srgb, var(--accent) ${shade}%, var(--map-empty))` } : undefined}
            onClick={pick}
            onKeyDown={pick && ((e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), pick()))}
            tabIndex={pick ? 0 : undefined}
            role={pick ? 'button' : undefined}
          >
            <title>{`${s.alpha2 ? countryName(s.alpha2, locale, t) : ''}${visitors ? `: ${formatNumber(visitors, locale)} ${t('colVisitors').toLowerCase()}` : ''}`}</title>
          </path>
        );
      })}
    </svg>
  );
}
