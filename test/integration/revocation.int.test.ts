// Revocation checking against a real `openssl ocsp` responder and CRLs over HTTP on loopback,
// started by the test for the sample PKI, and servers that fail on purpose: stopped, slow,
// garbage, an answer for another certificate, stale answers. OCSP comes first, CRL second.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRevocationData,
  createRevocationChecker,
  enforceRevocationPolicy,
  startOcspResponder,
  type RevocationCheckerOptions,
} from '../../src/pki/index.js';
import { samplePki } from '../fixtures/make-pki.js';
import {
  findClosedPortUrl,
  issueCertificate,
  makeCertWorkspace,
  makeCrl,
  makeOcspRequest,
  makeOcspResponse,
  readDer,
  redirectUrls,
  startFaultServer,
  startPkiServices,
  type CertWorkspace,
  type FaultServer,
  type PkiServices,
} from '../support/pki-services.js';

const run = promisify(execFile);
const pki = samplePki();
let services: PkiServices;
let ws: CertWorkspace;
let closedUrl: string;
const der: Record<'staffRsa' | 'revoked' | 'issuingCa' | 'rootCa', Buffer> = {} as never;
const faults: FaultServer[] = [];

async function fault(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const server = await startFaultServer(...args);
  faults.push(server);
  return server;
}

beforeAll(async () => {
  ws = await makeCertWorkspace('mapsign-revocation-');
  services = await startPkiServices(pki.dir);
  closedUrl = await findClosedPortUrl();
  der.staffRsa = await readDer(pki.pem.staffRsa);
  der.revoked = await readDer(pki.pem.revoked);
  der.issuingCa = await readDer(pki.issuingCa);
  der.rootCa = await readDer(pki.rootCa);
});

afterAll(async () => {
  await Promise.all(faults.map((f) => f.stop()));
  await services?.stop();
  await ws?.cleanup();
});

function checker(options: { ocsp?: string; crl?: string } & Omit<RevocationCheckerOptions, 'rewriteUrl'> = {}) {
  const { ocsp, crl, ...rest } = options;
  return createRevocationChecker({ rewriteUrl: redirectUrls({ ocsp: ocsp ?? services.ocspUrl, crl: crl ?? services.crlUrl }), ...rest });
}

