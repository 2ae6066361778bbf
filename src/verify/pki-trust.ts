// The full trust hook (ETSI EN 319 102-1 §5.2.6 X.509 certificate validation, with §5.2.5
// revocation freshness): the pki module's path validation to a configured root at the
// validation time, for the purpose at hand (document signing, time-stamping), then the
// revocation status of every certificate of the path from the document's /DSS and CMS first and
// online second, mapped to the standard's sub-indications (docs/verify-report.md, "Trust").

import { isMapsignError, type MapsignError } from '../errors.js';
import { describeCertificate, validateCertificatePath, type CertificatePath, type RevocationChecker, type RevocationPolicy, type TrustStore } from '../pki/index.js';
import { checkPathRevocation } from './revocation-status.js';
import type { CertificateValidationRequest, CertificateValidationResult, CertificateValidator, RevocationCheck } from './trust.js';
import type { Indication, SubIndication } from './types.js';

export const PKI_VALIDATOR_NAME = 'mapsign-pki';

export interface PkiTrustValidatorOptions {
  trustStore: TrustStore;
  /** 'hard-fail' (default): a status that cannot be established is INDETERMINATE/TRY_LATER; 'soft-fail' lets it pass with a warning; 'off' skips revocation. */
  revocationPolicy?: RevocationPolicy;
  /** Asked when the document's evidence settles nothing; null or absent: offline. */
  online?: RevocationChecker | null;
  /** Tolerated clock difference with CAs and responders; default 5 minutes. */
  clockSkewMs?: number;
}

/** Reasons of CERT_UNTRUSTED (path-validation.ts) that mean no chain to an anchor, rather than a constraint broken on one. */
const NO_CHAIN_REASONS = new Set(['no-path', 'bad-signature', 'name-chaining']);

function usableCertificates(certificates: Buffer[]): Buffer[] {
  return certificates.filter((der) => {
    try {
      describeCertificate(der);
      return true;
    } catch {
      return false;
    }
  });
}

function subjectOf(der: Buffer): string {
  try {
    return describeCertificate(der).subject;
  } catch {
    return '(unreadable certificate)';
  }
}

interface Outcome {
  indication: Indication;
  subIndication: SubIndication | null;
  message: string;
}

class Validation {
  readonly request: CertificateValidationRequest;
  readonly options: PkiTrustValidatorOptions;
  readonly intermediates: Buffer[];
  readonly purpose: 'document-signing' | 'timestamping';

  constructor(request: CertificateValidationRequest, options: PkiTrustValidatorOptions) {
    this.request = request;
    this.options = options;
    this.intermediates = usableCertificates(request.certificates);
    this.purpose = request.purpose === 'timestamp' ? 'timestamping' : 'document-signing';
  }

  get policy(): RevocationPolicy {
    return this.options.revocationPolicy ?? 'hard-fail';
  }

  result(outcome: Outcome, chain: Buffer[], checks: RevocationCheck[] | null, warnings: string[] = []): CertificateValidationResult {
    const revocation = checks === null ? 'not-checked' : checks.some((c) => c.status === 'revoked') ? 'revoked' : checks.some((c) => c.status === 'unknown') ? 'unknown' : 'good';
    return {
      ...outcome,
      chain,
      revocation,
      validator: PKI_VALIDATOR_NAME,
      revocationChecks: checks ?? [],
      validationTime: this.request.validationTime,
      warnings,
    };
  }

  path(at: Date): Promise<CertificatePath> {
    return validateCertificatePath({ certificate: this.request.signerCertificate, intermediates: this.intermediates, trustStore: this.options.trustStore, at, purpose: this.purpose });
  }

  async revocation(chain: Buffer[], at: Date): Promise<RevocationCheck[] | null> {
    if (this.policy === 'off') return null;
    return checkPathRevocation(chain, {
      validationTime: at,
      currentTime: this.request.currentTime,
      dssOcsps: this.request.ocsps,
      dssCrls: this.request.crls,
      cmsOcsps: this.request.cmsOcsps ?? [],
      cmsCrls: this.request.cmsCrls ?? [],
      online: this.options.online ?? null,
      clockSkewMs: this.options.clockSkewMs,
    });
  }

