import { describe, expect, it } from 'vitest';
import { translator } from '../i18n/i18n';
import { countryName, valueLabel } from './reportLabels';

describe('report labels', () => {
  const nl = translator('nl');
  const en = translator('en');
  it('translates channels and device types, keeps other values, names none', () => {
    expect(valueLabel('channel', 'social', nl, 'nl')).toBe('Sociale media');
    expect(valueLabel('channel', 'ai_assistant', en, 'en')).toBe('AI assistants');
    expect(valueLabel('channel', 'carrier_pigeon', en, 'en')).toBe('carrier_pigeon');
    expect(valueLabel('device', 'mobile', nl, 'nl')).toBe('Mobiel');
    expect(valueLabel('source', 'google.com', nl, 'nl')).toBe('google.com');
    expect(valueLabel('source', null, en, 'en')).toBe('(none)');
  });

  it('names countries in the page language', () => {
    expect(countryName('NL', 'nl', nl)).toBe('Nederland');
    expect(countryName('DE', 'en', en)).toBe('Germany');
    expect(countryName(null, 'en', en)).toBe('Unknown');
    expect(countryName('1', 'en', en)).toBe('1');
  });
});
