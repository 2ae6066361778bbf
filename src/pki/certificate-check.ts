// The whole check of a certificate before it is relied upon (signer, TSA, OCSP responder): a
// valid path to a configured root at the given time, then the revocation status of every
// certificate of that path under a policy. Errors are the typed CERT_* / REVOCATION_* codes.
import { validateParsedPath, type CertificatePath, type ValidateCertificatePathOptions } from './path-validation.js';
import { enforceRevocationPolicy, RevocationChecker, type RevocationPolicy, type RevocationStatus } from './revocation.js';
import type { ParsedCertificate } from './x509.js';

export interface RevocationCheckOptions {
  /** Default 'hard-fail'. */
  policy?: RevocationPolicy;
  /** Share one checker to share its cache (and to reuse the answers for the /DSS later). */
  checker?: RevocationChecker;
}

export interface ValidateCertificateOptions extends ValidateCertificatePathOptions {
  revocation?: RevocationCheckOptions;
}

export interface ValidateCertificateResult {
  path: CertificatePath;
  policy: RevocationPolicy;
  /** One per certificate of the path except the anchor; empty when the policy is 'off'. */
  revocation: RevocationStatus[];
  /** What 'soft-fail' let through. */
  warnings: string[];
}

/**
 * Validates the path of `certificate` to the trust store's roots at `at` for `purpose`, then the
 * revocation status of each certificate of the path.
 *
 * @throws MapsignError CERT_UNTRUSTED, CERT_EXPIRED, CERT_NOT_YET_VALID, KEY_USAGE_NOT_ALLOWED,
 *   CERT_WEAK_ALGORITHM from the path; CERT_REVOKED, REVOCATION_UNAVAILABLE from revocation.
 */
export async function validateCertificate(options: ValidateCertificateOptions): Promise<ValidateCertificateResult> {
  const parsed = await validateParsedPath(options);
  const policy = options.revocation?.policy ?? 'hard-fail';
  const certificates: ParsedCertificate[] = parsed.certificates;
  const path: CertificatePath = {
    certificates: certificates.map((c) => c.der),
    infos: certificates.map((c) => c.info),
    pathsTried: parsed.pathsTried,
  };
  if (policy === 'off') return { path, policy, revocation: [], warnings: [] };
  const checker = options.revocation?.checker ?? new RevocationChecker();
  const revocation = await Promise.all(certificates.slice(0, -1).map((cert, i) => checker.checkParsed(cert, certificates[i + 1] as ParsedCertificate)));
  const warnings = enforceRevocationPolicy(revocation, policy);
  return { path, policy, revocation, warnings };
}
