// verify() end to end on sheets signed by signPdf, with no external tool: the report's shape, the
// one pass, trust through the hook, and the text report in both languages.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource } from '../../../src/pki/index.js';
import { signPdf } from '../../../src/signing/index.js';
import { createTrustValidatorFromDirectory, formatReport, verify, type CertificateValidator } from '../../../src/verify/index.js';
import { parsePdfDate, toVietnamTime } from '../../../src/verify/validate.js';
import { makePdf } from '../../fixtures/make-pdf.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let twice: string;
let trust: CertificateValidator;
/** A whole second shortly before now: the sample PKI is fresh, so a fixed date could precede it. */
const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-unit-'));
  await makePdf(join(dir, 'sheet.pdf'), { pageSize: 'A1' });
  const first = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const second = await openPkcs12KeySource({ path: pki.p12.departmentSeal, password: pki.password });
  await signPdf({ input: join(dir, 'sheet.pdf'), output: join(dir, 'once.pdf'), keySource: first, signingTime, reason: 'Phê duyệt' });
  twice = join(dir, 'twice.pdf');
  await signPdf({ input: join(dir, 'once.pdf'), output: twice, keySource: second, hashAlgorithm: 'sha384' });
  trust = await createTrustValidatorFromDirectory(pki.dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify', () => {
  it('passes two signatures by two keys and reports them in revision order', async () => {
    const report = await verify(twice, { trust });
    expect(report.schemaVersion).toBe(1);
    expect(report.verdict).toMatchObject({ indication: 'PASSED', code: null });
    expect(report.signatures.map((s) => [s.fieldName, s.indication, s.level, s.integrity.digestAlgorithm])).toEqual([
      ['Signature1', 'PASSED', 'B-B', 'sha256'],
      ['Signature2', 'PASSED', 'B-B', 'sha384'],
    ]);
    expect(report.signatures[0]!.signer).toMatchObject({ commonName: 'Nguyễn Văn An' });
    expect(report.signatures[0]!.signingTime).toEqual({ time: toVietnamTime(signingTime), source: 'M', isProven: false, claimed: toVietnamTime(signingTime) });
    expect(report.signatures[0]!.coversWholeDocument).toBe(false);
    expect(report.signatures[1]!.coversWholeDocument).toBe(true);
    expect(report.revisions).toHaveLength(3);
    expect(report.file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asks the trust hook about each signer at its signing time and reports what it said', async () => {
    const seen: Date[] = [];
    const report = await verify(twice, {
      trust: async (request) => {
        seen.push(request.validationTime);
        expect(request.purpose).toBe('signature');
        expect(request.isValidationTimeProven).toBe(false);
        return { indication: 'FAILED', subIndication: 'REVOKED', chain: [], revocation: 'revoked', validator: 'test', message: 'revoked on 2026-07-01' };
      },
    });
    expect(seen[0]!.toISOString()).toBe(signingTime.toISOString());
    expect(report.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED' });
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('CERT_REVOKED');
    expect(report.verdict.code).toBe('SIGNATURE_INVALID');
  });

  it('reports with the basic chain check that an expired signer cannot be trusted without a time-stamp', async () => {
    const report = await verify(twice, { trust, now: new Date('2050-01-01T00:00:00Z') });
    expect(report.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
  });

  it('writes the text report in Vietnamese by default and in English on request', async () => {
    const report = await verify(twice, { trust });
    const vi = formatReport(report);
    expect(vi).toMatch(/Kết luận: HỢP LỆ/);
    expect(vi).toMatch(/Người ký: Nguyễn Văn An/);
    expect(vi).toContain(`Thời gian ký: ${toVietnamTime(signingTime)} (do người ký tự ghi, chưa được chứng minh)`);
    expect(vi).toMatch(/Toàn vẹn: nội dung được ký không bị thay đổi/);
    const en = formatReport(report, 'en');
    expect(en).toMatch(/Result: VALID/);
    expect(en).toMatch(/Certificate issued by CN=Mapsign Sample Issuing CA/);
  });

  it('reads PDF dates and writes Vietnam time', () => {
    expect(parsePdfDate("D:20260715093210+07'00'")?.toISOString()).toBe('2026-07-15T02:32:10.000Z');
    expect(parsePdfDate('D:20260715023210Z')?.toISOString()).toBe('2026-07-15T02:32:10.000Z');
    expect(parsePdfDate('yesterday')).toBeNull();
    expect(toVietnamTime(new Date('2026-07-15T02:32:10Z'))).toBe('2026-07-15T09:32:10+07:00');
  });
});