describe('RevocationChecker with the real responder and CRL server', () => {
  it('answers good for staff-rsa from OCSP, keeping the DER response and the responder certificate', async () => {
    const status = await checker().checkCertificate(der.staffRsa, der.issuingCa);
    expect(status).toMatchObject({ status: 'good', source: 'ocsp', isFromCache: false, failures: [] });
    expect(status.producedAt).toBeInstanceOf(Date);
    expect(status.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
    expect(status.signerCertificates).toHaveLength(1);
    // openssl reads the DER we kept as the answer about staff-rsa.
    const file = join(ws.dir, 'staff-rsa.ocsp');
    await writeFile(file, status.ocspResponse!);
    const { stdout } = await run('openssl', ['ocsp', '-respin', file, '-resp_text', '-noverify']);
    expect(stdout).toMatch(/Cert Status: good/);
  });

  it('answers revoked for the revoked signer, with the revocation time and reason', async () => {
    const status = await checker().checkCertificate(der.revoked, der.issuingCa);
    expect(status).toMatchObject({ status: 'revoked', source: 'ocsp', revocationReason: 'keyCompromise' });
    expect(status.revocationTime).toBeInstanceOf(Date);
    expect(() => enforceRevocationPolicy([status], 'soft-fail')).toThrow(expect.objectContaining({ code: 'CERT_REVOKED' }));
  });

  it('settles the issuing CA by the root CRL, the responder not being authorised by the root', async () => {
    const [leaf, ca] = await checker().checkPath([der.staffRsa, der.issuingCa, der.rootCa]);
    expect(leaf).toMatchObject({ status: 'good', source: 'ocsp' });
    expect(ca).toMatchObject({ status: 'good', source: 'crl', url: 'http://127.0.0.1:18080/crl/root-ca.crl' });
    expect(ca!.failures[0]).toMatchObject({ source: 'ocsp', kind: 'invalid', message: expect.stringMatching(/not certified by/) });
  });

  it('collects the OCSP responses, CRLs and certificates of a path for the /DSS', async () => {
    const data = await collectRevocationData([der.staffRsa, der.issuingCa, der.rootCa], checker());
    expect(data.statuses.map((s) => `${s.status}/${s.source}`)).toEqual(['good/ocsp', 'good/crl']);
    expect(data.ocspResponses).toHaveLength(1);
    expect(data.crls).toEqual([await readFile(pki.rootCrlDer)]);
    expect(data.certificates).toHaveLength(4);
    expect(data.certificates.slice(0, 3)).toEqual([der.staffRsa, der.issuingCa, der.rootCa]);
  });
});

describe('the revocation cache', () => {
  it('answers from the cache until the OCSP nextUpdate, then asks the responder again', async () => {
    const counter = await fault({ kind: 'proxy', target: services.ocspUrl });
    let now = Date.now();
    const c = checker({ ocsp: counter.url, sources: ['ocsp'], clock: () => new Date(now) });
    const first = await c.checkCertificate(der.staffRsa, der.issuingCa);
    const second = await c.checkCertificate(der.staffRsa, der.issuingCa);
    expect([first.isFromCache, second.isFromCache]).toEqual([false, true]);
    expect(second.ocspResponse).toEqual(first.ocspResponse);
    expect(counter.requestCount).toBe(1);
    now = first.nextUpdate!.getTime() + 1_000;
    const third = await c.checkCertificate(der.staffRsa, der.issuingCa);
    expect(third.isFromCache).toBe(false);
    expect(counter.requestCount).toBe(2);
  });

  it('downloads a CRL once for many checks while it is fresh', async () => {
    const counter = await fault({ kind: 'proxy', target: services.crlUrl });
    const c = checker({ crl: counter.url, sources: ['crl'] });
    const statuses = await Promise.all([der.staffRsa, der.revoked, der.staffRsa].map((cert) => c.checkCertificate(cert, der.issuingCa)));
    statuses.push(await c.checkCertificate(der.staffRsa, der.issuingCa));
    expect(statuses.map((s) => s.status)).toEqual(['good', 'revoked', 'good', 'good']);
    expect(counter.requestCount).toBe(1);
  });
});

describe('when the OCSP responder fails, the CRL decides', () => {
  const cases: Array<[string, () => Promise<{ url: string; timeoutMs?: number; clock?: () => Date }>, string, RegExp]> = [
    ['is stopped', async () => ({ url: closedUrl }), 'unavailable', /cannot reach/],
    ['answers past the timeout', async () => ({ url: (await fault({ kind: 'slow', delayMs: 3_000 })).url, timeoutMs: 300 }), 'unavailable', /within 300 ms/],
    ['answers garbage', async () => ({ url: (await fault({ kind: 'garbage' })).url }), 'invalid', /not an OCSPResponse/],
    ['answers HTTP 500', async () => ({ url: (await fault({ kind: 'status', status: 500 })).url }), 'unavailable', /HTTP 500/],
    [
      'answers for another certificate',
      async () => {
        const otherRequest = await makeOcspRequest(ws, { issuer: pki.issuingCa, cert: pki.pem.staffEc });
        return { url: (await fault({ kind: 'proxy', target: services.ocspUrl, replaceBody: otherRequest })).url };
      },
      'invalid',
      /does not answer for the certificate/,
    ],
    [
      'answers with a response whose nextUpdate has passed',
      async () => {
        const request = await makeOcspRequest(ws, { issuer: pki.issuingCa, cert: pki.pem.staffRsa });
        const body = await makeOcspResponse(ws, { request, index: pki.index, ca: pki.issuingCa, signerCert: pki.pem.ocspResponder, signerKey: pki.ocspResponderKey, nextUpdateMinutes: 1 });
        const later = Date.now() + 15 * 60_000;
        return { url: (await fault({ kind: 'fixed', body })).url, clock: () => new Date(later) };
      },
      'stale',
      /stale/,
    ],
  ];

  it.each(cases)('answers good from the CRL when the responder %s', async (_label, makeResponder, kind, message) => {
    const { url, timeoutMs, clock } = await makeResponder();
    const status = await checker({ ocsp: url, timeoutMs, clock }).checkCertificate(der.staffRsa, der.issuingCa);
    expect(status).toMatchObject({ status: 'good', source: 'crl', url: 'http://127.0.0.1:18080/crl/issuing-ca.crl' });
    expect(status.crl).toBeInstanceOf(Buffer);
    expect(status.failures).toEqual([expect.objectContaining({ source: 'ocsp', kind, message: expect.stringMatching(message) })]);
  });

  it.each(cases)('is unknown, and REVOCATION_UNAVAILABLE under hard-fail, when the responder %s and the CRL is down', async (_label, makeResponder, kind) => {
    const { url, timeoutMs, clock } = await makeResponder();
    const status = await checker({ ocsp: url, crl: closedUrl, timeoutMs, clock }).checkCertificate(der.staffRsa, der.issuingCa);
    expect(status).toMatchObject({ status: 'unknown', source: null, ocspResponse: null, crl: null });
    expect(status.failures.map((f) => `${f.source}:${f.kind}`)).toEqual([`ocsp:${kind}`, 'crl:unavailable']);
    expect(() => enforceRevocationPolicy([status], 'hard-fail')).toThrow(expect.objectContaining({ code: 'REVOCATION_UNAVAILABLE' }));
    expect(enforceRevocationPolicy([status], 'soft-fail')).toEqual([expect.stringMatching(/soft-fail/)]);
  });

  it('finds the revoked signer revoked by the CRL when OCSP is down', async () => {
    const status = await checker({ ocsp: closedUrl }).checkCertificate(der.revoked, der.issuingCa);
    expect(status).toMatchObject({ status: 'revoked', source: 'crl', revocationReason: 'keyCompromise' });
  });
});

describe('CRL faults', () => {
  it('refuses a stale CRL', async () => {
    const stale = await makeCrl(ws, { caCert: pki.issuingCa, caKey: pki.issuingCaKey, index: pki.index, lastUpdate: new Date(Date.now() - 2 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) });
    const server = await fault({ kind: 'fixed', body: stale });
    const status = await checker({ ocsp: closedUrl, crl: server.url }).checkCertificate(der.staffRsa, der.issuingCa);
    expect(status.status).toBe('unknown');
    expect(status.failures[1]).toMatchObject({ source: 'crl', kind: 'stale' });
  });

  it('refuses a CRL larger than the limit without reading all of it', async () => {
    const status = await checker({ ocsp: closedUrl, maxCrlBytes: 100 }).checkCertificate(der.staffRsa, der.issuingCa);
    expect(status.failures[1]).toMatchObject({ source: 'crl', kind: 'unavailable', message: expect.stringMatching(/limit of 100/) });
  });

  it('refuses a CRL signed by another CA under the same name', async () => {
    const impostor = await issueCertificate(ws, {
      name: 'impostor-ca',
      subject: '/C=VN/O=Tổ chức chứng thực mẫu Mapsign/CN=Mapsign Sample Issuing CA',
      extensions: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'],
    });
    const forged = await makeCrl(ws, { caCert: impostor.cert, caKey: impostor.key, lastUpdate: new Date(Date.now() - 60_000), nextUpdate: new Date(Date.now() + 86_400_000) });
    const server = await fault({ kind: 'fixed', body: forged });
    const status = await checker({ ocsp: closedUrl, crl: server.url }).checkCertificate(der.revoked, der.issuingCa);
    expect(status.status).toBe('unknown');
    expect(status.failures[1]).toMatchObject({ source: 'crl', kind: 'invalid' });
  });
});

describe('fetch limits', () => {
  it('fetches only http URLs', async () => {
    const c = createRevocationChecker({ rewriteUrl: (url) => url.replace('http://', 'https://') });
    const status = await c.checkCertificate(der.staffRsa, der.issuingCa);
    expect(status.failures.map((f) => f.message)).toEqual([expect.stringMatching(/only http URLs/), expect.stringMatching(/only http URLs/)]);
  });

  it('checks a delegated responder without id-pkix-ocsp-nocheck by its CA’s CRL before trusting its answer', async () => {
    const responder = await issueCertificate(ws, {
      name: 'responder-checked',
      subject: '/CN=Responder Without Nocheck',
      key: 'rsa2048',
      issuer: { cert: pki.issuingCa, key: pki.issuingCaKey },
      extensions: [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = OCSPSigning',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid:always',
        'crlDistributionPoints = URI:http://127.0.0.1:18080/crl/issuing-ca.crl',
      ],
    });
    const ocsp = await startOcspResponder({ index: pki.index, caCertificate: pki.issuingCa, responderCertificate: responder.cert, responderKey: responder.key, port: 0 });
    try {
      const withCrl = await checker({ ocsp: ocsp.url }).checkCertificate(der.staffRsa, der.issuingCa);
      expect(withCrl).toMatchObject({ status: 'good', source: 'ocsp', signerCertificates: [responder.der] });
      // Without the CRL the responder's own status is unknown, so its answer is not used.
      const withoutCrl = await checker({ ocsp: ocsp.url, crl: closedUrl }).checkCertificate(der.staffRsa, der.issuingCa);
      expect(withoutCrl.status).toBe('unknown');
      expect(withoutCrl.failures[0]?.message).toMatch(/status of the responder/);
    } finally {
      await ocsp.stop();
    }
  });
});
