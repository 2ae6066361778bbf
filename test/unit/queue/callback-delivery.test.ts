import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCallbackAllowList } from '../../../src/config.js';
import { CallbackPolicy, postCallback } from '../../../src/queue/index.js';

let server: Server;
let port: number;
let received: Array<{ headers: IncomingHttpHeaders; body: string }>;

beforeEach(async () => {
  received = [];
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (url: string, policy: CallbackPolicy) => postCallback({ url, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', timeoutMs: 3000, policy });

describe('postCallback', () => {
  it('delivers to a loopback receiver that MAPSIGN_CALLBACK_ALLOW opens, by address and by name', async () => {
    const policy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1'));
    expect(await post(`http://127.0.0.1:${port}/cb`, policy)).toEqual({ status: 204, address: '127.0.0.1' });
    expect(await post(`http://localhost:${port}/cb`, policy)).toEqual({ status: 204, address: '127.0.0.1' });
    expect(received.map((r) => [r.body, r.headers['content-length']])).toEqual([
      ['{"ok":true}', '11'],
      ['{"ok":true}', '11'],
    ]);
  });

  it('sends nothing to a host that resolves to loopback when no allow-list opens it', async () => {
    await expect(post(`http://localhost:${port}/cb`, new CallbackPolicy())).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED', details: { address: '127.0.0.1', reason: 'loopback' } });
    await expect(post(`http://127.0.0.1:${port}/cb`, new CallbackPolicy())).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
    expect(received).toEqual([]);
  });

  it('connects to the address it checked, not to what a second DNS answer (rebinding) would give', async () => {
    // The first answer is the checked one; any later answer points at a private address that must never be reached.
    const answers = [[{ address: '127.0.0.1', family: 4 }], [{ address: '10.255.255.1', family: 4 }]];
    let lookups = 0;
    const policy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1'), async () => answers[Math.min(lookups++, 1)]!);
    expect(await post(`http://rebinding.test:${port}/cb`, policy)).toEqual({ status: 204, address: '127.0.0.1' });
    expect(lookups).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.headers.host).toBe(`rebinding.test:${port}`);
  });

  it('gives up at the deadline when the receiver does not answer', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      await expect(
        postCallback({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/cb`, headers: {}, body: '{}', timeoutMs: 300, policy: new CallbackPolicy(parseCallbackAllowList('127.0.0.1')) }),
      ).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
