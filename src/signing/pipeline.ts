// The signing pipeline (ETSI EN 319 142-1 PAdES B-B): check signer → prepare revision → digest →
// sign → embed → verify own output, then rename. The output is written to a temporary file
// next to the target and renamed only when everything succeeded, so a failure leaves nothing.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { MapsignError, PlaceholderTooSmallError, fromSystemError } from '../errors.js';
import { estimateSignedDataSize, type HashAlgorithm } from '../cms/index.js';
import { markWrittenFile, PdfReader, rememberDigest, type StampPlacement, type VisibleStampOptions } from '../pdf/index.js';
import { createRevocationChecker, type KeySource } from '../pki/index.js';
import { checkSigner, type CheckSignerOptions, type CheckSignerResult } from './check-signer.js';
import { copyAndDigest, type ProgressListener } from './digest.js';
import { embedSignature } from './embed.js';
import { prepareRevision } from './prepare-revision.js';
import { signDigest, type TimestampPolicy } from './sign.js';
import { verifyOwnOutput } from './verify-own-output.js';
import { chainFromPool } from './extend.js';
import { appendDocumentTimestamp, appendDss, collectValidationData, type OutputState } from './ltv.js';
import { assertOutputFree, publishTemporaryFile, temporaryPathFor } from './output-file.js';
import { completeStamp } from './stamp.js';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface SignPdfOptions {
  input: string;
  output: string;
  keySource: KeySource;
  hashAlgorithm?: HashAlgorithm;
  /** 1-based page for the widget; default: the last page. */
  pageNumber?: number;
  fieldName?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signing time written to /M; default: now. */
  signingTime?: Date;
  /** Replace an existing output file; default false. */
  overwrite?: boolean;
  onProgress?: ProgressListener;
  /** fsync the output before renaming it (default true); false trades crash safety for speed. */
  durable?: boolean;
  /**
   * With `durable`, also flush the output's folder after the rename, so that its name survives a
   * power cut (default true). False for a caller that moves the file on at once and flushes the
   * folder it moves it to (the service's work store).
   */
  syncDirectory?: boolean;
  /** Extra bytes reserved in /Contents beyond the estimate. */
  extraReservedBytes?: number;
  /** Time-stamp the signature with this TSA policy; required for B-T and above. */
  timestamp?: TimestampPolicy;
  /**
   * PAdES level (ETSI EN 319 142-1 §6): B-B (default, or B-T when `timestamp` is given); B-T adds a
   * signature time-stamp; B-LT a /DSS with the validation data of the signer's and the TSA's
   * chains; B-LTA a document time-stamp over that.
   */
  level?: PadesLevel;
  /** Validate the signer's path against these roots before signing; without it only validity and key usage are checked. */
  trust?: CheckSignerOptions['trust'];
  /** With `trust`: the revocation policy, 'hard-fail' by default. */
  revocation?: CheckSignerOptions['revocation'];
  /**
   * A visible stamp on the widget, in the signature's own increment. {signerName} and
   * {organisation} default to the certificate's; {signingTime} is the signing time (+07:00).
   */
  stamp?: VisibleStampOptions;
}

export interface SignPdfResult {
  output: string;
  fieldName: string;
  pageNumber: number;
  hashAlgorithm: HashAlgorithm;
  byteRange: [number, number, number, number];
  /** Bytes of the output file. */
  size: number;
  /** SHA-256 of the output file, hex. */
  sha256: string;
  signer: CheckSignerResult;
  signingTime: string;
  level: PadesLevel;
  /** Time of the signature time-stamp (B-T), ISO 8601. */
  timestampTime: string | null;
  /** Time of the document time-stamp (B-LTA), ISO 8601. */
  documentTimestampTime: string | null;
  /** Set when a TSA failure lowered the level to B-B, as the policy allowed. */
  loweredBecause: string | null;
  reservedBytes: number;
  signatureBytes: number;
  /** How many times the reservation had to grow. */
  attempts: number;
  /** Where the visible stamp went (only with `stamp`). */
  stamp?: StampPlacement;
}

const MAX_ATTEMPTS = 3;
/** Room for a signature time-stamp token with its TSA chain. */
const TIMESTAMP_RESERVE_BYTES = 12_000;

/**
 * Remembers the digests this pass computed over every byte of the output, under the file's stamp:
 * a verification of the same unchanged file in this process does not read it again.
 */
async function rememberOutputDigests(path: string, hashAlgorithm: HashAlgorithm, byteRange: [number, number, number, number], digest: Buffer, size: number, sha256: string): Promise<void> {
  const stamp = await markWrittenFile(path);
  if (stamp === null) return;
  const [, a, b, c] = byteRange;
  rememberDigest(stamp, { algorithm: hashAlgorithm, a, b, end: b + c }, digest);
  rememberDigest(stamp, { algorithm: 'sha256', a: size, b: size, end: size }, Buffer.from(sha256, 'hex'));
}

