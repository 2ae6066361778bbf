// Shared vocabulary of the OCSP and CRL clients: certificate status, CRLReason (RFC 5280
// §5.3.1), the failure a source reports, and the freshness rule both apply.

export type CertificateStatus = 'good' | 'revoked' | 'unknown';

/**
 * ```asn
 * CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), cACompromise (2),
 *   affiliationChanged (3), superseded (4), cessationOfOperation (5), certificateHold (6),
 *   -- value 7 is not used
 *   removeFromCRL (8), privilegeWithdrawn (9), aACompromise (10) }
 * ```
 */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

const REASONS: Array<RevocationReason | undefined> = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

export function nameRevocationReason(code: number | undefined): RevocationReason | null {
  if (code === undefined) return null;
  return REASONS[code] ?? 'unspecified';
}

/** Why an OCSP response or a CRL could not be used: unreachable, or reached but not acceptable. */
export type RevocationFailureKind = 'unavailable' | 'invalid' | 'stale' | 'not-applicable';

export class RevocationSourceError extends Error {
  override readonly name = 'RevocationSourceError';
  readonly kind: RevocationFailureKind;

  constructor(kind: RevocationFailureKind, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.kind = kind;
  }
}

export interface FreshnessOptions {
  /** The current time (the clock, not the signing time). */
  now: Date;
  /** Tolerated clock difference with the responder or CRL issuer. */
  clockSkewMs: number;
}

/**
 * thisUpdate must not lie in the future and nextUpdate, when present, not in the past (RFC 6960
 * §4.2.2.1, RFC 5280 §6.3.3 (a)(2)), both with the clock skew tolerated.
 */
export function checkFreshness(what: string, thisUpdate: Date, nextUpdate: Date | null, options: FreshnessOptions): void {
  const now = options.now.getTime();
  if (thisUpdate.getTime() > now + options.clockSkewMs) {
    throw new RevocationSourceError('invalid', `${what} has thisUpdate ${thisUpdate.toISOString()}, in the future`);
  }
  if (nextUpdate !== null && nextUpdate.getTime() < now - options.clockSkewMs) {
    throw new RevocationSourceError('stale', `${what} is stale: its nextUpdate ${nextUpdate.toISOString()} has passed`);
  }
}
