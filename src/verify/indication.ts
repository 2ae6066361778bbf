// The indication of each signature (ETSI EN 319 102-1 §5.3.4: a failure beats an indeterminate
// result, which beats a pass) and the verdict for the document, once the digests, the CMS, the
// time-stamps, the trust hook and the changes after signing are known.

import type { ErrorCode } from '../errors.js';
import { checkSignatureTimestamp, type CmsOutcome, type PreparedCms } from './cms-check.js';
import { readCmsRevocationData } from './cms-revocation.js';
import { buildChain, isChainCovered, type DssContent } from './dss.js';
import type { FieldLock } from './changes.js';
import type { FoundSignature, SignatureLayout } from './signatures.js';
import type { CertificateValidationResult, CertificateValidator } from './trust.js';
import type { DocumentFinding, Indication, ObjectChange, PadesLevel, SignatureReport, SubIndication, TimestampReport, TrustReport, VerifyReport } from './types.js';
import { summarize, toVietnamTime } from './values.js';

export interface Working {
  found: FoundSignature;
  index: number;
  layout: SignatureLayout;
  prepared: PreparedCms | null;
  outcome: CmsOutcome | null;
  report: SignatureReport;
  /** DocMDP /P when this is a certification signature. */
  docMdp: 1 | 2 | 3 | null;
  lock: FieldLock | null;
  lockP: 1 | 2 | 3 | null;
  isMisplacedCertification: boolean;
}

