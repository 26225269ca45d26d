// The CRM page's period (Vandaag / 7 / 30 / 90 dagen / custom) and its filter chips; both
// live in the URL (lib/reportState) and every range-following island reads them from there.
import { useState } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import type { MessageKey } from '../i18n/dictionary';
import { clearFilters, removeFilter, setRange, useReportState } from '../lib/reportState';
import { FILTER_KEYS, MAX_DAYS, PRESETS, resolveRange, spanDays, todayUtc, validDay, type Preset } from '../lib/reportUrl';
import { valueLabel } from '../lib/reportLabels';
import { ProjectGate } from './ProjectGate';

const PRESET_LABEL: Record<Preset, MessageKey> = { today: 'rangeToday', '7d': 'range7d', '30d': 'range30d', '90d': 'range90d' };

function CustomRange({ onDone }: { onDone: () => void }) {
  const t = useT();
  const { range } = useReportState();
  const current = resolveRange(range, todayUtc());
  const [from, setFrom] = useState(current.from);
  const [to, setTo] = useState(current.to);
  const ok = !!validDay(from) && !!validDay(to) && from <= to && spanDays(from, to) <= MAX_DAYS;
  return (
    <form
      className="row custom-range"
      data-testid="range-custom-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ok) return;
        setRange({ preset: 'custom', from, to });
        onDone();
      }}
    >
      <label>
        {t('rangeFrom')}
        <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} data-testid="range-from" />
      </label>
      <label>
        {t('rangeTo')}
        <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} data-testid="range-to" />
      </label>
      <button type="submit" className="primary" disabled={!ok} data-testid="range-apply">
        {t('rangeApply')}
      </button>
      {!ok && <span className="muted small">{t('rangeInvalid')}</span>}
    </form>
  );
}

function Bar() {
  const t = useT();
  const locale = useLocale();
  const { range, filter } = useReportState();
  const [custom, setCustom] = useState(false);
  const chips = FILTER_KEYS.filter((k) => filter[k] !== undefined);
  return (
    <section className="card report-bar" data-testid="report-bar" data-range={range.preset === 'custom' ? `${range.from}..${range.to}` : range.preset}>
      <div className="row">
        <span className="muted">{t('rangeLabel')}</span>
        <div className="segmented" role="group" aria-label={t('rangeLabel')}>
          {PRESETS.map((p) => (
            <button key={p} type="button" aria-pressed={range.preset === p} onClick={() => { setCustom(false); setRange({ preset: p }); }} data-testid={`range-${p}`}>
              {t(PRESET_LABEL[p])}
            </button>
          ))}
          <button type="button" aria-pressed={range.preset === 'custom'} aria-expanded={custom} onClick={() => setCustom((c) => !c)} data-testid="range-custom">
            {range.preset === 'custom' ? `${range.from} – ${range.to}` : t('rangeCustom')}
          </button>
        </div>
      </div>
      {custom && <CustomRange onDone={() => setCustom(false)} />}
      {chips.length > 0 && (
        <ul className="chips" aria-label={t('filters')} data-testid="filter-chips">
          {chips.map((k) => {
            const name = `${t(`fk_${k}` as MessageKey)}: ${valueLabel(k, filter[k] ?? null, t, locale)}`;
            return (
              <li key={k} className="chip" data-testid="filter-chip" data-key={k} data-value={filter[k]}>
                <span>{name}</span>
                <button type="button" className="icon" aria-label={t('removeFilter', { name })} onClick={() => removeFilter(k)} data-testid={`filter-chip-remove-${k}`}>
                  ✕
                </button>
              </li>
            );
          })}
          {chips.length > 1 && (
            <li>
              <button type="button" className="link small" onClick={clearFilters} data-testid="filter-clear">
                {t('clearFilters')}
              </button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}

export default function ReportBar() {
  return <ProjectGate>{() => <Bar />}</ProjectGate>;
}
