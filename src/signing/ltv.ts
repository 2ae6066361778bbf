// Stage 7, extendLtv (PAdES B-LT and B-LTA, ETSI EN 319 142-1 §6.3-6.4): append a /DSS with the
// certificates, OCSP responses and CRLs of the signer's and the TSA's chains, then a document
// time-stamp over everything before it. Both are further increments appended to the output;
// the SHA-256 of the file runs on from the signature pass, so no byte is read twice.

import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MapsignError, PlaceholderTooSmallError } from '../errors.js';
import { buildIncrementFor, formatContents, planDss, PdfReader, type DssContent } from '../pdf/index.js';
import { collectRevocationData, enforceRevocationPolicy, type RevocationChecker, type RevocationPolicy } from '../pki/index.js';
import { prepareRevision } from './prepare-revision.js';
import type { Timestamper } from './tsa-client.js';

/** The output being written: its open handle, its length so far, and the SHA-256 of those bytes. */
export interface OutputState {
  path: string;
  handle: FileHandle;
  size: number;
  runningHash: Hash;
}

export interface ValidationDataOptions {
  checker: RevocationChecker;
  /** What to do when a status cannot be established; default 'hard-fail'. */
  policy?: RevocationPolicy;
}

/** Room for a document time-stamp token; grown and redone if the TSA's token is larger. */
const DOCUMENT_TIMESTAMP_RESERVE_BYTES = 12_000;

async function append(state: OutputState, bytes: Buffer): Promise<void> {
  await state.handle.write(bytes, 0, bytes.length, state.size);
  state.runningHash.update(bytes);
  state.size += bytes.length;
}

/** Fetches the revocation evidence of each chain (end entity first, root last) for the DSS. */
export async function collectValidationData(chains: Buffer[][], options: ValidationDataOptions): Promise<DssContent> {
  const content: DssContent = { certificates: [], ocspResponses: [], crls: [] };
  for (const chain of chains) {
    if (chain.length === 0) continue;
    const data = await collectRevocationData(chain, options.checker);
    const revoked = data.statuses.find((s) => s.status === 'revoked');
    if (revoked) {
      throw new MapsignError('CERT_REVOKED', `certificate of ${revoked.subject} was revoked${revoked.revocationTime ? ` on ${revoked.revocationTime.toISOString()}` : ''}`, {
        details: { subject: revoked.subject, serialNumber: revoked.serialNumber },
      });
    }
    enforceRevocationPolicy(data.statuses, options.policy ?? 'hard-fail');
    content.certificates.push(...data.certificates);
    content.ocspResponses.push(...data.ocspResponses);
    content.crls.push(...data.crls);
  }
  return content;
}

/** Appends a /DSS increment holding `content`. Returns false when the DSS already held all of it. */
export async function appendDss(state: OutputState, content: DssContent): Promise<boolean> {
  const reader = await PdfReader.open(state.path);
  try {
    const objects = await planDss(reader, content);
    if (objects.length === 0) return false;
    const increment = await buildIncrementFor(reader, objects);
    await append(state, increment.bytes);
    return true;
  } finally {
    await reader.close();
  }
}

/** Appends a document time-stamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`) over the whole file so far. */
export async function appendDocumentTimestamp(state: OutputState, timestamper: Timestamper): Promise<{ time: string; fieldName: string }> {
  let reservedBytes = DOCUMENT_TIMESTAMP_RESERVE_BYTES;
  const baseSize = state.size;
  const hashAtBase = state.runningHash.copy();
  for (let attempt = 1; ; attempt++) {
    const reader = await PdfReader.open(state.path);
    let revision;
    try {
      revision = await prepareRevision(reader, { kind: 'document-timestamp', reservedBytes, signingTime: new Date() });
    } finally {
      await reader.close();
    }
    const gapStart = revision.reservedStart - baseSize;
    const gapEnd = revision.reservedEnd - baseSize;
    const rangeHash = hashAtBase.copy();
    rangeHash.update(revision.increment.subarray(0, gapStart));
    rangeHash.update(revision.increment.subarray(gapEnd));
    const token = await timestamper(rangeHash.digest(), 'sha256');
    if (token.token.length > reservedBytes) {
      if (attempt >= 2) throw new PlaceholderTooSmallError(token.token.length, reservedBytes);
      reservedBytes = token.token.length + 1024;
      continue;
    }
    formatContents(token.token, reservedBytes).copy(revision.increment, gapStart + 1);
    await append(state, revision.increment);
    return { time: token.genTime.toISOString(), fieldName: revision.fieldName };
  }
}
