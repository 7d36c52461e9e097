import { describe, expect, it } from 'vitest';
import { counted } from '../../src/plural.js';
import { countsText, partsText, STRINGS, t, tMd, type StringKey } from '../../src/text/index.js';

const keys = Object.keys(STRINGS) as StringKey[];
/** Every placeholder of the template (plain or count-choosing) set to `value`. */
const all = (key: StringKey, value: string) => Object.fromEntries([...STRINGS[key].en.matchAll(/\{(\w+)[|}]/g)].map((m) => [m[1]!, value]));

describe('counts agree with their nouns', () => {
  it('no English text says "1 <plural>" when its counts are 1, and none keeps a count selector unfilled', () => {
    // verbs after a name placeholder ("{by} has") are not nouns
    const verbs = new Set(['is', 'has', 'was', 'reaches']);
    for (const key of keys) {
      const text = t('en', key, all(key, '1'));
      const plurals = [...text.matchAll(/\b1 ((?:[a-z]+ )?([a-z]+s))\b/g)].filter((m) => !verbs.has(m[2]!)).map((m) => m[1]);
      expect(plurals, `${key}: ${text}`).toEqual([]);
      expect(text, key).not.toMatch(/\{\w+\|/);
    }
  });

  it('the plural form for 0, 2 and formatted counts ("1,204"); Chinese has one form', () => {
    const where = { model: 'ocr', branch: 'main', store: 'file' };
    expect(t('en', 'history.title', { ...where, n: 1 })).toBe('ocr on main (file): 1 promotion, newest first');
    expect(t('en', 'history.title', { ...where, n: 2 })).toBe('ocr on main (file): 2 promotions, newest first');
    expect(t('en', 'details.samples', { n: '1,204' })).toBe('1,204 samples');
    expect(t('en', 'details.samples', { n: '0' })).toBe('0 samples');
    expect(t('zh', 'history.title', { ...where, n: 1 })).toBe('ocr 在 main（file）：1 次晋升，最新在前');
    expect(countsText('en', { regressions: 1, warnings: 2 })).toBe('1 regression, 2 warnings');
    expect(countsText('en', { regressions: 0, warnings: 1 })).toBe('0 regressions, 1 warning');
  });

  it('the markdown and reason renderers choose from the real count, not their slot markers', () => {
    expect(tMd('en', 'cut.rows', { n: 1 }).text).toBe('1 row left out');
    expect(tMd('en', 'cut.rows', { n: 3 }).text).toBe('3 rows left out');
    expect(partsText('en', [{ key: 'reason.allWithin', args: { n: 1 } }])).toBe('all 1 metric within thresholds');
    expect(partsText('en', [{ key: 'reason.historyNoise', args: { level: '2 %', n: 1 } }])).toBe('noise band 2 % from the last 1 baseline');
  });

  it('messages outside the table agree the same way', () => {
    expect([0, 1, 2].map((n) => counted(n, 'sample', 'samples'))).toEqual(['0 samples', '1 sample', '2 samples']);
    expect(counted(1, 'entry', 'entries')).toBe('1 entry');
  });
});