export async function signPdf(options: SignPdfOptions): Promise<SignPdfResult> {
  const hashAlgorithm = options.hashAlgorithm ?? 'sha256';
  const signingTime = options.signingTime ?? new Date();
  const isDurable = options.durable ?? true;
  const chain = options.keySource.certificateChain();
  const requestedLevel = options.level ?? (options.timestamp ? 'B-T' : 'B-B');
  if (requestedLevel !== 'B-B' && !options.timestamp) {
    throw new MapsignError('USAGE_INVALID', `PAdES ${requestedLevel} needs a time-stamping authority (a TSA URL)`);
  }
  const isLongTerm = requestedLevel === 'B-LT' || requestedLevel === 'B-LTA';
  // One checker for the pre-sign check and the /DSS, so the evidence is fetched once.
  const checker = options.revocation?.checker ?? (isLongTerm ? createRevocationChecker() : undefined);
  const revocation = checker ? { ...options.revocation, checker } : options.revocation;
  const signer = await checkSigner(chain, signingTime, { trust: options.trust, revocation });
  await assertOutputFree(options.output, options.overwrite ?? false);
  const stamp = options.stamp ? completeStamp(options.stamp, signer, signingTime) : undefined;

  let reservedBytes =
    estimateSignedDataSize({
      certificates: chain,
      signatureBytes: options.keySource.maxSignatureBytes,
      hashAlgorithm,
      extraBytes: (options.extraReservedBytes ?? 0) + (options.timestamp ? TIMESTAMP_RESERVE_BYTES : 0),
    }) + 64;

  const reader = await PdfReader.open(options.input);
  const temp = temporaryPathFor(options.output);
  let input: FileHandle | undefined;
  let output: FileHandle | undefined;
  let isDone = false;
  try {
    input = await open(options.input, 'r').catch((error: unknown) => {
      throw fromSystemError(error, options.input);
    });
    for (let attempt = 1; ; attempt++) {
      const revision = await prepareRevision(reader, {
        pageNumber: options.pageNumber,
        fieldName: options.fieldName,
        reservedBytes,
        signingTime,
        reason: options.reason,
        location: options.location,
        contactInfo: options.contactInfo,
        stamp,
      });
      output = await open(temp, 'w', 0o644).catch((error: unknown) => {
        throw fromSystemError(error, temp);
      });
      const { prepared, fileHashUpToGap } = await copyAndDigest(input, options.input, output, revision, hashAlgorithm, options.onProgress, isDurable);
      const { cms, timestampTime, loweredBecause, tsaCertificates } = await signDigest(Buffer.from(prepared.digest, 'hex'), hashAlgorithm, options.keySource, options.timestamp);
      try {
        const tail = revision.increment.subarray(prepared.reservedEnd - revision.baseSize);
        const embedded = await embedSignature(output, prepared, cms, fileHashUpToGap, tail);
        await verifyOwnOutput(temp, prepared, cms, revision.signatureObjectNumber);
        const state: OutputState = { path: temp, handle: output, size: prepared.totalSize, runningHash: embedded.runningFileHash };
        let level: PadesLevel = timestampTime ? 'B-T' : 'B-B';
        let documentTimestampTime: string | null = null;
        if (isLongTerm && timestampTime && checker) {
          const tsaChain = tsaCertificates[0] ? chainFromPool(tsaCertificates[0], tsaCertificates) : [];
          const content = await collectValidationData([chain, tsaChain], { checker, policy: options.revocation?.policy });
          await appendDss(state, content);
          level = 'B-LT';
          if (requestedLevel === 'B-LTA') {
            documentTimestampTime = (await appendDocumentTimestamp(state, options.timestamp!.timestamper)).time;
            level = 'B-LTA';
          }
        }
        const size = state.size;
        const sha256 = state.runningHash.digest('hex');
        output = undefined;
        await publishTemporaryFile(state.handle, temp, options.output, isDurable, options.syncDirectory ?? true);
        isDone = true;
        await rememberOutputDigests(options.output, hashAlgorithm, prepared.byteRange, Buffer.from(prepared.digest, 'hex'), size, sha256);
        return {
          output: options.output,
          fieldName: revision.fieldName,
          pageNumber: revision.pageNumber,
          hashAlgorithm,
          byteRange: prepared.byteRange,
          size,
          sha256,
          signer,
          signingTime: signingTime.toISOString(),
          level,
          timestampTime,
          documentTimestampTime,
          loweredBecause,
          reservedBytes,
          signatureBytes: cms.length,
          attempts: attempt,
          ...(revision.stampPlacement ? { stamp: revision.stampPlacement } : {}),
        };
      } catch (error) {
        if (!(error instanceof PlaceholderTooSmallError) || attempt >= MAX_ATTEMPTS) throw error;
        // Grow the reservation and redo the pass; a signature is never truncated.
        reservedBytes = error.required + 1024;
        await output?.close();
        output = undefined;
      }
    }
  } finally {
    await output?.close().catch(() => undefined);
    await input?.close().catch(() => undefined);
    await reader.close().catch(() => undefined);
    if (!isDone) await rm(temp, { force: true }).catch(() => undefined);
  }
}
