// CRL client (RFC 5280 §5 and §6.3): fetches a CRL from a distribution point over http, and
// accepts it only if the certificate's issuer signed it (key usage cRLSign), it is a complete
// CRL that covers the certificate, and it is fresh; then looks the serial number up.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fetchHttp, FetchError } from './http-fetch.js';
import { checkFreshness, nameRevocationReason, RevocationSourceError, type CertificateStatus, type RevocationReason } from './revocation-data.js';
import { describeSignatureAlgorithm, verifyWithAlgorithm } from './signature-algorithm.js';
import { normaliseName, type ParsedCertificate } from './x509.js';

const CRL_EXT = {
  authorityKeyId: '2.5.29.35',
  crlNumber: '2.5.29.20',
  issuingDistributionPoint: '2.5.29.28',
  deltaCrlIndicator: '2.5.29.27',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
  /** ExpiredCertsOnCRL (X.509 §9.6.2.9): revoked certificates that expired at or after this time stay listed. */
  expiredCertsOnCrl: '2.5.29.60',
} as const;

const PROCESSED_CRL_EXTENSIONS = new Set<string>([CRL_EXT.authorityKeyId, CRL_EXT.crlNumber, CRL_EXT.issuingDistributionPoint, CRL_EXT.freshestCrl, CRL_EXT.authorityInfoAccess, CRL_EXT.expiredCertsOnCrl]);
const PROCESSED_ENTRY_EXTENSIONS = new Set<string>([CRL_EXT.reasonCode, CRL_EXT.invalidityDate]);

interface RevokedEntry {
  revocationDate: Date;
  reasonCode: number | undefined;
  unprocessedCritical: string[];
}

interface ParsedCrl {
  crl: pkijs.CertificateRevocationList;
  issuerKey: string;
  /** Revoked serials (lower-case hex of the INTEGER's bytes) to their entries. */
  entries: Map<string, RevokedEntry>;
}

// A CRL can list hundreds of thousands of serials; parse each fetched or cached buffer once.
const parsedCrls = new WeakMap<Buffer, ParsedCrl>();

function invalid(message: string, cause?: unknown): RevocationSourceError {
  return new RevocationSourceError('invalid', `CRL: ${message}`, cause);
}

function readReasonCode(extensions: pkijs.Extension[] | undefined): number | undefined {
  const extension = extensions?.find((e) => e.extnID === CRL_EXT.reasonCode);
  if (extension === undefined) return undefined;
  const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.Enumerated ? parsed.valueBlock.valueDec : undefined;
}

function parseCrl(der: Buffer): ParsedCrl {
  const cached = parsedCrls.get(der);
  if (cached) return cached;
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
  } catch (error) {
    throw invalid('the answer is not a CRL', error);
  }
  const entries = new Map<string, RevokedEntry>();
  for (const entry of crl.revokedCertificates ?? []) {
    const serial = Buffer.from(entry.userCertificate.valueBlock.valueHexView).toString('hex');
    const extensions = entry.crlEntryExtensions?.extensions;
    entries.set(serial, {
      revocationDate: entry.revocationDate.value,
      reasonCode: readReasonCode(extensions),
      unprocessedCritical: (extensions ?? []).filter((e) => e.critical && !PROCESSED_ENTRY_EXTENSIONS.has(e.extnID)).map((e) => e.extnID),
    });
  }
  const parsed = { crl, issuerKey: normaliseName(crl.issuer), entries };
  parsedCrls.set(der, parsed);
  return parsed;
}

/** A CRL as served: DER (RFC 5280 §4.2.1.13), or PEM from careless servers. */
export function decodeCrlBytes(body: Buffer): Buffer {
  const text = body.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return body;
  const match = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(body.toString('latin1'));
  if (!match) throw invalid('PEM without an X509 CRL block');
  return Buffer.from((match[1] ?? '').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}

export interface FetchCrlOptions {
  timeoutMs: number;
  maxBytes: number;
}

/** GETs a CRL; network failures become 'unavailable'. */
export async function fetchCrl(url: string, options: FetchCrlOptions): Promise<Buffer> {
  try {
    const body = await fetchHttp(url, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, accept: 'application/pkix-crl' });
    return decodeCrlBytes(body);
  } catch (error) {
    if (error instanceof FetchError) throw new RevocationSourceError('unavailable', `CRL: ${error.message}`, error);
    throw error;
  }
}

export interface CrlEvaluation {
  status: Exclude<CertificateStatus, 'unknown'>;
  revocationTime: Date | null;
  revocationReason: RevocationReason | null;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** ExpiredCertsOnCRL, when the CRL carries it. */
  expiredCertsOnCrl: Date | null;
}

export interface EvaluateCrlOptions {
  cert: ParsedCertificate;
  issuer: ParsedCertificate;
  now: Date;
  clockSkewMs: number;
  /** How old a CRL without nextUpdate may be. */
  maxAgeWithoutNextUpdateMs: number;
}

/**
 * ```asn
 * IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
 *   onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, onlyContainsCACerts [2] BOOLEAN DEFAULT FALSE,
 *   onlySomeReasons [3] ReasonFlags OPTIONAL, indirectCRL [4] BOOLEAN DEFAULT FALSE,
 *   onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 * ```
 * We use complete, direct CRLs only: a partitioned, indirect or delta CRL does not settle the status.
 */
