// `mapsign dev-pki` as a developer runs it: on the fixed loopback ports written into the sample
// certificates it serves CRLs, OCSP answers that openssl's own client accepts, and RFC 3161
// tokens that `openssl ts -verify` accepts; the CLI's trust checks then work unchanged; SIGTERM
// stops everything. When a port is taken (a developer's dev-pki is running), the tests skip.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const pki = samplePki();
const PORTS = [18080, 18081, 18082];

async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const busyPorts: number[] = [];
for (const port of PORTS) if (!(await isPortFree(port))) busyPorts.push(port);
const skipReason = busyPorts.length > 0 ? ` — SKIPPED: port ${busyPorts.join(', ')} in use (is a dev-pki already running?)` : '';
if (skipReason) process.stderr.write(`trust-dev-pki.int.test.ts${skipReason}\n`);

let child: ChildProcess | undefined;
let exit: Promise<number | null> | undefined;
let dir: string;

async function mapsign(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(busyPorts.length > 0)(`mapsign dev-pki on 127.0.0.1:18080-18082${skipReason}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mapsign-dev-pki-'));
    // Its own process group, so that the openssl responder it spawns goes too if we must kill it.
    child = spawn('node', ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'dev-pki'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = child;
    exit = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev-pki did not start: ${output}`)), 30_000);
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('stop with')) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      void exit?.then((code) => {
        clearTimeout(timer);
        reject(new Error(`dev-pki exited with ${code}: ${output}`));
      });
    });
  });

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the issuing CA’s CRL, fresh and signed by it, and the CA certificates', async () => {
    const response = await fetch('http://127.0.0.1:18080/crl/issuing-ca.crl');
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    const file = join(dir, 'issuing-ca.crl');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const { stdout, stderr } = await run('openssl', ['crl', '-inform', 'DER', '-in', file, '-CAfile', pki.issuingCa, '-noout', '-lastupdate', '-nextupdate']);
    expect(stderr).toMatch(/verify OK/);
    const lastUpdate = Date.parse(/lastUpdate=(.*)/.exec(stdout)?.[1] ?? '');
    expect(Date.now() - lastUpdate).toBeLessThan(10 * 60_000);
    expect((await fetch('http://127.0.0.1:18080/ca/root-ca.cer')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:18080/crl/root-ca.crl')).status).toBe(200);
  });

  it('answers OCSP so that openssl says good for staff-rsa and revoked for revoked', async () => {
    const { stdout } = await run('openssl', [
      'ocsp', '-issuer', pki.issuingCa, '-cert', pki.pem.staffRsa, '-cert', pki.pem.revoked, '-url', 'http://127.0.0.1:18081', '-CAfile', pki.caChain,
    ]);
    expect(stdout).toContain(`${pki.pem.staffRsa}: good`);
    expect(stdout).toContain(`${pki.pem.revoked}: revoked`);
  });

  it('time-stamps a query so that openssl ts -verify accepts the token and its chain', async () => {
    const data = join(dir, 'sheet.bin');
    const query = join(dir, 'query.tsq');
    const reply = join(dir, 'reply.tsr');
    await writeFile(data, 'Tờ số 25, thửa số 112');
    await run('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const response = await fetch('http://127.0.0.1:18082/tsa', { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: await readFile(query) });
    expect(response.headers.get('content-type')).toBe('application/timestamp-reply');
    await writeFile(reply, Buffer.from(await response.arrayBuffer()));
    const { stdout } = await run('openssl', ['ts', '-verify', '-in', reply, '-queryfile', query, '-CAfile', pki.rootCa]);
    expect(stdout).toMatch(/Verification: OK/);
  });

  it('lets `mapsign certs check` and `mapsign sign --trust` check revocation at the certificates’ own URLs', async () => {
    const trustDir = await mkdtemp(join(dir, 'trust-'));
    await writeFile(join(trustDir, 'root-ca.pem'), await readFile(pki.rootCa));
    const revoked = await mapsign(['certs', 'check', pki.pem.revoked, '--trust', trustDir, '--json'], { TRUST_FETCH_CA_ISSUERS: 'true' });
    expect(revoked.code, revoked.stderr).toBe(65);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ ok: false, error: { code: 'CERT_REVOKED' } });
    const sheet = join(dir, 'sheet.pdf');
    await makePdf(sheet);
    const outDir = await mkdtemp(join(dir, 'out-'));
    const signed = await mapsign(['sign', sheet, '-o', join(outDir, 'signed.pdf'), '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', '--trust', trustDir, '--json'], { P12_PASSWORD: pki.password });
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout).signer.trust.revocation.map((r: { source: string }) => r.source)).toEqual(['ocsp', 'crl']);
    const refused = await mapsign(['sign', sheet, '-o', join(outDir, 'revoked.pdf'), '--p12', pki.p12.revoked, '--password-env', 'P12_PASSWORD', '--trust', trustDir], { P12_PASSWORD: pki.password });
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/CERT_REVOKED/);
    expect(await readdir(outDir)).toEqual(['signed.pdf']);
  });

  it('stops on SIGTERM, taking the OCSP responder with it and freeing the ports', async () => {
    child!.kill('SIGTERM');
    expect(await exit).toBe(0);
    // No openssl left in its process group (pgrep exits 1 when nothing matches).
    await expect(run('pgrep', ['-g', String(child!.pid), '-x', 'openssl'])).rejects.toMatchObject({ code: 1 });
    for (const port of PORTS) expect(await isPortFree(port)).toBe(true);
  });
});