  async run(): Promise<CertificateValidationResult> {
    const { request } = this;
    let path: CertificatePath;
    try {
      path = await this.path(request.validationTime);
    } catch (error) {
      if (!isMapsignError(error)) throw error;
      return this.pathFailure(error);
    }
    const chain = path.certificates;
    const checks = await this.revocation(chain, request.validationTime);
    const anchor = path.infos[path.infos.length - 1]?.subject ?? '?';
    const when = request.validationTime.toISOString();
    const revoked = this.judgeRevocations(checks ?? []);
    if (revoked.outcome) return this.result(revoked.outcome, chain, checks, revoked.warnings);
    const expiredNow = path.infos.slice(0, -1).find((info) => info.notAfter < request.currentTime);
    if (!request.isValidationTimeProven && expiredNow) {
      const isNotRevoked = checks !== null && checks.every((c) => c.status === 'good');
      const who = expiredNow === path.infos[0] ? 'the signer certificate' : `CA certificate ${expiredNow.subject}`;
      return this.result(
        isNotRevoked
          ? { indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED', message: `${who} has expired (${expiredNow.notAfter.toISOString()}); it was not revoked, but no time-stamp proves the signature was made before it expired` }
          : { indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE', message: `${who} has expired (${expiredNow.notAfter.toISOString()}) and no time-stamp proves the signature was made before` },
        chain,
        checks,
        revoked.warnings,
      );
    }
    const unknown = (checks ?? []).filter((c) => c.status === 'unknown');
    if (unknown.length > 0 && this.policy === 'hard-fail') {
      const first = unknown[0]!;
      return this.result(
        { indication: 'INDETERMINATE', subIndication: 'TRY_LATER', message: `the revocation status of ${first.subject} at ${when} could not be established: ${first.message}` },
        chain,
        checks,
        revoked.warnings,
      );
    }
    const warnings = [...revoked.warnings, ...unknown.map((c) => `revocation status of ${c.subject} unknown (soft-fail): ${c.message}`)];
    const revocationText = checks === null ? 'revocation not checked' : checks.map((c) => `${c.subject.split(',')[0] ?? c.subject}: ${c.status}${c.source ? ` (${c.source})` : ''}`).join('; ');
    return this.result({ indication: 'PASSED', subIndication: null, message: `path to ${anchor} valid at ${when}; ${revocationText}` }, chain, checks, warnings);
  }

  /**
   * A revoked certificate of the path, against the validation time T (docs/verify-report.md):
   * revoked after a proven T is fine; revoked after a claimed T is REVOKED_NO_POE (nothing shows
   * the signature predates it); revoked at or before T is REVOKED, unless T is a time-stamp's and
   * the signer claims a time before the revocation (REVOKED_NO_POE).
   */
  judgeRevocations(checks: RevocationCheck[]): { outcome: Outcome | null; warnings: string[] } {
    const { request } = this;
    const t = request.validationTime.getTime();
    const warnings: string[] = [];
    let worst: Outcome | null = null;
    for (const check of checks.filter((c) => c.status === 'revoked')) {
      const revokedAt = check.revocationTime?.getTime() ?? Number.NEGATIVE_INFINITY;
      const at = check.revocationTime?.toISOString() ?? 'an unknown time';
      const why = `${check.subject} was revoked on ${at} (${check.revocationReason ?? 'unspecified'}, ${check.source ?? '?'})`;
      let outcome: Outcome | null = null;
      if (revokedAt > t) {
        if (request.isValidationTimeProven) warnings.push(`${why}, after the time-stamp of ${request.validationTime.toISOString()} that proves the signature older`);
        else outcome = { indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', message: `${why}, after the claimed signing time ${request.validationTime.toISOString()}, but no time-stamp proves the signature was made before the revocation` };
      } else if (request.isValidationTimeProven && request.claimedTime && request.claimedTime.getTime() < revokedAt) {
        outcome = { indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE', message: `${why}; the signer claims ${request.claimedTime.toISOString()}, before it, but the time-stamp only proves the signature existed at ${request.validationTime.toISOString()}` };
      } else {
        outcome = { indication: 'FAILED', subIndication: 'REVOKED', message: `${why}, before the ${request.isValidationTimeProven ? 'proven' : 'claimed'} signing time ${request.validationTime.toISOString()}` };
      }
      if (outcome && (worst === null || (worst.indication !== 'FAILED' && outcome.indication === 'FAILED'))) worst = outcome;
    }
    return { outcome: worst, warnings };
  }

  /** Maps a failed path validation to EN 319 102-1 sub-indications. */
  async pathFailure(error: MapsignError): Promise<CertificateValidationResult> {
    const { request } = this;
    const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : '';
    const signer = [request.signerCertificate];
    switch (error.code) {
      case 'CERT_EXPIRED':
      case 'CERT_NOT_YET_VALID':
        return this.outOfBounds(error);
      case 'CERT_UNTRUSTED':
        return this.result(
          NO_CHAIN_REASONS.has(reason)
            ? { indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND', message: reason === 'no-path' ? `no path from ${subjectOf(request.signerCertificate)} to a trusted root` : error.message }
            : { indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE', message: error.message },
          signer,
          null,
        );
      case 'KEY_USAGE_NOT_ALLOWED':
        return this.result({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE', message: error.message }, signer, null);
      case 'CERT_WEAK_ALGORITHM':
        return this.result({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE', message: error.message }, signer, null);
      case 'KEY_MALFORMED':
        return this.result({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND', message: `the certificate cannot be read: ${error.message}` }, [], null);
      default:
        return this.result({ indication: 'INDETERMINATE', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE', message: error.message }, signer, null);
    }
  }

  /** A certificate of the path outside its validity at the validation time. */
  async outOfBounds(error: MapsignError): Promise<CertificateValidationResult> {
    const { request } = this;
    const isExpired = error.code === 'CERT_EXPIRED';
    const position = typeof error.details['position'] === 'number' ? error.details['position'] : 0;
    const subject = typeof error.details['subject'] === 'string' ? error.details['subject'] : subjectOf(request.signerCertificate);
    const who = position === 0 ? 'the signer certificate' : `CA certificate ${subject}`;
    const when = request.validationTime.toISOString();
    const bound = typeof error.details[isExpired ? 'notAfter' : 'notBefore'] === 'string' ? new Date(error.details[isExpired ? 'notAfter' : 'notBefore'] as string) : null;
    // The path as it stood while the certificate was valid, for the report and the revocation check.
    const inside = bound ? await this.path(bound).catch(() => null) : null;
    const chain = inside?.certificates ?? [request.signerCertificate];
    if (request.isValidationTimeProven) {
      return this.result(
        isExpired
          ? { indication: 'FAILED', subIndication: 'EXPIRED', message: `${who} had expired at ${when}, the proven signing time` }
          : { indication: 'FAILED', subIndication: 'NOT_YET_VALID', message: `${who} was not yet valid at ${when}, the proven signing time` },
        chain,
        null,
      );
    }
    if (!isExpired) return this.result({ indication: 'INDETERMINATE', subIndication: 'NOT_YET_VALID', message: `${who} was not yet valid at ${when}, the claimed signing time` }, chain, null);
    const checks = inside && bound ? await this.revocation(chain, bound) : null;
    const isNotRevoked = checks !== null && checks.every((c) => c.status === 'good');
    return this.result(
      isNotRevoked
        ? { indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NOT_REVOKED', message: `${who} had expired at ${when}, the claimed signing time; it was not revoked before it expired, but no time-stamp proves an earlier signing time` }
        : { indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE', message: `${who} had expired at ${when}, and no time-stamp proves an earlier signing time` },
      chain,
      checks,
    );
  }
}

/**
 * The trust hook over the pki module: a path to one of the store's roots valid at the request's
 * validation time for its purpose, then revocation of the path (document evidence first, online
 * when `online` is given) under `revocationPolicy`.
 */
export function createPkiTrustValidator(options: PkiTrustValidatorOptions): CertificateValidator {
  return (request) => new Validation(request, options).run();
}
