// The catalog suite, run against SQLite and PostgreSQL with identical expectations: Vietnamese
// search, exact keys, filters, sorts, cursor pages (checked against an in-memory oracle under
// every search plan), revisions, metadata and verification, migrations, and the audit chain.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  communeKey,
  planSearch,
  tokenize,
  type Catalog,
  type CommitSheetInput,
  type SearchPlan,
  type SearchQuery,
  type SearchTuning,
  type SheetMetadata,
  type SheetRecord,
  type SignatureInput,
} from '../../src/archive/index.js';
import { finishPage } from '../../src/archive/index.js';
import { BACKENDS, disableAuditGuard, openTestCatalog, type BackendKind, type TestCatalog } from '../fixtures/archive-backends.js';
import { EXAMPLE_METADATA, makeRandom, makeSheetRecord, toCommitInput } from '../fixtures/make-sheet-records.js';

const BASE: SheetMetadata = { ...EXAMPLE_METADATA };

function signer(position: number, name: string, organisation: string, signedAt: string, serial: string): SignatureInput {
  return {
    position,
    fieldName: `Signature${position}`,
    role: null,
    signerName: name,
    organisation,
    certificateSerial: serial,
    certificateIssuer: 'CN=Vietnam Government Certificate Authority G2, O=Ban Cơ yếu Chính phủ, C=VN',
    signingTime: Date.parse(signedAt),
    timestampTime: null,
    padesLevel: 'B-B',
  };
}

function hashOf(n: number): string {
  return n.toString(16).padStart(64, 'a');
}

/** The five hand-made sheets every semantic test names (ids 1 to 5, in this order). */
const FIXED: CommitSheetInput[] = (
  [
  {
    metadata: BASE,
    signatures: [
      signer(1, 'Nguyễn Văn An', 'Công ty CP Đo đạc X', '2026-07-15T09:32:10+07:00', '0a1b2c3d4e5f60718293'),
      signer(2, 'Trần Thị Bích', 'UBND Phường Trấn Biên', '2026-07-16T10:00:00+07:00', '00ff00ff00ff00ff00ff'),
    ],
  },
  {
    metadata: { ...BASE, dossierCode: '000.00.12.HCM-260302-0101', procedureSuffix: 'HCM', documentKind: 'trich-luc', province: 'Thành phố Hồ Chí Minh', commune: 'Phường Vũng Tàu', legacyDistrict: 'Vũng Tàu', parcelNumbers: ['113'], gridSheetNumber: null, surveyUnit: 'Công ty TNHH Trắc địa Biển Xanh' },
    signatures: [signer(1, 'Lê Hoàng Nam', 'Công ty TNHH Trắc địa Biển Xanh', '2026-03-02T14:00:00+07:00', '1111111111111111aaaa')],
  },
  {
    metadata: { ...BASE, dossierCode: '000.00.31.H56-251120-0007', documentKind: 'ban-do-dia-chinh', commune: 'Xã Long Thành', legacyDistrict: 'Long Thành', sheetNumber: '12', parcelNumbers: ['112', '7'], parcelIds: ['56A000001234'], surveyUnit: 'Trung tâm Phát triển quỹ đất ở Long Thành', gridSheetNumber: '600123-2-b' },
    signatures: [signer(1, 'Phạm Thị Đào', 'Trung tâm Phát triển quỹ đất ở Long Thành', '2025-11-20T08:00:00+07:00', '2222222222222222bbbb')],
  },
  {
    metadata: { ...BASE, dossierCode: '000.00.05.H39-260105-0033', procedureCode: '1.012790', procedureSuffix: 'H39', documentKind: 'ban-do-hien-trang', province: 'Lâm Đồng', commune: 'Phường Xuân Hương - Đà Lạt', legacyDistrict: 'Đà Lạt', sheetNumber: '3', parcelNumbers: [], gridSheetNumber: null, surveyUnit: 'Công ty TNHH Trắc địa Đông Nam' },
    signatures: [signer(1, 'Võ Thị Hoa', 'Công ty TNHH Trắc địa Đông Nam', '2026-01-05T16:45:00+07:00', '3333333333333333cccc')],
  },
  {
    metadata: { ...BASE, dossierCode: '000.00.31.H56-260801-0099', sheetNumber: '26', decisionRef: '789/QĐ-UBND' },
    signatures: [signer(1, 'Nguyễn Văn Anh', 'Công ty CP Đo đạc X', '2026-08-01T09:00:00+07:00', '4444444444444444dddd')],
  },
  ] as Array<{ metadata: SheetMetadata; signatures: SignatureInput[] }>
).map((sheet, i) => ({
  extends: null,
  metadata: sheet.metadata,
  sha256: hashOf(i + 1),
  size: 1000 + i,
  signatures: sheet.signatures,
  archivedAt: Date.parse('2026-09-01T00:00:00Z') + i,
  events: [{ kind: 'archived' as const, sha256: hashOf(i + 1), actor: 'test', details: { revision: 1 } }],
}));

