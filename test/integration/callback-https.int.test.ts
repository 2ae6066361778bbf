// Callbacks over HTTPS: the connection goes to the address the policy checked, while the TLS
// handshake names and verifies the callback's own host (SNI and certificate), so pinning the
// address never weakens TLS. The receiver's certificate is made here by openssl for a host name
// that DNS does not know (callback.test): the policy's resolver answers for it.

import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallbackAllowList } from '../../src/config.js';
import { CallbackPolicy, postCallback } from '../../src/queue/index.js';
import { REPO_ROOT } from '../support/cli.js';

let dir: string;
let server: Server;
let port: number;
const serverNames: string[] = [];
const bodies: string[] = [];

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-callback-https-'));
  const file = (name: string) => join(dir, name);
  // A CA, and the receiver's certificate for callback.test issued by it.
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/CN=Callback Test CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=callback.test']);
  await writeFile(file('ext.cnf'), 'subjectAltName=DNS:callback.test\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('ext.cnf')]);
  const key = await readFile(file('server.key'));
  const cert = await readFile(file('server.pem'));
  const context = createSecureContext({ key, cert });
  server = createServer(
    {
      key,
      cert,
      SNICallback: (name, callback) => {
        serverNames.push(name);
        callback(null, context);
      },
    },
    (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push(body);
        response.statusCode = 204;
        response.end();
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('callbacks over https', () => {
  it('refuse a receiver whose certificate is not trusted, after naming the callback host in the handshake', async () => {
    serverNames.length = 0;
    const policy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1'), async () => [{ address: '127.0.0.1', family: 4 }]);
    const delivery = postCallback({ url: `https://callback.test:${port}/cb`, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', timeoutMs: 5000, policy });
    await expect(delivery).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)/) });
    expect(serverNames).toEqual(['callback.test']);
    expect(bodies).toEqual([]);
  });

  it('deliver to a receiver whose CA is trusted, connecting to the checked address', async () => {
    serverNames.length = 0;
    // Node reads extra CAs only at start-up: a child process with NODE_EXTRA_CA_CERTS (asynchronous, so that this process's receiver answers).
    const result = await promisify(execFile)('node', ['--import', 'tsx', join(REPO_ROOT, 'test/support/callback-https-child.ts'), `https://callback.test:${port}/cb`], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') },
      encoding: 'utf8',
    });
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, status: 204, address: '127.0.0.1' });
    expect(serverNames).toEqual(['callback.test']);
    expect(bodies).toEqual(['{"ok":true}']);
  });
});
