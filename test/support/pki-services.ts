// Test support for trust and revocation: the development PKI services (src/pki/dev-services.ts)
// started on free loopback ports for a PKI folder, fault-injecting HTTP servers (down, slow,
// garbage, fixed answers, counting proxy), and certificates and CRLs made with the openssl CLI.
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDevPki, type DevPki } from '../../src/pki/index.js';

const run = promisify(execFile);

export interface PkiServices {
  /** Base URLs of the running services: http://127.0.0.1:<port>, the TSA's ending in /tsa. */
  crlUrl: string;
  ocspUrl: string;
  tsaUrl: string;
  pki: DevPki;
  /** Maps the fixed URLs in the certificates (127.0.0.1:18080/18081) to the ports in use. */
  rewriteUrl(url: string): string;
  stop(): Promise<void>;
}

/** Starts the CRL server, OCSP responder and TSA for a certs-sample-like folder on free ports. */
export async function startPkiServices(pkiDir: string, options: { ocspNextUpdateMinutes?: number } = {}): Promise<PkiServices> {
  const pki = await startDevPki({ pkiDir, ports: { crl: 0, ocsp: 0, tsa: 0 }, ocspNextUpdateMinutes: options.ocspNextUpdateMinutes });
  return { crlUrl: pki.crl.url, ocspUrl: pki.ocsp.url, tsaUrl: pki.tsa.url, pki, rewriteUrl: (url) => pki.rewriteUrl(url), stop: () => pki.stop() };
}

/** A URL rewriter sending the certificates' CRL and OCSP URLs to the given bases. */
export function redirectUrls(bases: { crl: string; ocsp: string }): (url: string, kind?: 'ocsp' | 'crl') => string {
  return (url) => url.replace(/^http:\/\/127\.0\.0\.1:18080/, bases.crl).replace(/^http:\/\/127\.0\.0\.1:18081/, bases.ocsp);
}

export interface FaultServer {
  url: string;
  requestCount: number;
  stop(): Promise<void>;
}

export type Fault =
  | { kind: 'garbage' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'status'; status: number }
  /** Answers every request with these bytes. */
  | { kind: 'fixed'; body: Buffer }
  /** Forwards to `target` (path kept); with `replaceBody`, sends that body instead of the client's. */
  | { kind: 'proxy'; target: string; replaceBody?: Buffer };