const GENERATED = 1500;

/** What the oracle knows of a stored sheet. */
interface OracleRow {
  id: number;
  input: CommitSheetInput;
  tokens: Set<string>;
  signerTokens: Set<string>;
  signedAt: number;
  status: string;
}

function toOracleRow(id: number, input: CommitSheetInput): OracleRow {
  const m = input.metadata;
  const body = [m.dossierCode, m.procedureCode, m.procedureSuffix, m.decisionRef, m.documentKind, m.documentKind.replace(/-/g, ' '), m.province, m.commune, m.legacyDistrict, m.gridSheetNumber, m.surveyUnit];
  const signers = input.signatures.flatMap((s) => [s.signerName, s.organisation]);
  const signerTokens = new Set(signers.flatMap((t) => (t ? tokenize(t) : [])));
  return {
    id,
    input,
    tokens: new Set([...body.flatMap((t) => (t ? tokenize(t) : [])), ...signerTokens]),
    signerTokens,
    signedAt: Math.max(0, ...input.signatures.map((s) => s.signingTime ?? 0)),
    status: 'archived',
  };
}

function hasTerms(tokens: Set<string>, terms: string[]): boolean {
  return terms.every((t) => (t.endsWith('*') ? [...tokens].some((token) => token.startsWith(t.slice(0, -1))) : tokens.has(t)));
}

/** Every matching id in order: an independent reading of docs/archive.md "Search". */
function oracle(rows: OracleRow[], plan: SearchPlan): number[] {
  const lower = (s: string): string => s.toLowerCase();
  const serial = (s: string): string => s.toLowerCase().replace(/^0+(?=.)/, '');
  const matches = rows.filter((r) => {
    const m = r.input.metadata;
    return (
      hasTerms(r.tokens, plan.terms) &&
      hasTerms(r.signerTokens, plan.signerTerms) &&
      plan.dossierCodes.every((v) => lower(m.dossierCode) === v) &&
      plan.procedureCodes.every((v) => m.procedureCode === v) &&
      plan.sheetNumbers.every((v) => lower(m.sheetNumber) === v) &&
      plan.gridSheetNumbers.every((v) => m.gridSheetNumber !== null && lower(m.gridSheetNumber) === v) &&
      plan.parcelNumbers.every((v) => m.parcelNumbers.map(lower).includes(v)) &&
      plan.parcelIds.every((v) => m.parcelIds.map(lower).includes(v)) &&
      plan.certificateSerials.every((v) => r.input.signatures.some((s) => serial(s.certificateSerial) === v)) &&
      plan.fileHashes.every((v) => r.input.sha256 === v) &&
      (plan.communeKey === null || communeKey(m.commune) === plan.communeKey) &&
      (plan.documentKind === null || m.documentKind === plan.documentKind) &&
      (plan.status === null || r.status === plan.status) &&
      (plan.signedFrom === null || r.signedAt >= plan.signedFrom) &&
      (plan.signedBefore === null || r.signedAt < plan.signedBefore)
    );
  });
  const key = (r: OracleRow): number | string => (plan.sort === 'archived' ? r.id : plan.sort === 'signed' ? r.signedAt : lower(r.input.metadata.dossierCode));
  const sign = plan.order === 'asc' ? 1 : -1;
  matches.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return (a.id - b.id) * sign;
  });
  return matches.map((r) => r.id);
}