export interface Settings {
  now: Date;
  isSha1Accepted: boolean;
  maxVisibleWidgetRatio: number;
  maxContentsBytes: number;
  maxRevisions?: number;
  trust: CertificateValidator;
  validatorName: string;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export function trustReportOf(result: CertificateValidationResult): TrustReport {
  const status = result.validator === 'none' ? 'not-checked' : result.indication === 'PASSED' ? 'trusted' : 'not-trusted';
  const chain = result.chain.map((der) => summarize(der)?.subject ?? '?');
  const time = (date: Date | null): string | null => (date ? toVietnamTime(date) : null);
  const revocationChecks = (result.revocationChecks ?? []).map((c) => ({
    subject: c.subject,
    serialNumber: c.serialNumber,
    status: c.status,
    source: c.source,
    kind: c.kind,
    thisUpdate: time(c.thisUpdate),
    nextUpdate: time(c.nextUpdate),
    producedAt: time(c.producedAt),
    revocationTime: time(c.revocationTime),
    revocationReason: c.revocationReason,
    message: c.message,
  }));
  return {
    status,
    indication: result.indication,
    subIndication: result.subIndication,
    chain,
    revocation: result.revocation,
    validator: result.validator,
    message: result.message,
    validationTime: time(result.validationTime ?? null),
    revocationChecks,
  };
}

function trustErrorCode(trust: TrustReport): ErrorCode {
  if (trust.status === 'not-checked') return 'TRUST_NOT_CHECKED';
  if (trust.subIndication === 'REVOKED' || trust.subIndication === 'REVOKED_NO_POE') return 'CERT_REVOKED';
  if (trust.subIndication === 'EXPIRED' || trust.subIndication === 'OUT_OF_BOUNDS_NO_POE' || trust.subIndication === 'OUT_OF_BOUNDS_NOT_REVOKED') return 'CERT_EXPIRED';
  if (trust.subIndication === 'NOT_YET_VALID') return 'CERT_NOT_YET_VALID';
  if (trust.subIndication === 'TRY_LATER') return 'REVOCATION_UNAVAILABLE';
  if (trust.subIndication === 'CRYPTO_CONSTRAINTS_FAILURE') return 'CERT_WEAK_ALGORITHM';
  return 'CERT_UNTRUSTED';
}

/** The TSA certificate at the time its token gives (the token proves its own time once its TSA is trusted). */
async function checkTimestampTrust(settings: Settings, signer: Buffer | null, certificates: Buffer[], dss: DssContent, time: Date | null, warnings: string[]): Promise<TrustReport | null> {
  if (!signer) return null;
  const result = await settings.trust({
    purpose: 'timestamp',
    signerCertificate: signer,
    certificates: [...certificates, ...dss.certificates],
    ocsps: dss.ocsps,
    crls: dss.crls,
    validationTime: time ?? settings.now,
    isValidationTimeProven: true,
    currentTime: settings.now,
  });
  warnings.push(...(result.warnings ?? []).map((w) => `time-stamp authority: ${w}`));
  return trustReportOf(result);
}

export async function finishSignature(
  w: Working,
  settings: Settings,
  dss: DssContent,
  changes: ObjectChange[],
  findings: DocumentFinding[],
  docTimestamps: Working[],
  dssRevision: number,
): Promise<void> {
  const report = w.report;
  const prepared = w.prepared;
  const revision = w.found.position + 1;
  const after = changes.filter((c) => c.revision > revision);
  const disallowed = after.filter((c) => !c.isAllowed && (c.violates !== 'lock' || (c.lockedBy ?? 0) <= w.index));
  const signedEnd = report.byteRange ? report.byteRange[2]! + report.byteRange[3]! : 0;
  const laterFindings = findings.filter((f) => f.affectsSignatures && (f.code === 'PDF_UNEXPLAINED_DATA' || (f.code === 'PDF_REVISION_HIDDEN' && (f.offset ?? 0) >= signedEnd)));
  report.changesAfter = { allowed: after.filter((c) => c.isAllowed).length, disallowed: disallowed.length + laterFindings.length };

  // Signature time-stamp: proof of existence when it verifies and its TSA is trusted.
  let timestamp: TimestampReport | null = null;
  if (prepared?.signatureTimestampToken && prepared.parsed && w.outcome && !w.outcome.failure) {
    const check = checkSignatureTimestamp(prepared.signatureTimestampToken, prepared.parsed.signature);
    const tsaTrust = check.isValid ? await checkTimestampTrust(settings, check.signerCertificate, check.certificates, dss, check.time, report.warnings) : null;
    timestamp = { kind: 'signature', isValid: check.isValid, time: check.time ? toVietnamTime(check.time) : null, tsa: summarize(check.signerCertificate), hashAlgorithm: check.hashAlgorithm, trust: tsaTrust, message: check.message };
    if (!check.isValid) report.warnings.push(`signature time-stamp: ${check.message}`);
    if (check.isValid && check.time) {
      report.signingTime = { ...report.signingTime, time: toVietnamTime(check.time), source: 'timestamp', isProven: tsaTrust?.indication === 'PASSED' };
    }
  }
  if (prepared?.docTimestamp && w.outcome && !w.outcome.failure) {
    const tsaTrust = await checkTimestampTrust(settings, prepared.docTimestamp.signerCertificate, prepared.docTimestamp.certificates, dss, prepared.docTimestamp.time, report.warnings);
    timestamp = { kind: 'document', isValid: true, time: toVietnamTime(prepared.docTimestamp.time), tsa: report.signer, hashAlgorithm: prepared.rangeHash, trust: tsaTrust, message: 'the document time-stamp verifies' };
    report.signingTime = { ...report.signingTime, time: toVietnamTime(prepared.docTimestamp.time), source: 'timestamp', isProven: tsaTrust?.indication === 'PASSED' };
    if (tsaTrust) report.trust = tsaTrust;
  }
  report.timestamp = timestamp;

  // The signer's certificate at the signing time.
  const signerCertificate = prepared?.parsed?.signerCertificate ?? null;
  if (signerCertificate && !prepared?.docTimestamp && w.outcome && !w.outcome.failure) {
    const time = report.signingTime.time ? new Date(report.signingTime.time) : settings.now;
    const claimed = report.signingTime.claimed === null ? Number.NaN : Date.parse(report.signingTime.claimed);
    const embedded = w.layout.der ? readCmsRevocationData(w.layout.der) : { ocsps: [], crls: [] };
    const result = await settings.trust({
      purpose: 'signature',
      signerCertificate,
      certificates: [...(prepared?.parsed?.certificates ?? []), ...dss.certificates],
      ocsps: dss.ocsps,
      crls: dss.crls,
      cmsOcsps: embedded.ocsps,
      cmsCrls: embedded.crls,
      validationTime: time,
      isValidationTimeProven: report.signingTime.isProven,
      claimedTime: Number.isNaN(claimed) ? null : new Date(claimed),
      currentTime: settings.now,
    });
    report.trust = trustReportOf(result);
    report.warnings.push(...(result.warnings ?? []));
  }

  // PAdES level: B-B, B-T (a time-stamp over it), B-LT (/DSS covers the chains), B-LTA (a document time-stamp over the /DSS).
  const isCryptoOk = w.outcome !== null && w.outcome.failure === null;
  if (report.format === 'PAdES' && isCryptoOk && !report.warnings.some((x) => x.includes('signing-time'))) {
    let level: PadesLevel = 'B-B';
    const laterDocTimestamp = docTimestamps.some((d) => d.found.position + 1 > revision);
    if (timestamp?.isValid || laterDocTimestamp) level = 'B-T';
    if (level === 'B-T' && dssRevision > revision && signerCertificate) {
      const pool = [...(prepared?.parsed?.certificates ?? []), ...dss.certificates];
      let isCovered = isChainCovered(buildChain(signerCertificate, pool), dss, prepared?.parsed?.certificates ?? []);
      const tsa = prepared?.signatureTimestampToken ? checkSignatureTimestamp(prepared.signatureTimestampToken, prepared.parsed!.signature) : null;
      if (isCovered && tsa?.signerCertificate) isCovered = isChainCovered(buildChain(tsa.signerCertificate, [...tsa.certificates, ...dss.certificates]), dss, tsa.certificates);
      if (isCovered) level = 'B-LT';
    }
    if (level === 'B-LT' && docTimestamps.some((d) => d.found.position + 1 > dssRevision)) level = 'B-LTA';
    report.level = level;
  }

  // The indication: FAILED beats INDETERMINATE beats PASSED (EN 319 102-1 §5.3.4).
  const set = (indication: Indication, subIndication: SubIndication): void => {
    report.indication = indication;
    report.subIndication = subIndication;
  };
  const layoutError = w.layout.errors.length > 0 || w.found.errors.length > 0;
  const certificationError = w.isMisplacedCertification;
  const failure = prepared?.failure ?? w.outcome?.failure ?? null;
  if (failure) report.errors.push(failure.error);
  if (layoutError || (!prepared && !failure)) {
    set('FAILED', 'FORMAT_FAILURE');
  } else if (failure?.indication === 'FAILED') {
    set('FAILED', failure.subIndication);
  } else if (certificationError) {
    set('FAILED', 'FORMAT_FAILURE');
  } else if (report.trust.indication === 'FAILED') {
    set('FAILED', report.trust.subIndication ?? 'CERTIFICATE_CHAIN_GENERAL_FAILURE');
  } else if (report.changesAfter.disallowed > 0) {
    set('FAILED', 'DISALLOWED_CHANGES');
  } else if (failure) {
    set('INDETERMINATE', failure.subIndication);
  } else if (w.outcome?.isSha1 && !settings.isSha1Accepted) {
    set('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE');
    report.errors.push({ code: 'SIGNATURE_WEAK_ALGORITHM', message: 'the signature uses SHA-1, which no longer protects against forgery; its bytes check out but it cannot be accepted' });
  } else if (report.trust.indication === 'INDETERMINATE') {
    set('INDETERMINATE', report.trust.subIndication ?? 'NO_CERTIFICATE_CHAIN_FOUND');
  } else {
    report.indication = 'PASSED';
    report.subIndication = null;
  }
  if (w.outcome?.isSha1 && settings.isSha1Accepted) report.warnings.push('SHA-1 digest accepted by policy (legacy signer)');
  if (report.subIndication === 'DISALLOWED_CHANGES' || (report.changesAfter.disallowed > 0 && report.indication !== 'PASSED')) {
    const what = [...new Set([...disallowed.map((c) => c.message), ...laterFindings.map((f) => f.message)])].slice(0, 5).join('; ');
    report.errors.push({ code: 'SIGNATURE_DISALLOWED_CHANGES', message: `changed after signing in a way that is not allowed: ${what}` });
  }
  if (report.trust.indication !== 'PASSED' && !report.errors.some((e) => e.code === trustErrorCode(report.trust)) && isCryptoOk) {
    report.errors.push({ code: trustErrorCode(report.trust), message: report.trust.message });
  }
}

export function documentVerdict(signatures: SignatureReport[], findings: DocumentFinding[]): VerifyReport['verdict'] {
  if (signatures.length === 0) {
    return { indication: 'INDETERMINATE', subIndication: 'NO_SIGNATURE_FOUND', code: 'SIGNATURE_NOT_FOUND', message: 'the file carries no signature' };
  }
  const failed = signatures.find((s) => s.indication === 'FAILED');
  if (failed) {
    return { indication: 'FAILED', subIndication: failed.subIndication, code: 'SIGNATURE_INVALID', message: `signature ${failed.index} is not valid (${failed.subIndication ?? ''})` };
  }
  const finding = findings.find((f) => f.affectsSignatures && (f.code === 'PDF_REVISION_HIDDEN' || f.code === 'PDF_UNEXPLAINED_DATA'));
  if (finding) return { indication: 'FAILED', subIndication: 'DISALLOWED_CHANGES', code: 'SIGNATURE_INVALID', message: finding.message };
  const indeterminate = signatures.find((s) => s.indication === 'INDETERMINATE');
  if (indeterminate) {
    const isTrustOnly = signatures.every((s) => s.indication === 'PASSED' || (s.subIndication === 'NO_CERTIFICATE_CHAIN_FOUND' && s.trust.status === 'not-checked'));
    const isTryLater = signatures.every((s) => s.indication === 'PASSED' || s.subIndication === 'TRY_LATER');
    if (isTryLater) {
      return {
        indication: 'INDETERMINATE',
        subIndication: 'TRY_LATER',
        code: 'REVOCATION_UNAVAILABLE',
        message: `signature ${indeterminate.index} cannot be confirmed yet: the revocation status of its certificates could not be established (${indeterminate.trust.message}); try again online or later`,
      };
    }
    return {
      indication: 'INDETERMINATE',
      subIndication: indeterminate.subIndication,
      code: isTrustOnly && indeterminate.trust.status === 'not-checked' ? 'TRUST_NOT_CHECKED' : 'SIGNATURE_INDETERMINATE',
      message: isTrustOnly && indeterminate.trust.status === 'not-checked'
        ? 'the signatures are intact, but whether their certificates are trusted was not checked (give trust anchors with --trust)'
        : `signature ${indeterminate.index} cannot be confirmed (${indeterminate.subIndication ?? ''})`,
    };
  }
  return { indication: 'PASSED', subIndication: null, code: null, message: `all ${signatures.length} signature(s) are valid and trusted, and nothing was changed after signing that the signers did not allow` };
}

