// signPdf with trust on: the signer's path to the configured root and the revocation status of
// each certificate are checked before anything is written, against a real `openssl ocsp`
// responder and CRL server on loopback. Each refusal carries its code and leaves no file.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import {
  createRevocationChecker,
  createTrustStore,
  openPkcs12KeySource,
  validateCertificatePath,
  type KeySource,
  type RevocationPolicy,
  type TrustStore,
} from '../../src/pki/index.js';
import { signPdf, type SignPdfOptions } from '../../src/signing/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import {
  CA_EXTENSIONS,
  exportPkcs12,
  findClosedPortUrl,
  issueCertificate,
  makeCertWorkspace,
  readDer,
  redirectUrls,
  SIGNER_EXTENSIONS,
  startFaultServer,
  startPkiServices,
  type CertWorkspace,
  type PkiServices,
} from '../support/pki-services.js';
import { pdfsig } from '../support/verifiers.js';

const pki = samplePki();
let services: PkiServices;
let ws: CertWorkspace;
let dir: string;
let sheet: string;
let store: TrustStore;
let closedUrl: string;

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-trust-sign-');
  dir = await mkdtemp(join(tmpdir(), 'mapsign-trust-out-'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet, { pageSize: 'A1' });
  services = await startPkiServices(pki.dir);
  store = createTrustStore({ roots: [await readDer(pki.rootCa)] });
  closedUrl = await findClosedPortUrl();
});

