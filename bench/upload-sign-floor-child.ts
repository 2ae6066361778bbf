// Child process of bench/api-service.bench.ts: the least any signing server must do per sheet,
// with none of the service's machinery (no queue, no database, no archive, no callback). It takes
// the PDF as the raw body of a POST, stores it durably under its hash (WorkFileStore.put, as the
// API does), signs it (signPdf, durable, as the sign step does) into the same store and answers
// 200 once the signed file is on disk. At most FLOOR_SIGNERS sign at a time (the workers).
// Prints "listening on URL" on stderr.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openPkcs12KeySource } from '../src/pki/index.js';
import { WorkFileStore } from '../src/queue/index.js';
import { signPdf } from '../src/signing/index.js';

const [root, p12, password] = process.argv.slice(2) as [string, string, string];
const signers = Number(process.env['FLOOR_SIGNERS'] ?? 1);
const files = await WorkFileStore.open(root);
const keySource = await openPkcs12KeySource({ path: p12, password });

let running = 0;
const waiting: Array<() => void> = [];
async function withSigner<T>(work: () => Promise<T>): Promise<T> {
  if (running >= signers) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const server = createServer((request, response) => {
  void (async () => {
    try {
      const upload = await files.put(request);
      const signed = await withSigner(async () => {
        const output = files.tempPath('signing');
        const result = await signPdf({ input: files.pathOf(upload.sha256), output, keySource, reason: 'bench floor', durable: true, syncDirectory: false });
        return files.adopt(output, result.sha256, result.size, { isSynced: true });
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upload: upload.sha256, signed: signed.sha256 }));
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  })();
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