/** An HTTP server on a free loopback port that misbehaves as told, counting requests. */
export async function startFaultServer(fault: Fault): Promise<FaultServer> {
  const state: FaultServer = { url: '', requestCount: 0, stop: async () => undefined };
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    state.requestCount += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      switch (fault.kind) {
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(randomBytes(200));
          return;
        case 'slow': {
          const timer = setTimeout(() => res.writeHead(500).end(), fault.delayMs);
          timers.add(timer);
          return;
        }
        case 'status':
          res.writeHead(fault.status).end();
          return;
        case 'fixed':
          res.writeHead(200).end(fault.body);
          return;
        case 'proxy': {
          const outgoing = fault.replaceBody ?? body;
          const upstream = request(new URL(req.url ?? '/', fault.target), { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': outgoing.length } }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream' });
            answer.pipe(res);
          });
          upstream.on('error', () => res.writeHead(502).end());
          upstream.end(outgoing);
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  state.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/**
 * A loopback URL where nothing listens. The port comes from below 1024, which the kernel never hands
 * out to `listen(0)`: a port freed by a stopped server may be given to the next test server, which
 * would then answer where the test expects a refusal.
 */
export async function findClosedPortUrl(): Promise<string> {
  for (const port of [1, 3, 4, 6, 8, 10, 12, 14, 16]) {
    if (await refusesConnections(port)) return `http://127.0.0.1:${port}`;
  }
  throw new Error('no closed port below 1024 on 127.0.0.1');
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/** A scratch folder for certificates made by a test; remove it with `cleanup`. */
export interface CertWorkspace {
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeCertWorkspace(prefix = 'mapsign-certs-'): Promise<CertWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface IssueCertificateOptions {
  /** File stem in the workspace: <name>.key, <name>.pem. */
  name: string;
  subject: string;
  /** 'ec' (P-256, fast) by default, or 'rsa1024', 'rsa2048'. */
  key?: 'ec' | 'rsa1024' | 'rsa2048';
  /** Reuse this private key (PEM path) instead of making one: a re-issued or cross-certified CA. */
  reuseKey?: string;
  /** Issuer's certificate and key paths; absent for a self-signed certificate. */
  issuer?: { cert: string; key: string };
  /** Lines of an openssl extensions section. */
  extensions: string[];
  /** openssl ca dates, YYYYMMDDHHMMSSZ; default: from an hour ago, 30 days. */
  startDate?: string;
  endDate?: string;
  /** Signature digest; default sha256. */
  md?: 'sha256' | 'sha1';
}

export interface IssuedCertificate {
  cert: string;
  key: string;
  der: Buffer;
}

function formatDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

export const CA_EXTENSIONS = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'];
export const SIGNER_EXTENSIONS = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, nonRepudiation', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'];

/**
 * Issues a certificate with `openssl ca` (which, unlike `openssl x509`, sets any start date and
 * digest) into the workspace; the issuer's database lives in a scratch sub-folder.
 */
export async function issueCertificate(ws: CertWorkspace, options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const { dir } = ws;
  const key = options.reuseKey ?? join(dir, `${options.name}.key`);
  const cert = join(dir, `${options.name}.pem`);
  const kind = options.key ?? 'ec';
  const keyArgs = kind === 'ec' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${kind.slice(3)}`];
  if (options.reuseKey === undefined) await openssl(dir, ['genpkey', ...keyArgs, '-out', key]);
  const db = await mkdtemp(join(dir, `ca-${options.name}-`));
  await writeFile(join(db, 'index.txt'), '');
  const config = join(db, 'ca.cnf');
  await writeFile(
    config,
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `database = ${join(db, 'index.txt')}`,
      `new_certs_dir = ${db}`,
      `default_md = ${options.md ?? 'sha256'}`,
      'policy = policy_any',
      'rand_serial = yes',
      'unique_subject = no',
      'email_in_dn = no',
      'copy_extensions = none',
      'utf8 = yes',
      'string_mask = utf8only',
      '[ policy_any ]',
      'commonName = supplied',
      'organizationName = optional',
      'countryName = optional',
      '[ req ]',
      'distinguished_name = dn',
      'prompt = no',
      '[ dn ]',
      'CN = unused',
      '[ ext ]',
      ...options.extensions,
      '',
    ].join('\n'),
  );
  const csr = join(db, 'req.csr');
  await openssl(dir, ['req', '-new', '-config', config, '-utf8', '-key', key, '-subj', options.subject, '-out', csr]);
  const start = options.startDate ?? formatDate(new Date(Date.now() - 3_600_000));
  const end = options.endDate ?? formatDate(new Date(Date.now() + 30 * 86_400_000));
  const signing = options.issuer ? ['-cert', options.issuer.cert, '-keyfile', options.issuer.key] : ['-selfsign', '-keyfile', key];
  await openssl(dir, ['ca', '-batch', '-config', config, '-notext', '-preserveDN', '-extensions', 'ext', '-in', csr, '-out', cert, '-startdate', start, '-enddate', end, ...signing]);
  return { cert, key, der: await readDer(cert) };
}

export async function readDer(pemPath: string): Promise<Buffer> {
  return Buffer.from(new X509Certificate(await readFile(pemPath)).raw);
}

/** A PKCS#12 file of a key, its certificate and the given issuer certificates (PEM paths). */
export async function exportPkcs12(ws: CertWorkspace, name: string, issued: IssuedCertificate, chain: string[], password: string): Promise<string> {
  const extras = join(ws.dir, `${name}-chain.pem`);
  await writeFile(extras, (await Promise.all(chain.map((path) => readFile(path, 'utf8')))).join(''));
  const p12 = join(ws.dir, `${name}.p12`);
  await openssl(ws.dir, ['pkcs12', '-export', '-inkey', issued.key, '-in', issued.cert, '-certfile', extras, '-passout', `pass:${password}`, '-out', p12]);
  return p12;
}

/** A CRL with chosen lastUpdate/nextUpdate (`openssl ca -gencrl`), DER. */
export async function makeCrl(ws: CertWorkspace, options: { caCert: string; caKey: string; index?: string; lastUpdate: Date; nextUpdate: Date }): Promise<Buffer> {
  const db = await mkdtemp(join(ws.dir, 'crl-'));
  await writeFile(join(db, 'index.txt'), options.index ? await readFile(options.index) : '');
  await writeFile(join(db, 'crlnumber'), '1000\n');
  const config = join(db, 'ca.cnf');
  await writeFile(
    config,
    ['[ ca ]', 'default_ca = c', '[ c ]', `database = ${join(db, 'index.txt')}`, `crlnumber = ${join(db, 'crlnumber')}`, 'default_md = sha256', 'crl_extensions = e', '[ e ]', 'authorityKeyIdentifier = keyid:always', ''].join('\n'),
  );
  const pem = join(db, 'crl.pem');
  const der = join(db, 'crl.der');
  await openssl(db, [
    'ca', '-config', config, '-gencrl', '-keyfile', options.caKey, '-cert', options.caCert,
    '-crl_lastupdate', formatDate(options.lastUpdate), '-crl_nextupdate', formatDate(options.nextUpdate), '-out', pem,
  ]);
  await openssl(db, ['crl', '-in', pem, '-outform', 'DER', '-out', der]);
  return readFile(der);
}

/** An OCSP request for `certPem` made by `openssl ocsp -reqout` (no nonce unless asked). */
export async function makeOcspRequest(ws: CertWorkspace, options: { issuer: string; cert: string; nonce?: boolean }): Promise<Buffer> {
  const out = join(ws.dir, `req-${randomBytes(4).toString('hex')}.der`);
  await openssl(ws.dir, ['ocsp', '-issuer', options.issuer, '-cert', options.cert, options.nonce ? '-nonce' : '-no_nonce', '-reqout', out]);
  return readFile(out);
}

/** An OCSP response made offline by `openssl ocsp -reqin … -respout` (the responder without a socket). */
export async function makeOcspResponse(
  ws: CertWorkspace,
  options: { request: Buffer; index: string; ca: string; signerCert: string; signerKey: string; nextUpdateMinutes?: number; extra?: string[] },
): Promise<Buffer> {
  const stem = join(ws.dir, `ocsp-${randomBytes(4).toString('hex')}`);
  await writeFile(`${stem}.req`, options.request);
  await openssl(ws.dir, [
    'ocsp', '-index', options.index, '-CA', options.ca, '-rsigner', options.signerCert, '-rkey', options.signerKey,
    '-reqin', `${stem}.req`, '-respout', `${stem}.resp`, ...(options.nextUpdateMinutes ? ['-nmin', String(options.nextUpdateMinutes)] : []), ...(options.extra ?? []),
  ]);
  return readFile(`${stem}.resp`);
}
