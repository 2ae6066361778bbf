// The services a development PKI's certificates point to, for `mapsign dev-pki` and the tests:
// a CRL and CA-certificate server (RFC 5280 §4.2.1.13, §4.2.2.1), an `openssl ocsp` responder
// (RFC 6960) and an RFC 3161 TSA answering with `openssl ts -reply`. Never for production.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MapsignError } from '../errors.js';

const run = promisify(execFile);

/** The fixed addresses the sample certificates carry (certs-sample/README.md). */
export const DEV_PKI_PORTS = { crl: 18080, ocsp: 18081, tsa: 18082 } as const;
export const DEV_PKI_HOST = '127.0.0.1';

export interface DevService {
  /** Base URL, e.g. http://127.0.0.1:18080 (the TSA's ends with /tsa). */
  url: string;
  port: number;
  /** Requests served so far (the OCSP responder runs outside Node and does not count). */
  requestCount: number;
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> | void;

const MAX_REQUEST_BYTES = 64 * 1024;

async function startHttpService(handler: Handler, host: string, port: number, path = ''): Promise<DevService> {
  const service: DevService = { url: '', port: 0, requestCount: 0, stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    service.requestCount += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : String(error));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new MapsignError('CONFIG_INVALID', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, { cause: error, details: { host, port } }));
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  service.port = typeof address === 'object' && address !== null ? address.port : port;
  service.url = `http://${host}:${service.port}${path}`;
  service.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return service;
}

export interface StartCrlServerOptions {
  host?: string;
  port?: number;
  /** Path (e.g. '/crl/issuing-ca.crl') to the bytes served there; a function is asked on each request. */
  files: Record<string, Buffer | (() => Buffer)>;
}

/** Serves CRLs (application/pkix-crl) and CA certificates (application/pkix-cert) by GET. */
export function startCrlServer(options: StartCrlServerOptions): Promise<DevService> {
  return startHttpService(
    (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const entry = options.files[path];
      if (req.method !== 'GET' || entry === undefined) {
        res.writeHead(req.method === 'GET' ? 404 : 405).end();
        return;
      }
      const body = typeof entry === 'function' ? entry() : entry;
      res.writeHead(200, { 'content-type': path.endsWith('.crl') ? 'application/pkix-crl' : 'application/pkix-cert', 'content-length': body.length });
      res.end(body);
    },
    options.host ?? DEV_PKI_HOST,
    options.port ?? 0,
  );
}

export interface StartOcspResponderOptions {
  /** The CA database in `openssl ca` index form. */
  index: string;
  caCertificate: string;
  responderCertificate: string;
  responderKey: string;
  /** 0 picks a free port. OpenSSL 3.0 listens on every interface; the data it serves is public. */
  port?: number;
  /** nextUpdate of the answers, in minutes; default 5. */
  nextUpdateMinutes?: number;
}

