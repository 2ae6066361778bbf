// Trust in verification with the real pki validator: a path to the configured root at the signing
// time and revocation from the sheet's /DSS first, online second. The sample PKI's OCSP responder,
// CRLs and TSA run on free loopback ports (rewriteUrl); B-LT and B-LTA sheets are verified after
// those services are stopped, from their /DSS alone. A second PKI, backdated to 2019-2021, signs
// a sheet in 2020 with a certificate that has long expired, time-stamped inside its validity.
// `mapsign verify` exit codes are checked for each case.

import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTimeStampToken, type HashAlgorithm } from '../../src/cms/index.js';
import { createRevocationChecker, DEV_PKI_PORTS, openPkcs12KeySource, startDevPki, type DevPki, type KeySource, type RevocationChecker } from '../../src/pki/index.js';
import { createTsaClient, signPdf, type Timestamper } from '../../src/signing/index.js';
import { createCertificateValidator, verify, type CertificateValidator, type VerifyReport } from '../../src/verify/index.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { appendDss } from '../fixtures/make-signed.js';
import { REPO_ROOT } from '../support/cli.js';
import {
  CA_EXTENSIONS,
  exportPkcs12,
  issueCertificate,
  makeCertWorkspace,
  makeCrl,
  readDer,
  SIGNER_EXTENSIONS,
  startFaultServer,
  startPkiServices,
  type CertWorkspace,
  type FaultServer,
  type IssuedCertificate,
  type PkiServices,
} from '../support/pki-services.js';

const run = promisify(execFile);
const pki = samplePki();

async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The fixed ports the sample certificates name; a developer's `mapsign dev-pki` may hold them. */
const busy: number[] = [];
for (const port of [DEV_PKI_PORTS.crl, DEV_PKI_PORTS.ocsp, DEV_PKI_PORTS.tsa]) if (!(await isPortFree(port))) busy.push(port);
const busyNote = busy.length > 0 ? ` — SKIPPED: port ${busy.join(', ')} in use (is a dev-pki running?)` : '';
let dir: string;
let ws: CertWorkspace;
let services: PkiServices;
let checker: RevocationChecker;
let staffRsa: KeySource;
/** Only the sample root: paths run signer → issuing CA → root, so the issuing CA's status is checked too. */
let trustDir: string;
let otherTrustDir: string;
let sheet: string;
const files = { bb: '', bt: '', blt: '', blta: '', revokedBb: '', revokedLt: '', old: '', oldBb: '' };
let oldTrustDir: string;

/** `mapsign verify` from source, with no TRUST_* settings leaking in from the developer's shell. */
async function mapsignVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { TRUST_DIR: _dir, TRUST_INTERMEDIATES_DIR: _inter, TRUST_FETCH_CA_ISSUERS: _fetch, ...env } = process.env;
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'verify', ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function onlineValidator(): Promise<CertificateValidator> {
  return createCertificateValidator({ trust: { roots: [trustDir] }, isOnlineAllowed: true, rewriteUrl: (url) => services.rewriteUrl(url) });
}

function offlineValidator(roots = trustDir): Promise<CertificateValidator> {
  return createCertificateValidator({ trust: { roots: [roots] } });
}

function sources(report: VerifyReport, index = 0): Array<string | null> {
  return report.signatures[index]!.trust.revocationChecks.map((c) => c.source);
}

const HASH_OIDS: Record<HashAlgorithm, string> = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' };

/**
 * A TSA whose clock says `genTime`: the TSTInfo is built here and signed by `openssl cms` with the
 * TSA's key (signing-certificate-v2 via -cades), as `openssl ts -reply` would but at any time.
 */