function checkScope(crl: pkijs.CertificateRevocationList, cert: ParsedCertificate): void {
  for (const extension of crl.crlExtensions?.extensions ?? []) {
    if (extension.extnID === CRL_EXT.deltaCrlIndicator) throw new RevocationSourceError('not-applicable', 'CRL: a delta CRL cannot be used on its own');
    if (extension.critical && !PROCESSED_CRL_EXTENSIONS.has(extension.extnID)) throw invalid(`critical extension ${extension.extnID} is not supported`);
    if (extension.extnID !== CRL_EXT.issuingDistributionPoint) continue;
    const idp = extension.parsedValue as pkijs.IssuingDistributionPoint | undefined;
    if (idp === undefined) throw invalid('the issuing distribution point cannot be read');
    if (idp.indirectCRL || idp.onlySomeReasons !== undefined || idp.onlyContainsAttributeCerts) {
      throw new RevocationSourceError('not-applicable', 'CRL: an indirect or reason-partitioned CRL is not used');
    }
    if ((idp.onlyContainsUserCerts && cert.info.isCa) || (idp.onlyContainsCACerts && !cert.info.isCa)) {
      throw new RevocationSourceError('not-applicable', `CRL: its scope does not cover ${cert.info.isCa ? 'CA' : 'end-entity'} certificates`);
    }
  }
}

function readExpiredCertsOnCrl(crl: pkijs.CertificateRevocationList): Date | null {
  const extension = crl.crlExtensions?.extensions.find((e) => e.extnID === CRL_EXT.expiredCertsOnCrl);
  if (extension === undefined) return null;
  const value = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  return value instanceof asn1js.GeneralizedTime ? value.toDate() : null;
}

/** Whether a DER CRL was issued by the CA that issued `cert` (by name; signatures are checked by {@link checkCrl}). */
export function isCrlOfIssuer(der: Buffer, cert: ParsedCertificate): boolean {
  try {
    return parseCrl(der).issuerKey === cert.issuerKey;
  } catch {
    return false;
  }
}

/**
 * Checks a DER CRL against the certificate and its issuer and reads the certificate's status,
 * without judging its freshness (the caller decides against which time). Raises
 * RevocationSourceError: 'invalid' (garbage, wrong issuer, bad signature), 'not-applicable'
 * (delta, indirect or partitioned CRL).
 */
export function checkCrl(der: Buffer, cert: ParsedCertificate, issuer: ParsedCertificate): CrlEvaluation {
  const { crl, issuerKey, entries } = parseCrl(der);
  if (issuerKey !== cert.issuerKey || issuerKey !== issuer.subjectKey) {
    throw invalid(`issued by another CA than ${issuer.info.subject}`);
  }
  const aki = crl.crlExtensions?.extensions.find((e) => e.extnID === CRL_EXT.authorityKeyId)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
  if (aki?.keyIdentifier && issuer.subjectKeyId && !Buffer.from(aki.keyIdentifier.valueBlock.valueHexView).equals(issuer.subjectKeyId)) {
    throw invalid(`signed by another key of ${issuer.info.subject} (authority key identifier)`);
  }
  if (issuer.info.keyUsage !== null && !issuer.info.keyUsage.includes('cRLSign')) throw invalid(`${issuer.info.subject} may not sign CRLs (no cRLSign key usage)`);
  const algorithm = describeSignatureAlgorithm(crl.signatureAlgorithm);
  if (algorithm.isWeak) throw invalid(`signed with ${algorithm.name}, which is no longer accepted`);
  if (!verifyWithAlgorithm(crl.signatureAlgorithm, crl.tbsView, crl.signatureValue.valueBlock.valueHexView, issuer.publicKey)) {
    throw invalid(`the signature of ${issuer.info.subject} does not verify`);
  }
  checkScope(crl, cert);
  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value ?? null;
  const expiredCertsOnCrl = readExpiredCertsOnCrl(crl);
  const entry = entries.get(Buffer.from(cert.cert.serialNumber.valueBlock.valueHexView).toString('hex'));
  if (entry !== undefined && entry.unprocessedCritical.length > 0) throw invalid(`the entry of the certificate has critical extensions we do not process: ${entry.unprocessedCritical.join(', ')}`);
  // removeFromCRL only appears in delta CRLs, which we refused above; treat it as not listed.
  if (entry === undefined || entry.reasonCode === 8) return { status: 'good', revocationTime: null, revocationReason: null, thisUpdate, nextUpdate, expiredCertsOnCrl };
  return { status: 'revoked', revocationTime: entry.revocationDate, revocationReason: nameRevocationReason(entry.reasonCode) ?? 'unspecified', thisUpdate, nextUpdate, expiredCertsOnCrl };
}

/**
 * Checks a DER CRL against the certificate and its issuer and reads the certificate's status.
 * Raises RevocationSourceError: 'invalid' (garbage, wrong issuer, bad signature), 'stale'
 * (nextUpdate passed), 'not-applicable' (delta, indirect or partitioned CRL).
 */
export function evaluateCrl(der: Buffer, options: EvaluateCrlOptions): CrlEvaluation {
  const evaluation = checkCrl(der, options.cert, options.issuer);
  const { thisUpdate, nextUpdate } = evaluation;
  checkFreshness('CRL', thisUpdate, nextUpdate, options);
  if (nextUpdate === null && options.now.getTime() - thisUpdate.getTime() > options.maxAgeWithoutNextUpdateMs + options.clockSkewMs) {
    throw new RevocationSourceError('stale', `CRL: issued ${thisUpdate.toISOString()} without nextUpdate and too old`);
  }
  return evaluation;
}
