// RFC 4180: CRLF between records, a field with a comma, quote or line break quoted, quotes doubled.
import { describe, expect, it } from 'vitest';
import { cohortCsv, csvField } from './cohortCsv';

describe('cohortCsv', () => {
  it('quotes only what needs it', () => {
    expect([csvField('a'), csvField(3), csvField('a,b'), csvField('say "hi"'), csvField('x\ny')]).toEqual(['a', '3', '"a,b"', '"say ""hi"""', '"x\ny"']);
  });
  it('one row per cohort, one column per offset, short rows padded; month names the columns', () => {
    const csv = cohortCsv(
      [
        { cohortStart: '2026-09-01', size: 8, retained: [8, 3], retainedPct: [100, 37.5], sampleRate: 1 },
        { cohortStart: '2026-10-01', size: 2, retained: [2], retainedPct: [100], sampleRate: 1 },
      ],
      'month',
    );
    expect(csv).toBe('cohort_start,cohort_size,month_0,month_1\r\n2026-09-01,8,8 (100%),3 (37.5%)\r\n2026-10-01,2,2 (100%),\r\n');
  });
  it('no cohorts: the header alone', () => {
    expect(cohortCsv([], 'week')).toBe('cohort_start,cohort_size\r\n');
  });
});