function backdatedTimestamper(tsa: IssuedCertificate, root: IssuedCertificate, genTime: Date): Timestamper {
  let serial = 1;
  return async (imprint, hashAlgorithm) => {
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: '1.3.6.1.4.1.99999.1.1',
      messageImprint: new pkijs.MessageImprint({ hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hashAlgorithm] }), hashedMessage: new asn1js.OctetString({ valueHex: imprint }) }),
      serialNumber: new asn1js.Integer({ value: serial++ }),
      genTime,
    });
    const stem = join(ws.dir, `tst-${serial}`);
    await writeFile(`${stem}.der`, Buffer.from(tstInfo.toSchema().toBER(false)));
    await run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-in', `${stem}.der`, '-econtent_type', '1.2.840.113549.1.9.16.1.4', '-signer', tsa.cert, '-inkey', tsa.key, '-md', 'sha256', '-cades', '-nosmimecap', '-certfile', root.cert, '-outform', 'DER', '-out', `${stem}.token`]);
    return readTimeStampToken(await readFile(`${stem}.token`));
  };
}

/** The 2019-2039 root, a TSA and a signer valid only in 2020, and a CRL of 2 June 2020: signs `files.old` (B-LT) and `files.oldBb`. */
async function makeBackdatedSheets(): Promise<void> {
  const crlUrl = 'http://127.0.0.1:18080/crl/old-root.crl';
  const root = await issueCertificate(ws, { name: 'old-root', subject: '/CN=Backdated Test Root', extensions: CA_EXTENSIONS, startDate: '20190101000000Z', endDate: '20391231000000Z' });
  const issuer = { cert: root.cert, key: root.key };
  const tsa = await issueCertificate(ws, {
    name: 'old-tsa',
    subject: '/CN=Backdated Test TSA',
    issuer,
    extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = critical, timeStamping', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always', `crlDistributionPoints = URI:${crlUrl}`],
    startDate: '20190101000000Z',
    endDate: '20391231000000Z',
  });
  const signer = await issueCertificate(ws, { name: 'old-signer', subject: '/CN=Signer Of 2020', issuer, extensions: [...SIGNER_EXTENSIONS, `crlDistributionPoints = URI:${crlUrl}`], startDate: '20200101000000Z', endDate: '20210101000000Z' });
  const crl = await makeCrl(ws, { caCert: root.cert, caKey: root.key, lastUpdate: new Date('2020-06-02T00:00:00Z'), nextUpdate: new Date('2020-07-02T00:00:00Z') });
  const keySource = await openPkcs12KeySource({ path: await exportPkcs12(ws, 'old-signer', signer, [root.cert], 'pw'), password: 'pw' });
  oldTrustDir = join(dir, 'old-trust');
  await mkdir(oldTrustDir);
  await copyFile(root.cert, join(oldTrustDir, 'root.pem'));
  const crlServer: FaultServer = await startFaultServer({ kind: 'fixed', body: crl });
  try {
    // The checker lives in June 2020 too, so the CRL of 2 June is fresh for the /DSS.
    const oldChecker = createRevocationChecker({ clock: () => new Date('2020-06-03T00:00:00Z'), rewriteUrl: () => `${crlServer.url}/crl` });
    const signingTime = new Date('2020-06-01T09:59:00Z');
    await signPdf({
      input: sheet,
      output: files.old,
      keySource,
      signingTime,
      level: 'B-LT',
      timestamp: { timestamper: backdatedTimestamper(tsa, root, new Date('2020-06-01T10:00:00Z')), onUnavailable: 'fail' },
      revocation: { checker: oldChecker },
    });
    await signPdf({ input: sheet, output: `${files.oldBb}.tmp.pdf`, keySource, signingTime });
    await appendDss(`${files.oldBb}.tmp.pdf`, files.oldBb, { certificates: [signer.der, root.der], crls: [crl] });
  } finally {
    await crlServer.stop();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-trust-'));
  ws = await makeCertWorkspace('mapsign-verify-trust-certs-');
  for (const key of Object.keys(files) as Array<keyof typeof files>) files[key] = join(dir, `${key}.pdf`);
  trustDir = join(dir, 'trust');
  await mkdir(trustDir);
  await copyFile(pki.rootCa, join(trustDir, 'root-ca.pem'));
  otherTrustDir = join(dir, 'other-trust');
  await mkdir(otherTrustDir);
  await copyFile((await issueCertificate(ws, { name: 'other-root', subject: '/CN=Another Root', extensions: CA_EXTENSIONS })).cert, join(otherTrustDir, 'other-root.pem'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet, { pageSize: 'A1' });

  services = await startPkiServices(pki.dir);
  checker = createRevocationChecker({ rewriteUrl: (url) => services.rewriteUrl(url) });
  staffRsa = await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password });
  const timestamper = createTsaClient({ url: services.tsaUrl });
  const timestamp = { timestamper, onUnavailable: 'fail' as const };
  await signPdf({ input: sheet, output: files.bb, keySource: staffRsa });
  await signPdf({ input: sheet, output: files.bt, keySource: staffRsa, timestamp });
  await signPdf({ input: sheet, output: files.blt, keySource: staffRsa, level: 'B-LT', timestamp, revocation: { checker } });
  await signPdf({ input: sheet, output: files.blta, keySource: staffRsa, level: 'B-LTA', timestamp, revocation: { checker } });
  // Signed with trust off (nothing asks about revocation), then verified against the index that marks it revoked.
  await signPdf({ input: sheet, output: files.revokedBb, keySource: await openPkcs12KeySource({ path: pki.p12.revoked, password: pki.password }) });
  const [revoked, issuing, root] = await Promise.all([readDer(pki.pem.revoked), readDer(pki.issuingCa), readDer(pki.rootCa)]);
  const revokedStatus = await checker.checkCertificate(revoked, issuing);
  const issuingStatus = await checker.checkCertificate(issuing, root);
  expect(revokedStatus.ocspResponse, 'the OCSP responder answered for the revoked signer').not.toBeNull();
  await appendDss(files.revokedBb, files.revokedLt, {
    certificates: [revoked, issuing, root],
    ocsps: [revokedStatus.ocspResponse!],
    crls: issuingStatus.crl ? [issuingStatus.crl] : [],
  });
  await makeBackdatedSheets();
});

