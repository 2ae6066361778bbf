// A verification report made before archiving is stored in the archive's own commit, on both
// catalogs: status, report and a `verified` entry after the `archived` one, all at once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitSheetInput } from '../../src/archive/index.js';
import { BACKENDS, openTestCatalog, type TestCatalog } from '../fixtures/archive-backends.js';
import { EXAMPLE_METADATA } from '../fixtures/make-sheet-records.js';

const SHA = 'c'.repeat(64);

function input(verification: CommitSheetInput['verification']): CommitSheetInput {
  return {
    extends: null,
    metadata: { ...EXAMPLE_METADATA },
    sha256: SHA,
    size: 1234,
    signatures: [],
    archivedAt: Date.parse('2026-12-01T10:00:00Z'),
    events: [{ kind: 'archived', sha256: SHA, actor: 'system:dossier', details: { revision: 1 } }],
    ...(verification ? { verification } : {}),
  };
}

describe.each(BACKENDS)('a sheet committed with its verification (%s)', (kind) => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await openTestCatalog(kind);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('is verified, carries the report, and logs verified after archived in one chain', async () => {
    const [result] = await t.catalog.commitSheets([input({ isValid: true, report: { verdict: { indication: 'PASSED' } }, actor: 'mapsign-service' })]);
    const sheet = (await t.catalog.getSheet(result!.sheetId))!;
    expect(sheet.status).toBe('verified');
    expect(sheet.verification).toMatchObject({ revision: 1, isValid: true, report: { verdict: { indication: 'PASSED' } } });
    const audit = await t.catalog.readAudit(0, 100, result!.sheetId);
    expect(audit.map((entry) => [entry.kind, entry.actor])).toEqual([
      ['archived', 'system:dossier'],
      ['verified', 'mapsign-service'],
    ]);
    expect(JSON.parse(String(audit[1]!.details))).toEqual({ revision: 1, isValid: true });
    expect(await t.catalog.checkIntegrity()).toEqual([]);
  });

  it('is invalid when its report says so, and a sheet committed without one stays archived', async () => {
    const [invalid] = await t.catalog.commitSheets([{ ...input({ isValid: false, report: { verdict: { indication: 'FAILED' } }, actor: 'mapsign-service' }), sha256: 'd'.repeat(64), metadata: { ...EXAMPLE_METADATA, sheetNumber: '77' } }]);
    expect((await t.catalog.getSheet(invalid!.sheetId))!.status).toBe('invalid');
    const [plain] = await t.catalog.commitSheets([{ ...input(undefined), sha256: 'e'.repeat(64), metadata: { ...EXAMPLE_METADATA, sheetNumber: '78' } }]);
    const sheet = (await t.catalog.getSheet(plain!.sheetId))!;
    expect(sheet.status).toBe('archived');
    expect(sheet.verification).toBeNull();
  });
});
