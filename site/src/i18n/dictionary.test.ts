import { describe, expect, it } from 'vitest';
import { en, nl } from './dictionary';
import { translator } from './i18n';

describe('dictionary', () => {
  it('has the same keys in nl and en, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(nl).sort());
    for (const d of [nl, en]) for (const [k, v] of Object.entries(d)) expect(v.trim(), k).not.toBe('');
  });

  it('keeps the same placeholders in both languages', () => {
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(nl) as (keyof typeof nl)[]) expect(holes(en[k]), k).toEqual(holes(nl[k]));
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translator('nl')('updatedAgo', { n: 4 })).toBe('bijgewerkt 4 s geleden');
    expect(translator('en')('stuckToast', { name: 'Jan' })).toBe('Jan is stuck on {page}');
    expect(translator('nl')('segAll')).toBe('Alle');
  });
});