afterAll(async () => {
  await services?.stop();
  await ws?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('verify with the pki validator and the services online', () => {
  it('passes a trusted B-B sheet, the signer’s status from the OCSP responder and the issuing CA’s from the root CRL', async () => {
    const report = await verify(files.bb, { trust: await onlineValidator() });
    expect(report.verdict).toMatchObject({ indication: 'PASSED', code: null });
    const trust = report.signatures[0]!.trust;
    expect(trust).toMatchObject({ status: 'trusted', validator: 'mapsign-pki', revocation: 'good' });
    expect(trust.chain.map((s) => s.split(',')[0])).toEqual(['CN=Nguyễn Văn An', 'CN=Mapsign Sample Issuing CA', 'CN=Mapsign Sample Root CA']);
    expect(sources(report)).toEqual(['online-ocsp', 'online-crl']);
    expect(trust.revocationChecks[0]!.thisUpdate).toMatch(/\+07:00$/);
    expect(report.policy.trustValidator).toBe('mapsign-pki');
  });

  it('leaves the same sheet INDETERMINATE/TRY_LATER offline, saying the file carries no revocation data', async () => {
    const report = await verify(files.bb, { trust: await offlineValidator() });
    expect(report.verdict).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER', code: 'REVOCATION_UNAVAILABLE' });
    expect(report.signatures[0]!.trust.message).toMatch(/could not be established: the document carries no revocation data for it, and going online is not allowed/);
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('REVOCATION_UNAVAILABLE');
  });

  it('proves the signing time of a B-T sheet with a TSA it checks online as well', async () => {
    const report = await verify(files.bt, { trust: await onlineValidator() });
    expect(report.verdict.indication).toBe('PASSED');
    const signature = report.signatures[0]!;
    expect(signature.signingTime).toMatchObject({ source: 'timestamp', isProven: true });
    expect(signature.timestamp?.trust).toMatchObject({ status: 'trusted', revocation: 'good' });
    expect(signature.timestamp?.trust?.validationTime).toBe(signature.timestamp?.time);
  });

  it('fails a sheet signed by a revoked signer with REVOKED, from the OCSP responder', async () => {
    const report = await verify(files.revokedBb, { trust: await onlineValidator() });
    expect(report.verdict).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED', code: 'SIGNATURE_INVALID' });
    const check = report.signatures[0]!.trust.revocationChecks[0]!;
    expect(check).toMatchObject({ status: 'revoked', source: 'online-ocsp', revocationReason: 'keyCompromise' });
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('CERT_REVOKED');
  });

  it('finds no chain when the signer’s root is not among the configured ones', async () => {
    const report = await verify(files.bb, { trust: await offlineValidator(otherTrustDir) });
    expect(report.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(report.signatures[0]!.trust).toMatchObject({ status: 'not-trusted', revocation: 'not-checked' });
    expect(report.verdict.code).toBe('SIGNATURE_INDETERMINATE');
  });
});

describe('verify from the /DSS alone, the services stopped', () => {
  beforeAll(async () => {
    await services.stop();
  });

  it('passes a B-LT sheet offline: signer, TSA and CA statuses all from the /DSS', async () => {
    const report = await verify(files.blt, { trust: await offlineValidator() });
    expect(report.verdict).toMatchObject({ indication: 'PASSED', code: null });
    const signature = report.signatures[0]!;
    expect(signature.level).toBe('B-LT');
    expect(signature.signingTime.isProven).toBe(true);
    expect(signature.trust.revocationChecks).toHaveLength(2);
    for (const source of [...sources(report), ...signature.timestamp!.trust!.revocationChecks.map((c) => c.source)]) expect(source).toMatch(/^dss-/);
    expect(signature.warnings).toEqual([]);
  });

  it('passes the same B-LT sheet when going online is allowed but nothing answers: the /DSS settles everything first', async () => {
    const report = await verify(files.blt, { trust: await onlineValidator() });
    expect(report.verdict.indication).toBe('PASSED');
    expect(sources(report).every((s) => s?.startsWith('dss-'))).toBe(true);
  });

  it('passes a B-LTA sheet offline, the document time-stamp included', async () => {
    const report = await verify(files.blta, { trust: await offlineValidator() });
    expect(report.verdict).toMatchObject({ indication: 'PASSED', code: null });
    expect(report.signatures.map((s) => [s.kind, s.indication, s.level])).toEqual([
      ['signature', 'PASSED', 'B-LTA'],
      ['document-timestamp', 'PASSED', null],
    ]);
    expect(report.signatures[1]!.trust.revocationChecks.every((c) => c.source?.startsWith('dss-'))).toBe(true);
  });

  it('fails the revoked signer’s sheet offline from the OCSP response kept in its /DSS', async () => {
    const report = await verify(files.revokedLt, { trust: await offlineValidator() });
    expect(report.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED' });
    expect(report.signatures[0]!.trust.revocationChecks[0]).toMatchObject({ status: 'revoked', source: 'dss-ocsp' });
  });

  it('passes a signer expired since 2021 whose time-stamp proves the signature made in June 2020', async () => {
    const report = await verify(files.old, { trust: await offlineValidator(oldTrustDir) });
    expect(report.verdict).toMatchObject({ indication: 'PASSED', code: null });
    const signature = report.signatures[0]!;
    expect(signature.signer?.notAfter).toBe('2021-01-01T00:00:00.000Z');
    expect(signature.signingTime).toMatchObject({ time: '2020-06-01T17:00:00+07:00', source: 'timestamp', isProven: true });
    expect(signature.trust.revocationChecks[0]).toMatchObject({ status: 'good', source: 'dss-crl', thisUpdate: '2020-06-02T07:00:00+07:00' });
  });

  it('says OUT_OF_BOUNDS_NOT_REVOKED for the same signer without a time-stamp, the CRL of 2020 in the /DSS', async () => {
    const report = await verify(files.oldBb, { trust: await offlineValidator(oldTrustDir) });
    expect(report.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED' });
    expect(report.signatures[0]!.errors.map((e) => e.code)).toContain('CERT_EXPIRED');
  });
});

describe('mapsign verify exit codes', () => {
  it('exits 75 (REVOCATION_UNAVAILABLE) for a B-B sheet with --offline, and says how to settle it', async () => {
    const result = await mapsignVerify([files.bb, '--trust', trustDir, '--offline', '--lang', 'en']);
    expect(result.code).toBe(75);
    expect(result.stdout).toMatch(/CANNOT BE CONFIRMED \[TRY_LATER\]/);
    expect(result.stderr).toMatch(/REVOCATION_UNAVAILABLE.*without --offline/);
  });

  it('exits 0 for B-LT and B-LTA sheets with --offline, showing where each status came from', async () => {
    const lt = await mapsignVerify([files.blt, '--trust', trustDir, '--offline']);
    expect(lt.code, lt.stderr).toBe(0);
    expect(lt.stdout).toMatch(/Kết luận: HỢP LỆ/);
    expect(lt.stdout).toMatch(/Tình trạng thu hồi:\n\s+Nguyễn Văn An: chưa bị thu hồi — phản hồi OCSP lưu trong tệp \(DSS\), dữ liệu phát hành lúc /);
    const lta = await mapsignVerify([files.blta, '--trust', trustDir, '--offline', '--json']);
    expect(lta.code, lta.stderr).toBe(0);
    expect((JSON.parse(lta.stdout) as VerifyReport).signatures[0]!.trust.revocationChecks[0]!.source).toBe('dss-ocsp');
  });

  it('exits 65 (SIGNATURE_INVALID) for the revoked signer, from the /DSS', async () => {
    const result = await mapsignVerify([files.revokedLt, '--trust', trustDir, '--offline', '--json']);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/SIGNATURE_INVALID/);
    expect((JSON.parse(result.stdout) as VerifyReport).signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED' });
  });

  it('exits 65 (SIGNATURE_INDETERMINATE) when the root is not trusted', async () => {
    const result = await mapsignVerify([files.blt, '--trust', otherTrustDir, '--offline', '--json']);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/SIGNATURE_INDETERMINATE/);
    expect((JSON.parse(result.stdout) as VerifyReport).signatures[0]!.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('exits 0 for the signer expired since 2021 with its time-stamp of 2020', async () => {
    const result = await mapsignVerify([files.old, '--trust', oldTrustDir, '--offline']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it.skipIf(busy.length > 0)(`exits 0 online by default (soft-fail) when no responder answers, with a warning, and 75 with --revocation hard-fail${busyNote}`, async () => {
    const soft = await mapsignVerify([files.bb, '--trust', trustDir, '--lang', 'en']);
    expect(soft.code, soft.stderr).toBe(0);
    expect(soft.stdout).toMatch(/unknown \(soft-fail\)/);
    const hard = await mapsignVerify([files.bb, '--trust', trustDir, '--revocation', 'hard-fail']);
    expect(hard.code).toBe(75);
  });
});

// The command line has no rewriteUrl: it asks the URLs the certificates name, so the sample PKI's services must be on their own ports.
describe.skipIf(busy.length > 0)(`mapsign verify online, the sample PKI on its fixed ports${busyNote}`, () => {
  let devPki: DevPki | undefined;

  beforeAll(async () => {
    devPki = await startDevPki({ pkiDir: pki.dir });
  });

  afterAll(async () => {
    await devPki?.stop();
  });

  it('exits 0 for the trusted B-B sheet under hard-fail, its status from the OCSP responder', async () => {
    const result = await mapsignVerify([files.bb, '--trust', trustDir, '--revocation', 'hard-fail', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(sources(report)).toEqual(['online-ocsp', 'online-crl']);
  });

  it('exits 65 for the revoked signer’s B-B sheet, found revoked online', async () => {
    const result = await mapsignVerify([files.revokedBb, '--trust', trustDir, '--json']);
    expect(result.code).toBe(65);
    expect((JSON.parse(result.stdout) as VerifyReport).signatures[0]!.trust.revocationChecks[0]).toMatchObject({ status: 'revoked', source: 'online-ocsp' });
  });
});