afterAll(async () => {
  await services?.stop();
  await ws?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

function open(p12: string, password = pki.password): Promise<KeySource> {
  return openPkcs12KeySource({ path: p12, password });
}

interface TrustSetup {
  policy?: RevocationPolicy;
  ocsp?: string;
  crl?: string;
  trustStore?: TrustStore;
}

function trustOptions(setup: TrustSetup = {}): Pick<SignPdfOptions, 'trust' | 'revocation'> {
  const rewriteUrl = redirectUrls({ ocsp: setup.ocsp ?? services.ocspUrl, crl: setup.crl ?? services.crlUrl });
  return {
    trust: { store: setup.trustStore ?? store },
    revocation: { policy: setup.policy ?? 'hard-fail', checker: createRevocationChecker({ rewriteUrl, timeoutMs: 2_000 }) },
  };
}

async function expectRefused(keySource: KeySource, code: ErrorCode, setup: TrustSetup = {}): Promise<void> {
  const outDir = await mkdtemp(join(dir, 'out-'));
  await expect(signPdf({ input: sheet, output: join(outDir, 'signed.pdf'), keySource, ...trustOptions(setup) })).rejects.toMatchObject({ code });
  expect(await readdir(outDir)).toEqual([]);
}

describe('signPdf with trust on', () => {
  it('signs with a trusted, unrevoked signer and reports the path and the revocation status of each certificate', async () => {
    const output = join(dir, 'trusted.pdf');
    const result = await signPdf({ input: sheet, output, keySource: await open(pki.p12.staffRsa), ...trustOptions() });
    expect(result.signer.trust?.chain.map((c) => c.subject.split(',')[0])).toEqual(['CN=Nguyễn Văn An', 'CN=Mapsign Sample Issuing CA', 'CN=Mapsign Sample Root CA']);
    expect(result.signer.trust?.revocation.map((r) => `${r.status}/${r.source}`)).toEqual(['good/ocsp', 'good/crl']);
    expect(JSON.parse(JSON.stringify(result.signer))).toEqual(result.signer);
    expect((await pdfsig(output)).signatures[0]?.isValid).toBe(true);
  });

  it('refuses the revoked signer with CERT_REVOKED', async () => {
    await expectRefused(await open(pki.p12.revoked), 'CERT_REVOKED');
  });

  it('refuses the expired signer with CERT_EXPIRED', async () => {
    await expectRefused(await open(pki.p12.expired), 'CERT_EXPIRED');
  });

  it('refuses a signer that is not yet valid with CERT_NOT_YET_VALID', async () => {
    const future = await issueCertificate(ws, {
      name: 'future',
      subject: '/C=VN/O=Sở Nông nghiệp và Môi trường tỉnh Đồng Nai/CN=Đỗ Văn Tương Lai',
      key: 'rsa2048',
      issuer: { cert: pki.issuingCa, key: pki.issuingCaKey },
      extensions: SIGNER_EXTENSIONS,
      startDate: '20990101000000Z',
      endDate: '21000101000000Z',
    });
    await expectRefused(await open(await exportPkcs12(ws, 'future', future, [pki.issuingCa, pki.rootCa], 'pw'), 'pw'), 'CERT_NOT_YET_VALID');
  });

  it('refuses a signer without signing key usage with KEY_USAGE_NOT_ALLOWED', async () => {
    await expectRefused(await open(pki.p12.noSigningUsage), 'KEY_USAGE_NOT_ALLOWED');
  });

  it('refuses a signer whose chain does not reach the configured root with CERT_UNTRUSTED', async () => {
    const otherRoot = await issueCertificate(ws, { name: 'other-root', subject: '/CN=Another Root', extensions: CA_EXTENSIONS });
    await expectRefused(await open(pki.p12.staffRsa), 'CERT_UNTRUSTED', { trustStore: createTrustStore({ roots: [otherRoot.der] }) });
  });

  it('refuses a signer from a look-alike CA that copies the root’s and issuing CA’s names with CERT_UNTRUSTED', async () => {
    const fakeRoot = await issueCertificate(ws, { name: 'lookalike-root', subject: '/C=VN/O=Tổ chức chứng thực mẫu Mapsign/CN=Mapsign Sample Root CA', extensions: CA_EXTENSIONS });
    const fakeCa = await issueCertificate(ws, {
      name: 'lookalike-ca',
      subject: '/C=VN/O=Tổ chức chứng thực mẫu Mapsign/CN=Mapsign Sample Issuing CA',
      issuer: { cert: fakeRoot.cert, key: fakeRoot.key },
      extensions: CA_EXTENSIONS,
    });
    const signer = await issueCertificate(ws, { name: 'lookalike-signer', subject: '/C=VN/CN=Nguyễn Văn An', issuer: { cert: fakeCa.cert, key: fakeCa.key }, extensions: SIGNER_EXTENSIONS });
    await expectRefused(await open(await exportPkcs12(ws, 'lookalike', signer, [fakeCa.cert, fakeRoot.cert], 'pw'), 'pw'), 'CERT_UNTRUSTED');
  });

  it('signs when the OCSP responder is down but the CRL is reachable', async () => {
    const result = await signPdf({ input: sheet, output: join(dir, 'crl-only.pdf'), keySource: await open(pki.p12.staffEc), ...trustOptions({ ocsp: closedUrl }) });
    expect(result.signer.trust?.revocation.map((r) => r.source)).toEqual(['crl', 'crl']);
  });

  it('refuses with REVOCATION_UNAVAILABLE when both OCSP and CRL are down (hard-fail)', async () => {
    await expectRefused(await open(pki.p12.staffRsa), 'REVOCATION_UNAVAILABLE', { ocsp: closedUrl, crl: closedUrl });
  });

  it('signs with warnings when both are down under soft-fail, but still refuses a revoked signer it can see', async () => {
    const result = await signPdf({
      input: sheet,
      output: join(dir, 'soft-fail.pdf'),
      keySource: await open(pki.p12.staffRsa),
      ...trustOptions({ ocsp: closedUrl, crl: closedUrl, policy: 'soft-fail' }),
    });
    expect(result.signer.trust?.revocation.map((r) => r.status)).toEqual(['unknown', 'unknown']);
    expect(result.signer.trust?.warnings).toHaveLength(2);
    await expectRefused(await open(pki.p12.revoked), 'CERT_REVOKED', { policy: 'soft-fail' });
  });

  it('skips revocation with the policy off but still validates the path', async () => {
    const result = await signPdf({ input: sheet, output: join(dir, 'off.pdf'), keySource: await open(pki.p12.revoked), ...trustOptions({ policy: 'off', ocsp: closedUrl, crl: closedUrl }) });
    expect(result.signer.trust).toMatchObject({ revocationPolicy: 'off', revocation: [] });
    expect(result.signer.trust?.chain).toHaveLength(3);
  });

  it('loads the roots from files when given as trust.roots', async () => {
    const result = await signPdf({
      input: sheet,
      output: join(dir, 'roots-files.pdf'),
      keySource: await open(pki.p12.departmentSeal),
      trust: { roots: [pki.rootCa] },
      revocation: { policy: 'hard-fail', checker: createRevocationChecker({ rewriteUrl: services.rewriteUrl }) },
    });
    expect(result.signer.trust?.revocation.every((r) => r.status === 'good')).toBe(true);
  });
});

describe('signPdf without trust', () => {
  it('keeps today’s checks only (validity and key usage): a revoked signer is not looked up', async () => {
    const result = await signPdf({ input: sheet, output: join(dir, 'no-trust.pdf'), keySource: await open(pki.p12.revoked) });
    expect(result.signer.trust).toBeUndefined();
  });

  it('refuses a revocation policy without roots with USAGE_INVALID', async () => {
    await expect(signPdf({ input: sheet, output: join(dir, 'no-roots.pdf'), keySource: await open(pki.p12.staffRsa), revocation: { policy: 'hard-fail' } })).rejects.toMatchObject({
      code: 'USAGE_INVALID',
    });
  });
});

describe('intermediates from the AIA caIssuers URL', () => {
  let rootDer: Buffer;
  const caIssuers = (rewriteUrl: (url: string) => string, extra: { timeoutMs?: number; maxBytes?: number } = {}): TrustStore =>
    createTrustStore({ roots: [rootDer], caIssuers: { isEnabled: true, rewriteUrl, ...extra } });

  beforeAll(async () => {
    rootDer = await readDer(pki.rootCa);
  });

  it('are not fetched unless enabled', async () => {
    await expect(validateCertificatePath({ certificate: await readDer(pki.pem.staffRsa), trustStore: store })).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
  });

  it('complete a path when enabled', async () => {
    const path = await validateCertificatePath({ certificate: await readDer(pki.pem.staffRsa), trustStore: caIssuers(services.rewriteUrl) });
    expect(path.certificates).toHaveLength(3);
  });

  it('give up within the timeout and the size limit', async () => {
    const slow = await startFaultServer({ kind: 'slow', delayMs: 3_000 });
    try {
      const started = Date.now();
      const slowStore = caIssuers((url) => url.replace('http://127.0.0.1:18080', slow.url), { timeoutMs: 200 });
      await expect(validateCertificatePath({ certificate: await readDer(pki.pem.staffRsa), trustStore: slowStore })).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await slow.stop();
    }
    const tiny = caIssuers(services.rewriteUrl, { maxBytes: 64 });
    await expect(validateCertificatePath({ certificate: await readDer(pki.pem.staffRsa), trustStore: tiny })).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
  });
});
