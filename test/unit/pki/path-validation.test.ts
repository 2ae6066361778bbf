// Path building and validation against certificates made by the openssl CLI in a temp folder:
// one good chain, and one defect per case (wrong root, broken signature, path length, CA key
// usage, SHA-1, RSA-1024, …), plus the sample PKI for the purposes of TSA and OCSP responder.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, validateCertificatePath, type CertificatePurpose, type TrustStore } from '../../../src/pki/index.js';
import { samplePki } from '../../fixtures/make-pki.js';
import {
  CA_EXTENSIONS,
  issueCertificate,
  makeCertWorkspace,
  readDer,
  SIGNER_EXTENSIONS,
  type CertWorkspace,
  type IssuedCertificate,
} from '../../support/pki-services.js';

let ws: CertWorkspace;
let root: IssuedCertificate;
let inter: IssuedCertificate;
let leaf: IssuedCertificate;
let store: TrustStore;

const ROOT = '/C=VN/O=Mapsign Test/CN=Path Test Root';
const INTER = '/C=VN/O=Mapsign Test/CN=Path Test Issuing CA';

function asIssuer(cert: IssuedCertificate): { cert: string; key: string } {
  return { cert: cert.cert, key: cert.key };
}

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-path-');
  root = await issueCertificate(ws, { name: 'root', subject: ROOT, extensions: CA_EXTENSIONS });
  inter = await issueCertificate(ws, { name: 'inter', subject: INTER, issuer: asIssuer(root), extensions: CA_EXTENSIONS });
  leaf = await issueCertificate(ws, { name: 'leaf', subject: '/C=VN/O=Mapsign Test/CN=Nguyễn Văn An', issuer: asIssuer(inter), extensions: SIGNER_EXTENSIONS });
  store = createTrustStore({ roots: [root.der] });
});

afterAll(async () => {
  await ws.cleanup();
});

async function expectRefused(certificate: Buffer, intermediates: Buffer[], code: string, reason?: string, trust: TrustStore = store): Promise<void> {
  const promise = validateCertificatePath({ certificate, intermediates, trustStore: trust });
  await expect(promise).rejects.toMatchObject({ code, ...(reason ? { details: expect.objectContaining({ reason }) } : {}) });
}

