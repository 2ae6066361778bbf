// Runs the verifiers we did not write — poppler's pdfsig, mupdf's mutool, qpdf, openssl cms —
// over a signed file and returns what they said, for tests to assert on.

import { execFile } from 'node:child_process';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspectPdf } from '../../src/pdf/index.js';

const run = promisify(execFile);

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommand(command: string, args: string[], timeoutMs = 600_000): Promise<CommandOutput> {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

export interface PdfsigSignature {
  isValid: boolean;
  isTotalDocumentSigned: boolean;
  signatureType: string;
  commonName: string;
}

/** pdfsig -nocert: cryptographic validity of every signature, and whether it covers the whole file. */
export async function pdfsig(path: string): Promise<{ signatures: PdfsigSignature[]; output: string }> {
  const { stdout, stderr } = await runCommand('pdfsig', ['-nocert', path]);
  const blocks = stdout.split(/^Signature #\d+:$/m).slice(1);
  const signatures = blocks.map((block) => ({
    isValid: /Signature Validation: Signature is Valid\./.test(block),
    isTotalDocumentSigned: /- Total document signed/.test(block),
    signatureType: /Signature Type: (\S+)/.exec(block)?.[1] ?? '',
    commonName: /Signer Certificate Common Name: (.*)$/m.exec(block)?.[1]?.trim() ?? '',
  }));
  return { signatures, output: stdout + stderr };
}

/** qpdf --check: structural soundness of the whole file, cross-reference sections included. */
export async function qpdfCheck(path: string): Promise<CommandOutput> {
  return runCommand('qpdf', ['--check', path]);
}

export interface MutoolSignature {
  objectNumber: number;
  isSigned: boolean;
  /** The digest over the byte range matches ("unchanged", or "valid but there have been edits"). */
  isDigestValid: boolean;
}

/** mutool sign -v: mupdf checks the digest of each signature field. */
export async function mutoolVerify(path: string): Promise<{ signatures: MutoolSignature[]; output: string }> {
  const { stdout, stderr } = await runCommand('mutool', ['sign', '-v', path]);
  const blocks = stdout.split(/^Verifying signature /m).slice(1);
  const signatures = blocks.map((block) => ({
    objectNumber: Number(/^(\d+):/.exec(block)?.[1] ?? -1),
    isSigned: !/Signature is not signed/.test(block),
    isDigestValid: /The document is unchanged since signing|The signature is valid/.test(block) && !/Digest error/.test(block),
  }));
  return { signatures, output: stdout + stderr };
}

/** mutool show trailer: mupdf can open the file and follow its cross-reference chain. */
export async function mutoolShowTrailer(path: string): Promise<CommandOutput> {
  return runCommand('mutool', ['show', path, 'trailer']);
}

/**
 * openssl cms -verify on each signature: the CMS from /Contents against the bytes of its /ByteRange,
 * with the given CA bundle as trust anchors. Returns one result per signature, oldest first.
 */
export async function opensslVerifyAll(path: string, caFile: string, workDir: string): Promise<CommandOutput[]> {
  const info = await inspectPdf(path);
  const handle = await open(path, 'r');
  const results: CommandOutput[] = [];
  try {
    for (const [i, signature] of info.signatures.entries()) {
      const [a, b, c, d] = signature.byteRange as [number, number, number, number];
      const contentsHex = Buffer.alloc(c - b - 2);
      await handle.read(contentsHex, 0, contentsHex.length, b + 1);
      const der = trimDer(Buffer.from(contentsHex.toString('latin1'), 'hex'));
      const sigFile = join(workDir, `sig-${i}.der`);
      const dataFile = join(workDir, `data-${i}.bin`);
      await writeFile(sigFile, der);
      const out = await open(dataFile, 'w');
      try {
        await copyRange(handle, out, a, b);
        await copyRange(handle, out, c, d);
      } finally {
        await out.close();
      }
      results.push(
        await runCommand('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', dataFile, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null']),
      );
    }
  } finally {
    await handle.close();
  }
  return results;
}

/** The DER object at the start of a zero-padded /Contents. */
export function trimDer(padded: Buffer): Buffer {
  if (padded[0] !== 0x30) return padded;
  const first = padded[1]!;
  if (first < 0x80) return padded.subarray(0, 2 + first);
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + padded[2 + i]!;
  return padded.subarray(0, 2 + count + length);
}

async function copyRange(from: import('node:fs/promises').FileHandle, to: import('node:fs/promises').FileHandle, start: number, length: number): Promise<void> {
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await from.read(buffer, 0, Math.min(buffer.length, length - done), start + done);
    if (bytesRead === 0) throw new Error('short read');
    await to.write(buffer, 0, bytesRead);
    done += bytesRead;
  }
}
