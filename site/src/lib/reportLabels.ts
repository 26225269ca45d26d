// Display names of report values: channels and device types from the dictionary, countries
// from the browser's Intl.DisplayNames in the page language; anything else as SQL sent it.
import type { Locale, MessageKey } from '../i18n/dictionary';
import type { Translate } from '../i18n/i18n';
import type { FilterKey } from './reportUrl';
import { CHANNELS } from '../data/enums';

const DEVICES = ['desktop', 'mobile', 'tablet'];

const regionNames = new Map<Locale, Intl.DisplayNames | null>();

export function countryName(code: string | null, locale: Locale, t: Translate): string {
  if (!code) return t('unknownCountry');
  if (!regionNames.has(locale)) {
    try {
      regionNames.set(locale, new Intl.DisplayNames([locale], { type: 'region' }));
    } catch {
      regionNames.set(locale, null);
    }
  }
  try {
    return regionNames.get(locale)?.of(code.toUpperCase()) ?? code;
  } catch {
    return code; // not a region code Intl knows
  }
}

/** The label of a value of a report dimension (named by its filter key where it has one). */
export function valueLabel(kind: FilterKey | 'os' | 'utm_campaign', value: string | null, t: Translate, locale: Locale): string {
  if (kind === 'country') return countryName(value, locale, t);
  if (value === null || value === '') return t('noneValue');
  if (kind === 'channel' && (CHANNELS as readonly string[]).includes(value)) return t(`ch_${value}` as MessageKey);
  if (kind === 'device' && DEVICES.includes(value)) return t(`dev_${value}` as MessageKey);
  return value;
}
