// Validates every signature of a PDF (ETSI EN 319 102-1 §5.3 basic signatures, with the PAdES
// rules of EN 319 142-1 and the modification rules of ISO 32000-2 §12.8.2): structure first with
// positioned reads, then one pass over the file for all digests, then the CMS, time-stamps, trust
// and the changes made after each signature, and a verdict for the document.

import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { isMapsignError, MapsignError } from '../errors.js';
import { openRevisionReader, PdfDict, PdfReader, PdfRef, PdfString, readRevisionIndex, type PdfObject } from '../pdf/index.js';
import { diffRevisions, type FieldLock } from './changes.js';
import { finishCms, prepareCms } from './cms-check.js';
import { readDss, type DssContent } from './dss.js';
import { hashRanges, type HashJob, type HashProgress } from './hash-pass.js';
import { documentVerdict, finishSignature, trustReportOf, type Settings, type Working } from './indication.js';
import { findHiddenRevisions, markerEndingAt, readRevisions, type Revision } from './revisions.js';
import { checkLayout, findSignatures, signatureKind, type FoundSignature, type RevisionState, type SignatureLayout } from './signatures.js';
import { trustNotChecked, type CertificateValidator } from './trust.js';
import { VERIFY_REPORT_SCHEMA_VERSION, type DocumentFinding, type ObjectChange, type SignatureReport, type VerifyReport } from './types.js';
import { parsePdfDate, summarize, toVietnamTime } from './values.js';

export { parsePdfDate, toVietnamTime };

export interface VerifyOptions {
  /** Validates signer and TSA certificates; default: not checked (INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND). */
  trust?: CertificateValidator;
  /** Accept SHA-1 digests (mutool, old Acrobat); default false: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE. */
  isSha1Accepted?: boolean;
  /** Largest share of its page a visible signature widget added after signing may cover; default 0.05. */
  maxVisibleWidgetRatio?: number;
  /** Largest /Contents accepted, in bytes of DER; default 4 MiB. */
  maxContentsBytes?: number;
  /** Most revisions analysed; default 500. */
  maxRevisions?: number;
  /** The current time; default now. */
  now?: Date;
  onProgress?: HashProgress;
}

const DEFAULTS = { maxVisibleWidgetRatio: 0.05, maxContentsBytes: 4 * 1024 * 1024, maxRevisions: 500 };




function textOf(dict: PdfDict | null, key: string): string | null {
  const value = dict?.get(key);
  return value instanceof PdfString ? value.toText() : null;
}




async function openStates(reader: PdfReader, revisions: Revision[]): Promise<RevisionState[]> {
  const states: RevisionState[] = [];
  for (const [position, revision] of revisions.entries()) {
    const state = revision.end >= reader.size ? reader : await openRevisionReader(reader, revision.end);
    states.push({ position, revision, reader: state, index: await readRevisionIndex(state) });
  }
  return states;
}

async function enumerate(states: RevisionState[], findings: DocumentFinding[]): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const state of states) {
    try {
      await findSignatures(state, found);
    } catch (error) {
      findings.push({ code: isMapsignError(error) ? error.code : 'PDF_MALFORMED', message: `the form of revision ${state.position + 1} cannot be read: ${String(error instanceof Error ? error.message : error)}`, offset: state.revision.end, affectsSignatures: false });
    }
  }
  return found;
}

function permissionOf(value: PdfObject | undefined): 1 | 2 | 3 | null {
  return value === 1 || value === 2 || value === 3 ? value : null;
}

/** DocMDP /P and FieldMDP from the signature dictionary's /Reference and the field's /Lock. */
async function readPermissions(state: RevisionState, found: FoundSignature, index: number): Promise<Pick<Working, 'docMdp' | 'lock' | 'lockP'>> {
  const reader = state.reader;
  let docMdp: 1 | 2 | 3 | null = null;
  let lockParams: PdfDict | null = found.lock;
  const references = await reader.resolve(found.dict?.get('Reference')).catch(() => undefined);
  for (const reference of Array.isArray(references) ? references : []) {
    const dict = await reader.resolveDict(reference).catch(() => undefined);
    const method = dict?.getName('TransformMethod');
    const params = (await reader.resolveDict(dict?.get('TransformParams')).catch(() => undefined)) ?? new PdfDict();
    if (method === 'DocMDP') {
      const perms = await reader.resolveDict((await reader.catalog()).get('Perms')).catch(() => undefined);
      const target = perms?.get('DocMDP');
      if (target instanceof PdfRef && target.equals(found.ref)) docMdp = permissionOf(await reader.resolve(params.get('P'))) ?? 2;
    } else if (method === 'FieldMDP' && lockParams === null) {
      lockParams = params;
    }
  }
  let lock: FieldLock | null = null;
  let lockP: 1 | 2 | 3 | null = null;
  if (lockParams) {
    const action = lockParams.getName('Action');
    const names = await reader.resolve(lockParams.get('Fields')).catch(() => undefined);
    const fields = (Array.isArray(names) ? names : []).filter((n): n is PdfString => n instanceof PdfString).map((n) => n.toText());
    const matches = (name: string): boolean => fields.some((f) => name === f || name.startsWith(`${f}.`));
    if (action === 'All' || action === 'Include' || action === 'Exclude') {
      lock = { signatureIndex: index, isLocked: (name) => (action === 'All' ? true : action === 'Include' ? matches(name) : !matches(name)) };
    }
    lockP = permissionOf(await reader.resolve(lockParams.get('P')).catch(() => undefined));
  }
  return { docMdp, lock, lockP };
}