describe('validateCertificatePath', () => {
  it('builds leaf → intermediate → root and returns it end entity first', async () => {
    const path = await validateCertificatePath({ certificate: leaf.der, intermediates: [inter.der], trustStore: store });
    expect(path.certificates).toEqual([leaf.der, inter.der, root.der]);
    expect(path.infos.map((info) => info.commonName)).toEqual(['Nguyễn Văn An', 'Path Test Issuing CA', 'Path Test Root']);
  });

  it('finds the intermediate in the trust store pool when the signature does not carry it', async () => {
    const withPool = createTrustStore({ roots: [root.der], intermediates: [inter.der] });
    const path = await validateCertificatePath({ certificate: leaf.der, trustStore: withPool });
    expect(path.certificates).toHaveLength(3);
  });

  it('refuses a leaf whose intermediate is missing with CERT_UNTRUSTED (no path)', async () => {
    await expectRefused(leaf.der, [], 'CERT_UNTRUSTED', 'no-path');
  });

  it('refuses a chain to a root with the trusted root’s name but another key (trust is never by name)', async () => {
    const fakeRoot = await issueCertificate(ws, { name: 'fake-root', subject: ROOT, extensions: CA_EXTENSIONS });
    const fakeInter = await issueCertificate(ws, { name: 'fake-inter', subject: INTER, issuer: asIssuer(fakeRoot), extensions: CA_EXTENSIONS });
    const fakeLeaf = await issueCertificate(ws, { name: 'fake-leaf', subject: '/CN=Kẻ giả mạo', issuer: asIssuer(fakeInter), extensions: SIGNER_EXTENSIONS });
    await expectRefused(fakeLeaf.der, [fakeInter.der, fakeRoot.der], 'CERT_UNTRUSTED', 'no-path');
    // Without key identifiers to tell them apart, the signature check does.
    const noAkiExtensions = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = none', 'authorityKeyIdentifier = none'];
    const bareRoot = await issueCertificate(ws, { name: 'bare-root', subject: '/CN=Bare Root', extensions: noAkiExtensions });
    const impostor = await issueCertificate(ws, { name: 'bare-impostor', subject: '/CN=Bare Root', extensions: noAkiExtensions });
    const victim = await issueCertificate(ws, { name: 'bare-leaf', subject: '/CN=Bare Leaf', issuer: asIssuer(impostor), extensions: ['keyUsage = critical, digitalSignature', 'subjectKeyIdentifier = none', 'authorityKeyIdentifier = none'] });
    await expectRefused(victim.der, [], 'CERT_UNTRUSTED', 'bad-signature', createTrustStore({ roots: [bareRoot.der] }));
  });

  it('refuses a certificate whose signature was altered with CERT_UNTRUSTED (bad signature)', async () => {
    const broken = Buffer.from(leaf.der);
    broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 0x01;
    await expectRefused(broken, [inter.der], 'CERT_UNTRUSTED', 'bad-signature');
  });

  it('refuses a path longer than an intermediate’s pathLenConstraint allows', async () => {
    const capped = await issueCertificate(ws, {
      name: 'capped',
      subject: '/CN=Capped CA',
      issuer: asIssuer(root),
      extensions: ['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'],
    });
    const sub = await issueCertificate(ws, { name: 'sub', subject: '/CN=Sub CA', issuer: asIssuer(capped), extensions: CA_EXTENSIONS });
    const deep = await issueCertificate(ws, { name: 'deep', subject: '/CN=Deep Leaf', issuer: asIssuer(sub), extensions: SIGNER_EXTENSIONS });
    await expectRefused(deep.der, [sub.der, capped.der], 'CERT_UNTRUSTED', 'path-length');
    // One level below the capped CA is fine.
    const shallow = await issueCertificate(ws, { name: 'shallow', subject: '/CN=Shallow Leaf', issuer: asIssuer(capped), extensions: SIGNER_EXTENSIONS });
    await expect(validateCertificatePath({ certificate: shallow.der, intermediates: [capped.der], trustStore: store })).resolves.toBeDefined();
  });

  it('refuses an intermediate CA without keyCertSign', async () => {
    const noCertSign = await issueCertificate(ws, {
      name: 'no-certsign',
      subject: '/CN=CRL-only CA',
      issuer: asIssuer(root),
      extensions: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'],
    });
    const below = await issueCertificate(ws, { name: 'below-no-certsign', subject: '/CN=Below', issuer: asIssuer(noCertSign), extensions: SIGNER_EXTENSIONS });
    await expectRefused(below.der, [noCertSign.der], 'CERT_UNTRUSTED', 'ca-key-usage');
  });

  it('refuses an issuer that is not a CA (basicConstraints CA:FALSE)', async () => {
    const endEntity = await issueCertificate(ws, { name: 'ee-issuer', subject: '/CN=End Entity Issuer', issuer: asIssuer(root), extensions: SIGNER_EXTENSIONS });
    const below = await issueCertificate(ws, { name: 'below-ee', subject: '/CN=Below EE', issuer: asIssuer(endEntity), extensions: SIGNER_EXTENSIONS });
    await expectRefused(below.der, [endEntity.der], 'CERT_UNTRUSTED', 'not-a-ca');
  });

  it('refuses a certificate signed with SHA-1 with CERT_WEAK_ALGORITHM', async () => {
    const sha1 = await issueCertificate(ws, { name: 'sha1', subject: '/CN=SHA-1 Leaf', issuer: asIssuer(inter), extensions: SIGNER_EXTENSIONS, md: 'sha1' });
    await expectRefused(sha1.der, [inter.der], 'CERT_WEAK_ALGORITHM', 'weak-signature-algorithm');
  });

  it('refuses an RSA-1024 key with CERT_WEAK_ALGORITHM', async () => {
    const small = await issueCertificate(ws, { name: 'rsa1024', subject: '/CN=RSA-1024 Leaf', key: 'rsa1024', issuer: asIssuer(inter), extensions: SIGNER_EXTENSIONS });
    await expectRefused(small.der, [inter.der], 'CERT_WEAK_ALGORITHM', 'weak-key');
  });

  it('refuses a path whose intermediate has expired, naming its position', async () => {
    const old = await issueCertificate(ws, {
      name: 'old-inter',
      subject: '/CN=Old Issuing CA',
      issuer: asIssuer(root),
      extensions: CA_EXTENSIONS,
      startDate: '20200101000000Z',
      endDate: '20210101000000Z',
    });
    const below = await issueCertificate(ws, { name: 'below-old', subject: '/CN=Below Old', issuer: asIssuer(old), extensions: SIGNER_EXTENSIONS });
    await expect(validateCertificatePath({ certificate: below.der, intermediates: [old.der], trustStore: store })).rejects.toMatchObject({
      code: 'CERT_EXPIRED',
      details: expect.objectContaining({ position: 1 }),
    });
  });

  it('checks validity at the time given, not only now', async () => {
    await expect(validateCertificatePath({ certificate: leaf.der, intermediates: [inter.der], trustStore: store, at: new Date('2001-01-01T00:00:00Z') })).rejects.toMatchObject({
      code: 'CERT_NOT_YET_VALID',
    });
  });

  it('passes over an expired re-issue of the intermediate for the current one among several candidates', async () => {
    const expiredCopy = await issueCertificate(ws, {
      name: 'inter-expired-copy',
      subject: INTER,
      reuseKey: inter.key,
      issuer: asIssuer(root),
      extensions: CA_EXTENSIONS,
      startDate: '20200101000000Z',
      endDate: '20210101000000Z',
    });
    const path = await validateCertificatePath({ certificate: leaf.der, intermediates: [expiredCopy.der, inter.der], trustStore: store });
    expect(path.certificates[1]).toEqual(inter.der);
  });

  it('ends on cross-certified CAs that only lead to each other', async () => {
    const a = await issueCertificate(ws, { name: 'loop-a', subject: '/CN=Loop A', extensions: CA_EXTENSIONS });
    const b = await issueCertificate(ws, { name: 'loop-b', subject: '/CN=Loop B', issuer: asIssuer(a), extensions: CA_EXTENSIONS });
    const aByB = await issueCertificate(ws, { name: 'loop-a-by-b', subject: '/CN=Loop A', reuseKey: a.key, issuer: asIssuer(b), extensions: CA_EXTENSIONS });
    const looped = await issueCertificate(ws, { name: 'loop-leaf', subject: '/CN=Loop Leaf', issuer: asIssuer(a), extensions: SIGNER_EXTENSIONS });
    await expectRefused(looped.der, [aByB.der, b.der], 'CERT_UNTRUSTED', 'no-path');
  });

  it('refuses a signing certificate without digitalSignature or nonRepudiation with KEY_USAGE_NOT_ALLOWED', async () => {
    const encipher = await issueCertificate(ws, {
      name: 'encipher-only',
      subject: '/CN=Encipher Only',
      issuer: asIssuer(inter),
      extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, keyAgreement', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'],
    });
    await expectRefused(encipher.der, [inter.der], 'KEY_USAGE_NOT_ALLOWED');
  });

  it('refuses a certificate with a critical extension it does not process (name constraints)', async () => {
    const constrained = await issueCertificate(ws, {
      name: 'constrained',
      subject: '/CN=Constrained CA',
      issuer: asIssuer(root),
      extensions: [...CA_EXTENSIONS, 'nameConstraints = critical, permitted;DNS:example.vn'],
    });
    const below = await issueCertificate(ws, { name: 'below-constrained', subject: '/CN=Below Constrained', issuer: asIssuer(constrained), extensions: SIGNER_EXTENSIONS });
    await expectRefused(below.der, [constrained.der], 'CERT_UNTRUSTED', 'unsupported-critical-extension');
  });
});