async function collectAll(catalog: Catalog, query: SearchQuery): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const plan = planSearch({ ...query, cursor });
    const result = finishPage(plan, await catalog.search(plan));
    ids.push(...result.items.map((item) => item.id));
    if (!result.nextCursor) return ids;
    cursor = result.nextCursor;
  }
  throw new Error('too many pages');
}

/** The first 100 ids, oldest first (the hand-made sheets come first). */
async function ids(catalog: Catalog, query: SearchQuery): Promise<number[]> {
  const plan = planSearch({ limit: 100, order: 'asc', ...query });
  return (await catalog.search(plan)).slice(0, plan.limit).map((r: SheetRecord) => r.id);
}

const TUNINGS: Record<string, SearchTuning> = {
  default: { textFirstMaxDocs: 5000, minWalk: 3000, useOrderedTextIndex: true },
  'walk the sort order': { textFirstMaxDocs: -1, minWalk: 100_000, useOrderedTextIndex: false },
  'short walk, then the text index': { textFirstMaxDocs: -1, minWalk: 3, useOrderedTextIndex: false },
};

describe.each(BACKENDS)('archive catalog on %s', (kind: BackendKind) => {
  let t: TestCatalog;
  let catalog: Catalog;
  const rows: OracleRow[] = [];

  beforeAll(async () => {
    t = await openTestCatalog(kind);
    catalog = t.catalog;
    const results = await catalog.commitSheets(FIXED);
    results.forEach((r, i) => rows.push(toOracleRow(r.sheetId, FIXED[i]!)));
    const generated = Array.from({ length: GENERATED }, (_, i) => toCommitInput(makeSheetRecord(i, 2)));
    for (let i = 0; i < generated.length; i += 500) {
      const batch = generated.slice(i, i + 500);
      const done = await catalog.commitSheets(batch);
      done.forEach((r, j) => rows.push(toOracleRow(r.sheetId, batch[j]!)));
    }
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('numbers sheets in the order they arrive', () => {
    expect(rows.slice(0, 5).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('finds "Vũng Tàu" when asked for "vung tau"', async () => {
    const found = await ids(catalog, { text: 'vung tau' });
    expect(found).toContain(2);
    expect(found).not.toContain(1);
  });

  it('finds "Đồng Nai" when asked for "dong nai", but not "Đông Nam"', async () => {
    const found = await ids(catalog, { text: 'dong nai' });
    expect(found).toEqual(expect.arrayContaining([1, 3, 5]));
    expect(found).not.toContain(4);
    expect(await ids(catalog, { text: 'DONG NAM' })).toContain(4);
  });

  it('finds "đất ở" when asked for "dat o"', async () => {
    expect(await ids(catalog, { text: 'dat o' })).toContain(3);
    expect(await ids(catalog, { text: 'đất ở long thành' })).toContain(3);
  });

  it('reads "to 25 thua 112" as sheet 25 and parcel 112', async () => {
    const plan = planSearch({ text: 'to 25 thua 112' });
    expect(plan.sheetNumbers).toEqual(['25']);
    expect(plan.parcelNumbers).toEqual(['112']);
    expect(plan.terms).toEqual([]);
    const found = await ids(catalog, { text: 'tờ 25 thửa 112' });
    expect(found).toContain(1);
    expect(found).not.toContain(2);
    expect(found).not.toContain(3);
    expect(await ids(catalog, { text: 'to 12 thua 7' })).toEqual([3]);
  });

  it('matches whole syllables: "nguyen van an" is not "Nguyễn Văn Anh", "an*" is', async () => {
    expect(await ids(catalog, { text: 'nguyen van an', commune: 'tran bien', documentKind: 'trich-do-dia-chinh' })).toContain(1);
    expect(await ids(catalog, { text: 'nguyen van an', commune: 'tran bien', documentKind: 'trich-do-dia-chinh' })).not.toContain(5);
    expect(await ids(catalog, { text: 'nguyen van an*', commune: 'tran bien', documentKind: 'trich-do-dia-chinh' })).toEqual(expect.arrayContaining([1, 5]));
  });

  it('finds a sheet by each exact key', async () => {
    expect(await ids(catalog, { text: '000.00.31.H56-260715-0012' })).toEqual([1]);
    expect(await ids(catalog, { text: 'dossier:000.00.31.h56-260715-0012' })).toEqual([1]);
    expect(await ids(catalog, { text: '1.012790 Đà Lạt' })).toContain(4);
    expect(await ids(catalog, { text: hashOf(3) })).toEqual([3]);
    expect(await ids(catalog, { text: 'serial:0A:1B:2C:3D:4E:5F:60:71:82:93' })).toEqual([1]);
    expect(await ids(catalog, { text: 'serial:ff00ff00ff00ff00ff' })).toEqual([1]);
    expect(await ids(catalog, { text: '600123-2-b' })).toEqual([3]);
    expect(await ids(catalog, { text: '56a000001234' })).toEqual([3]);
  });

  it('filters by commune with or without its unit word, kind, signer, status and signing dates', async () => {
    expect(await ids(catalog, { commune: 'Trấn Biên', documentKind: 'trich-do-dia-chinh', signer: 'tran thi bich' })).toEqual([1]);
    expect(await ids(catalog, { commune: 'phuong vung tau', documentKind: 'trich-luc', from: '2026-03-02', to: '2026-03-02', text: 'nam' })).toEqual([2]);
    expect(await ids(catalog, { commune: 'phuong vung tau', from: '2026-03-03', to: '2026-03-31', text: 'le hoang nam' })).toEqual([]);
    expect(await ids(catalog, { status: 'verified' })).toEqual([]);
  });

  const QUERIES: SearchQuery[] = [
    { text: 'dong nai' },
    { text: 'phuong', sort: 'signed' },
    { text: 'nguyen thi', sort: 'dossier' },
    { text: 'trich luc', order: 'asc' },
    { text: 'h56 trich do', sort: 'dossier', order: 'desc' },
    { text: 'nguy* ha*' },
    { text: 'to 7' },
    { text: 'thua 112' },
    { text: 'to 12 thua 112 thua 7' },
    { text: 'to 3 thua 5', commune: 'tran bien' },
    { text: 'thua 5 thua 9', sort: 'signed' },
    { commune: 'tran bien' },
    { commune: 'tran bien', sort: 'signed', from: '2025-10-01', to: '2026-06-30' },
    { signer: 'tran', documentKind: 'trich-luc' },
    { signer: 'van phong dang ky', text: 'ho chi minh', sort: 'signed', order: 'asc' },
    { text: 'vung tau', from: '2026-01-01' },
    { text: '1.013823 bien hoa' },
    { documentKind: 'ban-do-hien-trang', sort: 'dossier' },
    { text: 'khong co tu nay' },
  ];

  describe.each(Object.keys(TUNINGS))('with the %s plan', (tuning) => {
    it.each(QUERIES.map((q) => [JSON.stringify(q), q] as const))('pages through %s exactly as the oracle orders it', async (_name, query) => {
      (catalog as Catalog & { searchTuning: SearchTuning }).searchTuning = TUNINGS[tuning]!;
      try {
        const expected = oracle(rows, planSearch(query));
        expect(await collectAll(catalog, { ...query, limit: 37 })).toEqual(expected);
      } finally {
        (catalog as Catalog & { searchTuning: SearchTuning }).searchTuning = TUNINGS['default']!;
      }
    });
  });

  it('returns the same first pages for 60 random searches as the other backend would (oracle)', async () => {
    const random = makeRandom(11);
    const words = ['dong', 'nai', 'phuong', 'xa', 'nguyen', 'thi', 'van', 'trich', 'luc', 'hoa', 'tan', 'an', 'h56', 'hcm', 'so', 'nong', 'nghiep'];
    for (let i = 0; i < 60; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 3) }, () => words[Math.floor(random() * words.length)]).join(' ');
      const query: SearchQuery = { text, sort: (['archived', 'signed', 'dossier'] as const)[i % 3], order: i % 2 === 0 ? 'desc' : 'asc', limit: 25 };
      const plan = planSearch(query);
      expect({ query, ids: (await catalog.search(plan)).slice(0, 25).map((r) => r.id) }).toEqual({ query, ids: oracle(rows, plan).slice(0, 25) });
    }
  });

  it('refuses a cursor given to another search', async () => {
    const first = finishPage(planSearch({ text: 'dong nai', limit: 2 }), await catalog.search(planSearch({ text: 'dong nai', limit: 2 })));
    expect(first.nextCursor).not.toBeNull();
    expect(() => planSearch({ text: 'vung tau', limit: 2, cursor: first.nextCursor! })).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });

  it('adds a revision, keeps the earlier one, and refuses a stale one', async () => {
    const before = (await catalog.getSheet(1))!;
    const next: CommitSheetInput = {
      ...FIXED[0]!,
      extends: { sheetId: 1, revision: 1 },
      sha256: hashOf(901),
      size: 2000,
      signatures: [...FIXED[0]!.signatures, signer(3, 'Hoàng Minh Tuấn', 'Văn phòng Đăng ký đất đai tỉnh Đồng Nai', '2026-07-20T08:00:00+07:00', '5555555555555555eeee')],
      events: [{ kind: 'archived', sha256: hashOf(901), actor: 'test' }],
    };
    expect(await catalog.commitSheets([next])).toEqual([{ sheetId: 1, revision: 2 }]);
    await expect(catalog.commitSheets([{ ...next, sha256: hashOf(902) }])).rejects.toMatchObject({ code: 'ARCHIVE_REVISION_CONFLICT' });
    await expect(catalog.commitSheets([{ ...next, extends: { sheetId: 1, revision: 2 } }])).rejects.toMatchObject({ code: 'ARCHIVE_DUPLICATE' });
    const after = (await catalog.getSheet(1))!;
    expect(before.revision).toBe(1);
    expect(after.revision).toBe(2);
    expect(after.revisions.map((r) => [r.revision, r.sha256, r.signatures.length])).toEqual([
      [1, hashOf(1), 2],
      [2, hashOf(901), 3],
    ]);
    expect(after.signedAt).toBe('2026-07-20T08:00:00.000+07:00');
    expect(await ids(catalog, { signer: 'hoang minh tuan' })).toContain(1);
    expect(await ids(catalog, { text: hashOf(1) })).toEqual([1]);
    expect(await catalog.findRevision(hashOf(901))).toEqual({ sha256: hashOf(901), size: 2000, sheetId: 1, revision: 2 });
  });

  it('changes metadata and finds the sheet by its new commune only', async () => {
    await catalog.updateMetadata(4, { ...FIXED[3]!.metadata, commune: 'Phường Lâm Viên - Đà Lạt' }, { kind: 'metadata-changed', actor: 'test', details: { fields: ['commune'] } }, Date.now());
    expect(await ids(catalog, { commune: 'lam vien - da lat' })).toContain(4);
    expect(await ids(catalog, { commune: 'xuan huong - da lat' })).not.toContain(4);
    expect((await catalog.getSheet(4))!.metadata.commune).toBe('Phường Lâm Viên - Đà Lạt');
  });

  it('stores a verification report and filters by the status it sets', async () => {
    await catalog.recordVerification(2, 1, true, { ok: true, signatures: [{ valid: true }] }, { kind: 'verified', actor: 'test' }, Date.now());
    await catalog.recordVerification(3, 1, false, { ok: false }, { kind: 'verified', actor: 'test' }, Date.now());
    expect(await ids(catalog, { status: 'verified' })).toEqual([2]);
    expect(await ids(catalog, { status: 'invalid' })).toEqual([3]);
    expect((await catalog.getSheet(2))!.verification).toMatchObject({ revision: 1, isValid: true, report: { ok: true, signatures: [{ valid: true }] } });
  });

  it('keeps text exactly as given', async () => {
    const sheet = (await catalog.getSheet(3))!;
    expect(sheet.metadata.surveyUnit).toBe('Trung tâm Phát triển quỹ đất ở Long Thành');
    expect(sheet.metadata.decisionRef).toBe('456/QĐ-UBND');
    expect(sheet.signatures[0]!.signerName).toBe('Phạm Thị Đào');
  });

  it('runs its migrations once: reopening finds the schema in place and the data intact', async () => {
    const again = await t.reopen();
    expect((await again.counts()).sheets).toBe(FIXED.length + GENERATED);
    expect(await again.checkIntegrity()).toEqual([]);
  });

  describe('audit log', () => {
    it('chains every entry and verifies intact', async () => {
      const entries = await catalog.readAudit(0, 10_000);
      expect(entries.length).toBeGreaterThan(FIXED.length + GENERATED);
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
      expect((await catalog.auditHead()).seq).toBe(entries.length);
    });

    it('reads one sheet\'s entries by themselves, in chain order and in pages', async () => {
      const all = await catalog.readAudit(0, 10_000);
      const ofSheet2 = all.filter((e) => e.sheetId === 2);
      expect(ofSheet2.length).toBeGreaterThan(1);
      expect(await catalog.readAudit(0, 10_000, 2)).toEqual(ofSheet2);
      expect(await catalog.readAudit(ofSheet2[0]!.seq, 1, 2)).toEqual([ofSheet2[1]]);
      expect(await catalog.readAudit(0, 10, 999_999)).toEqual([]);
    });

    it('refuses to update or delete an entry through SQL', async () => {
      await expect(t.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 1")).rejects.toThrow(/append-only/);
      await expect(t.exec('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
    });
  });
});

describe.each(BACKENDS)('audit tampering on %s', (kind: BackendKind) => {
  let t: TestCatalog;

  /** A fresh catalog with ten audit entries and the guard triggers removed, as an attacker would. */
  async function tamperable(): Promise<TestCatalog> {
    t = await openTestCatalog(kind);
    for (let i = 0; i < 10; i++) await t.catalog.appendAudit([{ kind: 'downloaded', actor: `user-${i}`, details: { n: i } }], 1_780_000_000_000 + i);
    for (const sql of disableAuditGuard(kind)) await t.exec(sql);
    return t;
  }

  async function verify(catalog: Catalog): Promise<{ isIntact: boolean; problems: Array<{ kind: string; seq: number; message: string }> }> {
    const { verifyAuditChain } = await import('../../src/archive/index.js');
    async function* all() {
      yield* await catalog.readAudit(0, 1000);
    }
    return verifyAuditChain(all(), await catalog.auditHead());
  }

  afterAll(async () => {
    await t?.cleanup();
  });

  it('finds an edited entry and names it', async () => {
    await tamperable();
    expect((await verify(t.catalog)).isIntact).toBe(true);
    await t.exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4");
    const result = await verify(t.catalog);
    expect(result.isIntact).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'edited', seq: 4, message: expect.stringContaining('entry #4') })]);
    await t.cleanup();
  });

  it('finds an edited entry whose hash was recomputed, at the next entry', async () => {
    await tamperable();
    const [entry] = await t.catalog.readAudit(3, 1);
    const { hashAuditEntry } = await import('../../src/archive/index.js');
    const forged = { ...entry!, actor: 'mallory' };
    await t.exec('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 4', ['mallory', hashAuditEntry(forged)]);
    const result = await verify(t.catalog);
    expect(result.problems[0]).toMatchObject({ kind: 'broken-link', seq: 5, message: expect.stringContaining('entry #4') });
    await t.cleanup();
  });

  it('finds a removed entry', async () => {
    await tamperable();
    await t.exec('DELETE FROM audit_log WHERE seq = 6');
    const result = await verify(t.catalog);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'missing', seq: 6, message: expect.stringContaining('entry #6 is missing') })]);
    await t.cleanup();
  });

  it('finds entries removed from the end through the head', async () => {
    await tamperable();
    await t.exec('DELETE FROM audit_log WHERE seq > 8');
    const result = await verify(t.catalog);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'truncated', seq: 9 })]);
    await t.cleanup();
  });

  it('finds two entries that swapped places', async () => {
    await tamperable();
    await t.exec('UPDATE audit_log SET seq = 1000 WHERE seq = 3');
    await t.exec('UPDATE audit_log SET seq = 3 WHERE seq = 7');
    await t.exec('UPDATE audit_log SET seq = 7 WHERE seq = 1000');
    const result = await verify(t.catalog);
    expect(result.problems).toEqual([
      expect.objectContaining({ kind: 'reordered', seq: 3, message: expect.stringContaining('written as entry #7') }),
      expect.objectContaining({ kind: 'reordered', seq: 7, message: expect.stringContaining('written as entry #3') }),
    ]);
  });
});
