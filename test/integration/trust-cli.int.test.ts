// `mapsign certs check` and the trust options of `mapsign sign` as a user runs them: report,
// JSON, exit codes from the code table, TRUST_DIR. Revocation is off here (the certificates'
// URLs are the fixed dev-pki ports); trust-dev-pki.int.test.ts covers it with the services up.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { CA_EXTENSIONS, issueCertificate, makeCertWorkspace, type CertWorkspace } from '../support/pki-services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pki = samplePki();
let ws: CertWorkspace;
let dir: string;
let sheet: string;
let trustDir: string;
let otherTrustDir: string;

async function mapsign(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // TRUST_* of the developer's shell must not leak into these runs.
  const { TRUST_DIR: _dir, TRUST_INTERMEDIATES_DIR: _inter, TRUST_FETCH_CA_ISSUERS: _fetch, ...base } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { ...base, P12_PASSWORD: pki.password, ...env },
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-trust-cli-');
  dir = await mkdtemp(join(tmpdir(), 'mapsign-trust-cli-out-'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet);
  trustDir = join(dir, 'trust');
  await mkdir(trustDir);
  await copyFile(pki.rootCa, join(trustDir, 'root-ca.pem'));
  otherTrustDir = join(dir, 'other-trust');
  await mkdir(otherTrustDir);
  const other = await issueCertificate(ws, { name: 'other-root', subject: '/CN=Another Root', extensions: CA_EXTENSIONS });
  await copyFile(other.cert, join(otherTrustDir, 'other-root.pem'));
});

afterAll(async () => {
  await ws?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('mapsign certs check', () => {
  it('prints the validated path of a PKCS#12 signer as JSON and exits 0', async () => {
    const result = await mapsign(['certs', 'check', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--trust', trustDir, '--revocation', 'off', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; certificate: { subject: string; keyUsage: string[] }; path: Array<{ subject: string }> };
    expect(report.ok).toBe(true);
    expect(report.certificate.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(report.path.map((c) => c.subject.split(',')[0])).toEqual(['CN=Nguyễn Văn An', 'CN=Mapsign Sample Issuing CA', 'CN=Mapsign Sample Root CA']);
  });

  it('reports an expired certificate in plain text and exits 65 with CERT_EXPIRED', async () => {
    const result = await mapsign(['certs', 'check', pki.pem.expired, '--trust', trustDir, '--revocation', 'off']);
    expect(result.code).toBe(65);
    expect(result.stdout).toMatch(/valid\s+2020-01-01T00:00:00.000Z to 2021-01-01T00:00:00.000Z/);
    expect(result.stdout).toMatch(/result: CERT_EXPIRED/);
    expect(result.stderr).toMatch(/CERT_EXPIRED/);
  });

  it('says that path and revocation were not checked when no roots are configured', async () => {
    const result = await mapsign(['certs', 'check', pki.pem.staffEc]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/warning: no trust roots configured/);
  });
});

describe('mapsign sign with trust options', () => {
  it('takes the roots from TRUST_DIR and reports the validated chain', async () => {
    const result = await mapsign(['sign', sheet, '-o', join(dir, 'env.pdf'), '--p12', pki.p12.staffEc, '--password-env', 'P12_PASSWORD', '--revocation', 'off', '--json'], { TRUST_DIR: trustDir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).signer.trust.chain).toHaveLength(3);
  });

  it('refuses a signer that does not chain to the --trust roots, exit 65, no file', async () => {
    const outDir = await mkdtemp(join(dir, 'out-'));
    const result = await mapsign(['sign', sheet, '-o', join(outDir, 'x.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--trust', otherTrustDir, '--revocation', 'off']);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/CERT_UNTRUSTED/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses --revocation without roots as a usage error, exit 64', async () => {
    const result = await mapsign(['sign', sheet, '-o', join(dir, 'y.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--revocation', 'hard-fail']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/USAGE_INVALID/);
  });
});
