// Public codes of archived sheets on both catalogs: random, unique and stable across revisions,
// found by code only, and given to the sheets of a catalog made before they existed.

import { afterEach, describe, expect, it } from 'vitest';
import { newPublicCode, normalizePublicCode, type CommitSheetInput } from '../../src/archive/index.js';
import { BACKENDS, openTestCatalog, type BackendKind, type TestCatalog } from '../fixtures/archive-backends.js';
import { makeSheetRecord, toCommitInput } from '../fixtures/make-sheet-records.js';

const CODE = /^[a-z2-7]{26}$/;

describe('newPublicCode', () => {
  it('gives 26 base32 characters (128 random bits), different every time', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => newPublicCode()));
    expect(codes.size).toBe(2000);
    for (const code of codes) expect(code).toMatch(CODE);
  });

  it('takes a code in any case and refuses a sheet id', () => {
    const code = newPublicCode();
    expect(normalizePublicCode(code.toUpperCase())).toBe(code);
    expect(normalizePublicCode('1')).toBeNull();
    expect(normalizePublicCode('12345678901234567890123456')).toBeNull();
  });
});

describe.each(BACKENDS)('public codes on %s', (kind: BackendKind) => {
  let t: TestCatalog;
  afterEach(async () => {
    await t?.cleanup();
  });

  function input(index: number, publicCode?: string): CommitSheetInput {
    return { ...toCommitInput(makeSheetRecord(index, 77)), ...(publicCode ? { publicCode } : {}) };
  }

  it('stores the code a new sheet is given, finds the sheet by it, and keeps it for the next revision', async () => {
    t = await openTestCatalog(kind);
    const code = newPublicCode();
    const [first] = await t.catalog.commitSheets([input(1, code)]);
    expect(await t.catalog.findSheetIdByPublicCode(code)).toBe(first!.sheetId);
    expect((await t.catalog.getSheet(first!.sheetId))!.publicCode).toBe(code);
    const next = input(1, newPublicCode());
    const [second] = await t.catalog.commitSheets([{ ...next, extends: { sheetId: first!.sheetId, revision: 1 }, sha256: 'f'.repeat(64), size: next.size + 10 }]);
    expect(second).toEqual({ sheetId: first!.sheetId, revision: 2 });
    expect((await t.catalog.getSheet(first!.sheetId))!.publicCode).toBe(code);
    expect((await t.catalog.findSheetByKey((await import('../../src/archive/rows.js')).sheetKeyOf(next.metadata)))!.publicCode).toBe(code);
    expect(await t.catalog.findSheetIdByPublicCode(newPublicCode())).toBeNull();
  });

  it('generates a distinct code for each new sheet given none, and search returns it', async () => {
    t = await openTestCatalog(kind);
    const results = await t.catalog.commitSheets([input(1), input(2), input(3)]);
    const codes = await Promise.all(results.map(async (r) => (await t.catalog.getSheet(r.sheetId))!.publicCode));
    expect(new Set(codes).size).toBe(3);
    for (const code of codes) expect(code).toMatch(CODE);
    const { planSearch } = await import('../../src/archive/index.js');
    const found = await t.catalog.search(planSearch({ limit: 10 }));
    expect(found.map((s) => s.publicCode).sort()).toEqual([...codes].sort());
  });

  it('makes the integrity check name a sheet that lost its public code', async () => {
    t = await openTestCatalog(kind);
    const [first] = await t.catalog.commitSheets([input(1)]);
    expect(await t.catalog.checkIntegrity()).toEqual([]);
    await t.exec('UPDATE sheets SET public_code = NULL WHERE id = ?', [first!.sheetId]);
    expect(await t.catalog.checkIntegrity()).toEqual([`sheet ${first!.sheetId}: it has no public code (its QR code and /v/ link cannot name it)`]);
  });

  it('refuses a second sheet with the same code (unique index)', async () => {
    t = await openTestCatalog(kind);
    const code = newPublicCode();
    await t.catalog.commitSheets([input(1, code)]);
    await expect(t.catalog.commitSheets([input(2, code)])).rejects.toThrow();
  });

  it('gives every sheet of a catalog made before migration 2 its own code when it opens', async () => {
    t = await openTestCatalog(kind);
    await t.catalog.commitSheets([input(1), input(2), input(3)]);
    // Back to schema version 1: no column, no index, no record of migration 2.
    await t.exec('DROP INDEX sheets_public_code');
    await t.exec('ALTER TABLE sheets DROP COLUMN public_code');
    await t.exec('DELETE FROM schema_migrations WHERE version = 2');
    const again = await t.reopen();
    const codes = await Promise.all([1, 2, 3].map(async (id) => (await again.getSheet(id))!.publicCode));
    expect(new Set(codes).size).toBe(3);
    for (const [index, code] of codes.entries()) {
      expect(code).toMatch(CODE);
      expect(await again.findSheetIdByPublicCode(code)).toBe(index + 1);
    }
    await expect(t.exec('UPDATE sheets SET public_code = ? WHERE id = 2', [codes[0]])).rejects.toThrow();
  });
});