/** Spawns `openssl ocsp` as a responder and resolves once it accepts connections. */
export function startOcspResponder(options: StartOcspResponderOptions): Promise<DevService> {
  const args = [
    'ocsp',
    '-port', String(options.port ?? 0),
    '-index', options.index,
    '-CA', options.caCertificate,
    '-rsigner', options.responderCertificate,
    '-rkey', options.responderKey,
    '-nmin', String(options.nextUpdateMinutes ?? 5),
    '-ignore_err',
  ];
  const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<DevService>((resolve, reject) => {
    let stdout: string | null = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new MapsignError('CONFIG_INVALID', `openssl ocsp did not start within 10 s: ${stderr.trim()}`));
    }, 10_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new MapsignError('CONFIG_INVALID', `cannot run openssl: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new MapsignError('CONFIG_INVALID', `openssl ocsp exited (${code ?? 'signal'}) before listening on port ${options.port ?? 0}: ${stderr.trim()}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout === null) return;
      stdout += chunk.toString();
      // OpenSSL 3 reports its socket as "ACCEPT [::]:41234 PID=…" once it listens.
      const match = /ACCEPT \S*:(\d+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      stdout = null;
      child.removeAllListeners('exit');
      const port = Number(match[1]);
      resolve({ url: `http://${DEV_PKI_HOST}:${port}`, port, requestCount: 0, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface StartTsaServerOptions {
  certificate: string;
  key: string;
  /** PEM of the TSA's issuers, put into each token (`openssl ts -reply -chain`). */
  chain: string;
  host?: string;
  port?: number;
  /** Default 1.3.6.1.4.1.99999.1.1 — a placeholder policy of the development TSA. */
  policyOid?: string;
}

/** An RFC 3161 TSA at `/tsa`: each POSTed TimeStampReq is answered by `openssl ts -reply`, one at a time. */
export async function startTsaServer(options: StartTsaServerOptions): Promise<DevService> {
  const work = await mkdtemp(join(tmpdir(), 'mapsign-tsa-'));
  const config = join(work, 'tsa.cnf');
  await writeFile(join(work, 'serial'), '01\n');
  await writeFile(
    config,
    [
      '[ tsa ]',
      'default_tsa = dev_tsa',
      '[ dev_tsa ]',
      `serial = ${join(work, 'serial')}`,
      'signer_digest = sha256',
      `default_policy = ${options.policyOid ?? '1.3.6.1.4.1.99999.1.1'}`,
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_chain = yes',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  // The serial file is shared state: replies are made one after the other.
  let queue: Promise<unknown> = Promise.resolve();
  let counter = 0;
  const reply = async (query: Buffer): Promise<Buffer> => {
    const stem = join(work, `q${++counter}`);
    await writeFile(`${stem}.tsq`, query);
    try {
      await run('openssl', ['ts', '-reply', '-config', config, '-queryfile', `${stem}.tsq`, '-inkey', options.key, '-signer', options.certificate, '-chain', options.chain, '-out', `${stem}.tsr`]);
      return await readFile(`${stem}.tsr`);
    } finally {
      await rm(`${stem}.tsq`, { force: true });
      await rm(`${stem}.tsr`, { force: true });
    }
  };
  const service = await startHttpService(
    async (req, res, body) => {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/tsa') {
        res.writeHead(req.method === 'POST' ? 404 : 405).end();
        return;
      }
      const pending = queue.then(() => reply(body));
      queue = pending.catch(() => undefined);
      const token = await pending.catch(() => undefined);
      if (token === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('not a time-stamp request');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': token.length });
      res.end(token);
    },
    options.host ?? DEV_PKI_HOST,
    options.port ?? 0,
    '/tsa',
  );
  const stopServer = service.stop;
  service.stop = async () => {
    await stopServer();
    await rm(work, { recursive: true, force: true });
  };
  return service;
}

async function writeCaConfig(dir: string, index: string): Promise<string> {
  await writeFile(join(dir, 'index.txt'), index);
  await writeFile(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  // CRL numbers must grow (RFC 5280 §5.2.3): the clock in ms, as an even-length hex number.
  const hex = Date.now().toString(16);
  await writeFile(join(dir, 'crlnumber'), `${hex.length % 2 ? '0' : ''}${hex}\n`);
  const config = join(dir, 'ca.cnf');
  await writeFile(
    config,
    ['[ ca ]', 'default_ca = dev_ca', '[ dev_ca ]', `database = ${join(dir, 'index.txt')}`, `crlnumber = ${join(dir, 'crlnumber')}`, 'default_md = sha256', 'crl_extensions = crl_ext', '[ crl_ext ]', 'authorityKeyIdentifier = keyid:always', ''].join('\n'),
  );
  return config;
}

export interface IssueCrlOptions {
  caCertificate: string;
  caKey: string;
  /** The CA database (`openssl ca` index); omit for a CRL that revokes nothing. */
  index?: string;
  /** Hours until nextUpdate. */
  hours: number;
}

/** Issues a fresh CRL with `openssl ca -gencrl` in a scratch folder and returns its DER. */
export async function issueCrl(options: IssueCrlOptions): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'mapsign-crl-'));
  try {
    const config = await writeCaConfig(dir, options.index ? await readFile(options.index, 'utf8') : '');
    const pem = join(dir, 'crl.pem');
    const der = join(dir, 'crl.der');
    await run('openssl', ['ca', '-config', config, '-gencrl', '-keyfile', options.caKey, '-cert', options.caCertificate, '-crlhours', String(options.hours), '-out', pem]);
    await run('openssl', ['crl', '-in', pem, '-outform', 'DER', '-out', der]);
    return await readFile(der);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface StartDevPkiOptions {
  /** A folder laid out like certs-sample/ (generate.sh output). */
  pkiDir: string;
  host?: string;
  /** Default {@link DEV_PKI_PORTS}; 0 picks free ports (tests). */
  ports?: { crl?: number; ocsp?: number; tsa?: number };
  ocspNextUpdateMinutes?: number;
  /** CRL lifetime; they are reissued at half of it. Default 24. */
  crlHours?: number;
}

export interface DevPki {
  crl: DevService;
  ocsp: DevService;
  tsa: DevService;
  /** Whether the root CRL was issued now (root-ca.key present) or is the committed one. */
  isRootCrlFresh: boolean;
  /** Maps the fixed URLs in the certificates (127.0.0.1:18080/18081/18082) to the ports in use. */
  rewriteUrl(url: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the CRL server, OCSP responder and TSA for the PKI in `pkiDir`, after issuing fresh CRLs
 * with the issuing CA's key (and the root's, when root-ca.key is there; otherwise the committed
 * root-ca.crl.der is served). CRLs are reissued at half their lifetime, so none goes stale.
 */
export async function startDevPki(options: StartDevPkiOptions): Promise<DevPki> {
  const dir = options.pkiDir;
  const host = options.host ?? DEV_PKI_HOST;
  const ports = { ...DEV_PKI_PORTS, ...options.ports };
  const hours = options.crlHours ?? 24;
  const file = (name: string): string => join(dir, name);
  const rootKey = file('root-ca.key');
  const isRootCrlFresh = existsSync(rootKey);
  const crls: { issuing: Buffer; root: Buffer } = { issuing: Buffer.alloc(0), root: Buffer.alloc(0) };
  const reissue = async (): Promise<void> => {
    crls.issuing = await issueCrl({ caCertificate: file('issuing-ca.pem'), caKey: file('issuing-ca.key'), index: file('issuing-ca-index.txt'), hours });
    crls.root = isRootCrlFresh ? await issueCrl({ caCertificate: file('root-ca.pem'), caKey: rootKey, hours }) : await readFile(file('root-ca.crl.der'));
  };
  await reissue();
  const derOf = async (name: string): Promise<Buffer> => Buffer.from(new X509Certificate(await readFile(file(name))).raw);
  const started: DevService[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((service) => service.stop().catch(() => undefined)));
  };
  try {
    const crl = await startCrlServer({
      host,
      port: ports.crl,
      files: {
        '/crl/issuing-ca.crl': () => crls.issuing,
        '/crl/root-ca.crl': () => crls.root,
        '/ca/issuing-ca.cer': await derOf('issuing-ca.pem'),
        '/ca/root-ca.cer': await derOf('root-ca.pem'),
      },
    });
    started.push(crl);
    const ocsp = await startOcspResponder({
      index: file('issuing-ca-index.txt'),
      caCertificate: file('issuing-ca.pem'),
      responderCertificate: file('ocsp-responder.pem'),
      responderKey: file('ocsp-responder.key'),
      port: ports.ocsp,
      nextUpdateMinutes: options.ocspNextUpdateMinutes,
    });
    started.push(ocsp);
    const tsa = await startTsaServer({ certificate: file('tsa.pem'), key: file('tsa.key'), chain: file('ca-chain.pem'), host, port: ports.tsa });
    started.push(tsa);
    const timer = setInterval(() => void reissue().catch(() => undefined), (hours * 3_600_000) / 2);
    timer.unref();
    const origins: Array<[string, string]> = [
      [`http://${DEV_PKI_HOST}:${DEV_PKI_PORTS.crl}`, `http://${host}:${crl.port}`],
      [`http://${DEV_PKI_HOST}:${DEV_PKI_PORTS.ocsp}`, `http://${DEV_PKI_HOST}:${ocsp.port}`],
      [`http://${DEV_PKI_HOST}:${DEV_PKI_PORTS.tsa}`, `http://${host}:${tsa.port}`],
    ];
    return {
      crl,
      ocsp,
      tsa,
      isRootCrlFresh,
      rewriteUrl(url) {
        const match = origins.find(([from]) => url === from || url.startsWith(`${from}/`));
        return match ? match[1] + url.slice(match[0].length) : url;
      },
      stop: async () => {
        clearInterval(timer);
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
