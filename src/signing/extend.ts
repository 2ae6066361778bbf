// `mapsign extend`: bring an already signed sheet to PAdES B-LTA (ETSI EN 319 142-1 §6.4): copy it
// once while hashing it, then append a /DSS with the validation data of every signature's and
// time-stamp's chain and a new document time-stamp over it all. Earlier signatures are untouched.
// The archive runs this to renew sheets before their time-stamps' certificates expire.

import { createHash, X509Certificate } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { MapsignError, fromSystemError } from '../errors.js';
import { parseSignedData, readSignatureTimeStampTokens } from '../cms/index.js';
import { inspectPdf } from '../pdf/index.js';
import { copyConsuming, type ProgressListener } from './digest.js';
import { appendDocumentTimestamp, appendDss, collectValidationData, type OutputState, type ValidationDataOptions } from './ltv.js';
import { assertOutputFree, publishTemporaryFile, temporaryPathFor } from './output-file.js';
import type { Timestamper } from './tsa-client.js';

export interface ExtendPdfOptions {
  input: string;
  output: string;
  timestamper: Timestamper;
  validation: ValidationDataOptions;
  /** Extra certificates (e.g. the trust roots) offered to complete chains. */
  extraCertificates?: Buffer[];
  overwrite?: boolean;
  durable?: boolean;
  onProgress?: ProgressListener;
}

export interface ExtendPdfResult {
  output: string;
  size: number;
  sha256: string;
  level: 'B-LTA';
  signatures: number;
  documentTimestampTime: string;
  documentTimestampField: string;
  /** Whether the DSS gained anything (false when it already held all the validation data). */
  isDssExtended: boolean;
}

/** Orders `leaf`'s issuers out of `pool`: leaf first, then each issuer, as far as the pool goes. */
export function chainFromPool(leaf: Buffer, pool: readonly Buffer[]): Buffer[] {
  const parsed = pool.map((der) => ({ der, cert: new X509Certificate(der) }));
  const chain = [leaf];
  let current = new X509Certificate(leaf);
  for (let depth = 0; depth < 10; depth++) {
    if (current.issuer === current.subject) break;
    const issuer = parsed.find(({ cert }) => !chain.some((c) => c.equals(cert.raw)) && current.checkIssued(cert) && current.verify(cert.publicKey));
    if (!issuer) break;
    chain.push(issuer.der);
    current = issuer.cert;
  }
  return chain;
}

async function readSignatureContents(handle: FileHandle, byteRange: number[]): Promise<Buffer> {
  const [, b, c] = byteRange as [number, number, number, number];
  const hex = Buffer.alloc(c - b - 2);
  await handle.read(hex, 0, hex.length, b + 1);
  // The zero padding after the DER is harmless: the CMS readers stop at the end of the first object.
  return Buffer.from(hex.toString('latin1'), 'hex');
}

/** The chains whose validation data a B-LTA extension must carry: each signer's and each TSA's. */
async function chainsOf(path: string, extra: readonly Buffer[]): Promise<{ chains: Buffer[][]; signatures: number }> {
  const info = await inspectPdf(path);
  if (info.signatures.length === 0) throw new MapsignError('ARCHIVE_NOT_SIGNED', `${path} holds no signature to extend`);
  const handle = await open(path, 'r');
  const chains: Buffer[][] = [];
  try {
    for (const signature of info.signatures) {
      if (!signature.byteRange) continue;
      const contents = await readSignatureContents(handle, signature.byteRange);
      const cmsList = signature.subFilter === 'ETSI.RFC3161' ? [contents] : [contents, ...readSignatureTimeStampTokens(contents)];
      for (const cms of cmsList) {
        const parsed = parseSignedData(cms);
        if (parsed.signerCertificate) chains.push(chainFromPool(parsed.signerCertificate, [...parsed.certificates, ...extra]));
      }
    }
  } finally {
    await handle.close();
  }
  return { chains, signatures: info.signatures.length };
}

export async function extendPdf(options: ExtendPdfOptions): Promise<ExtendPdfResult> {
  const isDurable = options.durable ?? true;
  await assertOutputFree(options.output, options.overwrite ?? false);
  const { chains, signatures } = await chainsOf(options.input, options.extraCertificates ?? []);
  const content = await collectValidationData(chains, options.validation);
  const temp = temporaryPathFor(options.output);
  let input: FileHandle | undefined;
  let output: FileHandle | undefined;
  let isDone = false;
  try {
    input = await open(options.input, 'r').catch((error: unknown) => {
      throw fromSystemError(error, options.input);
    });
    output = await open(temp, 'w+', 0o644).catch((error: unknown) => {
      throw fromSystemError(error, temp);
    });
    const size = (await input.stat()).size;
    const runningHash = createHash('sha256');
    await copyConsuming(input, output, size, (chunk, end) => {
      runningHash.update(chunk);
      options.onProgress?.(end, size);
    }, isDurable, options.input);
    const state: OutputState = { path: temp, handle: output, size, runningHash };
    const isDssExtended = await appendDss(state, content);
    const stamp = await appendDocumentTimestamp(state, options.timestamper);
    const finished = output;
    output = undefined;
    await publishTemporaryFile(finished, temp, options.output, isDurable);
    isDone = true;
    return {
      output: options.output,
      size: state.size,
      sha256: state.runningHash.digest('hex'),
      level: 'B-LTA',
      signatures,
      documentTimestampTime: stamp.time,
      documentTimestampField: stamp.fieldName,
      isDssExtended,
    };
  } finally {
    await output?.close().catch(() => undefined);
    await input?.close().catch(() => undefined);
    if (!isDone) await rm(temp, { force: true }).catch(() => undefined);
  }
}
