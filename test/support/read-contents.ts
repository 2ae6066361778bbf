// Reads the raw /Contents bytes of every signature of a file, oldest first, using its /ByteRange.

import { open } from 'node:fs/promises';
import { inspectPdf } from '../../src/pdf/index.js';

export async function readContents(path: string): Promise<Buffer[]> {
  const info = await inspectPdf(path);
  const handle = await open(path, 'r');
  try {
    const result: Buffer[] = [];
    for (const signature of info.signatures) {
      const [, b, c] = signature.byteRange as [number, number, number, number];
      const hex = Buffer.alloc(c - b - 2);
      await handle.read(hex, 0, hex.length, b + 1);
      result.push(Buffer.from(hex.toString('latin1'), 'hex'));
    }
    return result;
  } finally {
    await handle.close();
  }
}
