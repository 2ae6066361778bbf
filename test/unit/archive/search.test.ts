import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMapsignError } from '../../../src/errors.js';
import { finishPage, parseSearchText, planSearch } from '../../../src/archive/index.js';

describe('parseSearchText', () => {
  it('reads sheet and parcel numbers written with or without diacritics', () => {
    for (const text of ['to 25 thua 112', 'tờ 25 thửa 112', 'Tờ số 25, thửa đất số 112', 'TO 25 THUA 112']) {
      const { terms, keys } = parseSearchText(text);
      expect({ text, terms, sheets: keys.sheetNumbers, parcels: keys.parcelNumbers }).toEqual({ text, terms: [], sheets: ['25'], parcels: ['112'] });
    }
  });

  it('keeps "to" and "thua" as words when no number follows', () => {
    expect(parseSearchText('to ban do').terms).toEqual(['to', 'ban', 'do']);
    expect(parseSearchText('thua dat').terms).toEqual(['thua', 'dat']);
  });

  it('recognises codes, hashes, serials and identifiers by their form', () => {
    const hash = 'AB'.repeat(32);
    const { terms, keys } = parseSearchText(`000.00.31.H56-260715-0012 1.013823 ${hash} 579576-1-a 56A000001234 0a1b2c3d4e5f60718293 Biên Hòa`);
    expect(keys.dossierCodes).toEqual(['000.00.31.h56-260715-0012']);
    expect(keys.procedureCodes).toEqual(['1.013823']);
    expect(keys.fileHashes).toEqual([hash.toLowerCase()]);
    expect(keys.gridSheetNumbers).toEqual(['579576-1-a']);
    expect(keys.parcelIds).toEqual(['56a000001234']);
    expect(keys.certificateSerials).toEqual(['a1b2c3d4e5f60718293']);
    expect(terms).toEqual(['bien', 'hoa']);
  });

  it('takes explicit key prefixes', () => {
    const { keys } = parseSearchText('sheet:25a parcel:7 serial:00:FF:01 grid:123-4 procedure:2.000889 hash:' + 'c'.repeat(64));
    expect(keys.sheetNumbers).toEqual(['25a']);
    expect(keys.parcelNumbers).toEqual(['7']);
    expect(keys.certificateSerials).toEqual(['ff01']);
    expect(keys.gridSheetNumbers).toEqual(['123-4']);
    expect(keys.procedureCodes).toEqual(['2.000889']);
    expect(keys.fileHashes).toEqual(['c'.repeat(64)]);
  });

  it('makes a trailing * a prefix of two characters or more', () => {
    expect(parseSearchText('nguy* h*').terms).toEqual(['nguy*', 'h']);
  });

  it('never throws and yields only folded tokens, whatever is typed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        const { terms } = parseSearchText(text);
        for (const term of terms) expect(term).toMatch(/^[\p{L}\p{N}]+\*?$/u);
      }),
    );
  });
});

describe('planSearch', () => {
  it('defaults to the newest sheets first, 20 a page', () => {
    expect(planSearch({})).toMatchObject({ sort: 'archived', order: 'desc', limit: 20, after: null });
    expect(planSearch({ sort: 'dossier' }).order).toBe('asc');
  });

  it('reads days in Vietnam time, the end day included', () => {
    const plan = planSearch({ from: '2026-07-15', to: '2026-07-15' });
    expect(plan.signedFrom).toBe(Date.parse('2026-07-15T00:00:00+07:00'));
    expect(plan.signedBefore).toBe(Date.parse('2026-07-16T00:00:00+07:00'));
    expect(planSearch({ to: '2026-07-15T09:32:10+07:00' }).signedBefore).toBe(Date.parse('2026-07-15T09:32:10+07:00') + 1);
  });

  it('refuses bad input with USAGE_INVALID', () => {
    const bad = [{ from: '2026-02-30' }, { to: 'yesterday' }, { limit: 0 }, { limit: 101 }, { sort: 'size' }, { documentKind: 'map' }, { status: 'lost' }, { cursor: 'garbage' }, { text: Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ') }];
    for (const query of bad) {
      let error: unknown;
      try {
        planSearch(query);
      } catch (e) {
        error = e;
      }
      expect({ query, ok: isMapsignError(error, 'USAGE_INVALID') }).toEqual({ query, ok: true });
    }
  });

  it('gives a cursor only when there is a next page, bound to its search', () => {
    const plan = planSearch({ text: 'dong nai', limit: 2 });
    const row = (id: number) => ({ id }) as never;
    expect(finishPage(plan, [row(9), row(8)]).nextCursor).toBeNull();
    const page = finishPage(plan, [row(9), row(8), row(7)]);
    expect(page.items.map((r: { id: number }) => r.id)).toEqual([9, 8]);
    expect(planSearch({ text: 'dong nai', limit: 5, cursor: page.nextCursor! }).after).toEqual({ value: 8, id: 8 });
    expect(() => planSearch({ text: 'dong nai', sort: 'signed', cursor: page.nextCursor! })).toThrow(/another search/);
  });
});