describe('validateCertificatePath on the sample PKI, by purpose', () => {
  const sample = samplePki();
  const der = (path: string): Buffer => readDerSync(path);
  const sampleStore = (): TrustStore => createTrustStore({ roots: [der(sample.rootCa)], intermediates: [der(sample.issuingCa)] });

  it.each<[string, keyof typeof sample.pem, CertificatePurpose]>([
    ['the TSA for time-stamping', 'tsa', 'timestamping'],
    ['the OCSP responder for OCSP signing', 'ocspResponder', 'ocsp-signing'],
    ['a staff signer for document signing', 'staffRsa', 'document-signing'],
    ['the EC staff signer for document signing', 'staffEc', 'document-signing'],
  ])('accepts %s', async (_label, leafName, purpose) => {
    const path = await validateCertificatePath({ certificate: der(sample.pem[leafName]), trustStore: sampleStore(), purpose });
    expect(path.certificates).toHaveLength(3);
  });

  it.each<[string, keyof typeof sample.pem, CertificatePurpose]>([
    ['a staff signer for time-stamping (no timeStamping EKU)', 'staffRsa', 'timestamping'],
    ['the TSA as an OCSP responder (no OCSPSigning EKU)', 'tsa', 'ocsp-signing'],
    ['no-signing-usage for document signing', 'noSigningUsage', 'document-signing'],
  ])('refuses %s with KEY_USAGE_NOT_ALLOWED', async (_label, leafName, purpose) => {
    await expect(validateCertificatePath({ certificate: der(sample.pem[leafName]), trustStore: sampleStore(), purpose })).rejects.toMatchObject({ code: 'KEY_USAGE_NOT_ALLOWED' });
  });

  it('refuses the expired sample signer with CERT_EXPIRED', async () => {
    await expect(validateCertificatePath({ certificate: der(sample.pem.expired), trustStore: sampleStore() })).rejects.toMatchObject({ code: 'CERT_EXPIRED', details: expect.objectContaining({ position: 0 }) });
  });

  it('refuses every sample certificate when the trust store holds another root', async () => {
    const other = createTrustStore({ roots: [await readDer(`${ws.dir}/root.pem`)], intermediates: [der(sample.issuingCa)] });
    await expect(validateCertificatePath({ certificate: der(sample.pem.staffRsa), trustStore: other })).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
  });
});

function readDerSync(path: string): Buffer {
  const text = readFileSync(path, 'latin1');
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text)?.[1] ?? '';
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}