function emptyReport(found: FoundSignature, index: number, states: RevisionState[]): SignatureReport {
  const dict = found.dict;
  const subFilter = dict?.getName('SubFilter') ?? null;
  const claimed = textOf(dict, 'M');
  const claimedDate = claimed === null ? null : parsePdfDate(claimed);
  return {
    index,
    fieldName: found.fieldName,
    kind: signatureKind(dict),
    subFilter,
    format: 'UNKNOWN',
    revision: found.position + 1,
    byteRange: null,
    coversWholeDocument: found.position === states.length - 1,
    indication: 'INDETERMINATE',
    subIndication: null,
    errors: [...found.errors],
    warnings: [],
    signer: null,
    signingTime: { time: claimedDate ? toVietnamTime(claimedDate) : null, source: claimedDate ? 'M' : null, isProven: false, claimed: claimedDate ? toVietnamTime(claimedDate) : claimed },
    reason: textOf(dict, 'Reason'),
    location: textOf(dict, 'Location'),
    contactInfo: textOf(dict, 'ContactInfo'),
    integrity: { isByteRangeValid: false, digestAlgorithm: null, isDigestValid: null, isSignatureValid: null, isSignerCertificateBound: null },
    timestamp: null,
    trust: trustReportOf({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', chain: [], revocation: 'not-checked', validator: 'none', message: 'trust was not checked' }),
    level: null,
    certificationPermission: null,
    changesAfter: { allowed: 0, disallowed: 0 },
  };
}

function failedReport(path: string, size: number, error: MapsignError, now: Date, options: Required<Pick<VerifyOptions, 'isSha1Accepted' | 'maxVisibleWidgetRatio'>>, validator: string): VerifyReport {
  const isEncrypted = error.code === 'PDF_ENCRYPTED';
  return {
    schemaVersion: VERIFY_REPORT_SCHEMA_VERSION,
    file: { name: basename(path), size, sha256: null },
    validationTime: toVietnamTime(now),
    verdict: { indication: isEncrypted ? 'INDETERMINATE' : 'FAILED', subIndication: 'FORMAT_FAILURE', code: error.code, message: `the file cannot be read as a PDF: ${error.message}` },
    policy: { trustValidator: validator, isSha1Accepted: options.isSha1Accepted, maxVisibleWidgetRatio: options.maxVisibleWidgetRatio },
    revisions: [],
    signatures: [],
    changes: [],
    findings: [{ code: error.code, message: error.message, offset: typeof error.details['offset'] === 'number' ? error.details['offset'] : null, affectsSignatures: true }],
  };
}

/**
 * Validates every signature of the PDF at `path`. Bad input never throws: it comes back as a
 * report with an indication and an error code. Only a file that cannot be opened throws.
 */
export async function verifyPdf(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const now = options.now ?? new Date();
  const isSha1Accepted = options.isSha1Accepted ?? false;
  const maxVisibleWidgetRatio = options.maxVisibleWidgetRatio ?? DEFAULTS.maxVisibleWidgetRatio;
  const maxContentsBytes = options.maxContentsBytes ?? DEFAULTS.maxContentsBytes;
  const trust = options.trust ?? trustNotChecked;
  const validatorName = options.trust ? 'configured' : 'none';
  const size = (await stat(path).catch((error: unknown) => {
    throw new MapsignError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'IO_FAILED', `cannot read ${path}`, { cause: error, details: { path } });
  })).size;

  let reader: PdfReader;
  try {
    reader = await PdfReader.open(path);
  } catch (error) {
    if (isMapsignError(error) && (error.code === 'INPUT_NOT_FOUND' || error.code === 'IO_FAILED')) throw error;
    const mapsignError = isMapsignError(error) ? error : new MapsignError('PDF_MALFORMED', String(error), { cause: error });
    const report = failedReport(path, size, mapsignError, now, { isSha1Accepted, maxVisibleWidgetRatio }, validatorName);
    report.file.sha256 = (await hashRanges(path, [{ algorithm: 'sha256', a: size, b: size, end: size }], options.onProgress))[0]!.toString('hex');
    return report;
  }
  try {
    return await validate(reader, path, { ...options, now, isSha1Accepted, maxVisibleWidgetRatio, maxContentsBytes, trust, validatorName });
  } catch (error) {
    if (isMapsignError(error) && (error.code === 'INPUT_NOT_FOUND' || error.code === 'IO_FAILED')) throw error;
    const mapsignError = isMapsignError(error) ? error : new MapsignError('INTERNAL_ERROR', error instanceof Error ? error.message : String(error), { cause: error });
    return failedReport(path, size, mapsignError, now, { isSha1Accepted, maxVisibleWidgetRatio }, validatorName);
  } finally {
    await reader.close();
  }
}


async function validate(reader: PdfReader, path: string, settings: Settings): Promise<VerifyReport> {
  const findings: DocumentFinding[] = [];
  const scan = await readRevisions(reader);
  let revisions = scan.revisions;
  const maxRevisions = settings.maxRevisions ?? DEFAULTS.maxRevisions;
  if (revisions.length > maxRevisions) throw new MapsignError('PDF_LIMIT_EXCEEDED', `the file has ${revisions.length} revisions, more than the ${maxRevisions} analysed`);
  let states = await openStates(reader, revisions);
  let found = await enumerate(states, findings);

  // Revisions the /Prev chain skips: after the first signature, every %%EOF must be one of ours.
  const signedEnds = found.flatMap((f) => {
    const range = f.dict?.get('ByteRange');
    return Array.isArray(range) && range.length === 4 && range.every((n) => typeof n === 'number') ? [(range[2] as number) + (range[3] as number)] : [];
  });
  if (signedEnds.length > 0 || revisions.length > 1 || scan.trailingData) {
    // A trailer /Prev can skip the very revision a signature was in, so look from the first revision on.
    const hidden = await findHiddenRevisions(reader, revisions, Math.min(revisions[0]!.end, ...signedEnds));
    for (const end of signedEnds) {
      if (end > reader.size || revisions.some((r) => r.end === end || r.eofEnd === end) || hidden.some((r) => r.end === end || r.eofEnd === end)) continue;
      const marker = await markerEndingAt(reader, end);
      if (marker) hidden.push(marker);
    }
    if (hidden.length > 0) {
      revisions = [...revisions, ...hidden].sort((a, b) => a.end - b.end);
      for (const revision of hidden) {
        findings.push({ code: 'PDF_REVISION_HIDDEN', message: `the revision ending at offset ${revision.end} (cross-reference at ${revision.xrefOffset}) is not reachable from the document's /Prev chain: a later revision skips it`, offset: revision.end, affectsSignatures: true });
      }
      states = await openStates(reader, revisions);
      findings.splice(0, findings.length, ...findings.filter((f) => f.code === 'PDF_REVISION_HIDDEN'));
      found = await enumerate(states, findings);
    }
  }
  // A hidden revision is harmless when every signature covers it; an attack when it holds or follows a signed revision.
  const allSignedEnds = found.flatMap((f) => {
    const range = f.dict?.get('ByteRange');
    return Array.isArray(range) && range.length === 4 && range.every((n) => typeof n === 'number') ? [(range[2] as number) + (range[3] as number)] : [];
  });
  for (const finding of findings) {
    if (finding.code === 'PDF_REVISION_HIDDEN') finding.affectsSignatures = allSignedEnds.some((end) => end <= (finding.offset ?? 0));
  }
  if (scan.trailingData) {
    findings.push({ code: 'PDF_UNEXPLAINED_DATA', message: `${scan.trailingData.length} bytes follow the last revision without a cross-reference section: objects appended there are not part of any signed or declared revision`, offset: scan.trailingData.offset, affectsSignatures: found.length > 0 });
  }
  found.sort((x, y) => x.position - y.position);

  // Structure, CMS and permissions of each signature.
  const working: Working[] = [];
  for (const [i, signature] of found.entries()) {
    const index = i + 1;
    const state = states[signature.position]!;
    const report = emptyReport(signature, index, states);
    let layout: SignatureLayout;
    try {
      layout = signature.errors.length > 0 ? { byteRange: null, der: null, errors: [] } : await checkLayout(state, signature, revisions, settings.maxContentsBytes);
    } catch (error) {
      layout = { byteRange: null, der: null, errors: [{ code: isMapsignError(error) ? error.code : 'PDF_MALFORMED', message: error instanceof Error ? error.message : String(error) }] };
    }
    report.byteRange = layout.byteRange;
    report.errors.push(...layout.errors);
    report.integrity.isByteRangeValid = layout.der !== null;
    const prepared = layout.der ? prepareCms(layout.der, report.subFilter, report.kind === 'document-timestamp') : null;
    if (prepared) {
      report.format = prepared.format;
      report.warnings.push(...prepared.warnings);
      report.signer = summarize(prepared.docTimestamp?.signerCertificate ?? prepared.parsed?.signerCertificate ?? null);
      if (prepared.signingTimeAttribute && report.signingTime.source === null) {
        report.signingTime = { ...report.signingTime, time: toVietnamTime(prepared.signingTimeAttribute), source: 'signing-time' };
      }
    }
    const permissions = await readPermissions(state, signature, index).catch(() => ({ docMdp: null, lock: null, lockP: null }));
    report.certificationPermission = permissions.docMdp;
    working.push({ found: signature, index, layout, prepared, outcome: null, report, ...permissions, isMisplacedCertification: false });
  }
  const certification = working.find((w) => w.docMdp !== null);
  if (certification && certification.index !== 1) {
    certification.isMisplacedCertification = true;
    certification.report.errors.push({ code: 'SIGNATURE_FORMAT_INVALID', message: 'a certification (DocMDP) signature must be the first signature of the document' });
  }

  // One pass: every digest, and the SHA-256 of the whole file.
  const jobs: HashJob[] = [{ algorithm: 'sha256', a: reader.size, b: reader.size, end: reader.size }];
  const jobOf = new Map<Working, number>();
  for (const w of working) {
    if (!w.prepared?.rangeHash || w.prepared.failure || !w.layout.byteRange) continue;
    const [, a, b, c] = w.layout.byteRange;
    jobOf.set(w, jobs.length);
    jobs.push({ algorithm: w.prepared.rangeHash, a, b, end: b + c });
  }
  const digests = await hashRanges(path, jobs, settings.onProgress);
  for (const w of working) {
    const job = jobOf.get(w);
    if (job === undefined) continue;
    w.outcome = finishCms(w.layout.der!, w.prepared!, digests[job]!);
    w.report.integrity = w.outcome.integrity;
  }

  // Changes after each signature, revision by revision.
  const changes: ObjectChange[] = [];
  const firstPosition = working.length > 0 ? Math.min(...working.map((w) => w.found.position)) : states.length;
  for (let position = firstPosition + 1; position < states.length; position++) {
    const older = working.filter((w) => w.found.position < position);
    const certifying = older.find((w) => w.docMdp !== null && w.index === 1);
    const lockLevels = older.map((w) => w.lockP).filter((p): p is 1 | 2 | 3 => p !== null);
    const levels = [...(certifying ? [certifying.docMdp!] : []), ...lockLevels];
    const docMdp = levels.length > 0 ? (Math.min(...levels) as 1 | 2 | 3) : null;
    const locks = older.map((w) => w.lock).filter((l): l is FieldLock => l !== null);
    try {
      changes.push(...(await diffRevisions(states[position - 1]!, states[position]!, { docMdp, locks, maxVisibleWidgetRatio: settings.maxVisibleWidgetRatio })));
    } catch (error) {
      changes.push({
        revision: position + 1,
        objectNumber: 0,
        generation: 0,
        kind: 'modified',
        objectType: 'revision',
        page: null,
        isAllowed: false,
        code: 'object-changed',
        message: `revision ${position + 1} cannot be compared with the one before: ${error instanceof Error ? error.message : String(error)}`,
        violates: 'policy',
        lockedBy: null,
      });
    }
  }

  // Time-stamps, trust, levels and indications.
  const dss = await readDss(reader).catch((): DssContent => ({ certificates: [], ocsps: [], crls: [] }));
  const dssRevision = Math.max(0, ...changes.filter((c) => c.code === 'dss-updated').map((c) => c.revision));
  const docTimestamps = working.filter((w) => w.prepared?.docTimestamp && w.outcome && !w.outcome.failure);
  for (const w of working) await finishSignature(w, settings, dss, changes, findings, docTimestamps, dssRevision);

  return {
    schemaVersion: VERIFY_REPORT_SCHEMA_VERSION,
    file: { name: basename(path), size: reader.size, sha256: digests[0]!.toString('hex') },
    validationTime: toVietnamTime(settings.now),
    verdict: documentVerdict(working.map((w) => w.report), findings),
    policy: { trustValidator: settings.validatorName === 'none' ? 'none' : (working.find((w) => w.report.trust.validator !== 'none')?.report.trust.validator ?? 'configured'), isSha1Accepted: settings.isSha1Accepted, maxVisibleWidgetRatio: settings.maxVisibleWidgetRatio },
    revisions: states.map((s) => ({ index: s.position + 1, end: s.revision.end, xrefOffset: s.revision.xrefOffset, isHidden: s.revision.isHidden })),
    signatures: working.map((w) => w.report),
    changes,
    findings,
  };
}

