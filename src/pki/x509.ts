// A parsed X.509 certificate with the facts path building, path validation and revocation
// checking need (RFC 5280 §4): raw names, key identifiers, constraints, usages, the URLs of its
// CRL distribution points and authority information access, and its keys and algorithms.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { CertificateMemo, describeCertificate, parseCertificate, type CertificateInfo } from './certificate.js';
import { describePublicKey, describeSignatureAlgorithm, type PublicKeyFacts, type SignatureAlgorithmFacts } from './signature-algorithm.js';

export const OID = {
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/**
 * Extensions whose meaning we either enforce or that carry no constraint (RFC 5280 §4.2 tells
 * a validator to reject a certificate with a critical extension it does not process). Name
 * constraints and the policy-processing extensions are deliberately absent: we do not
 * implement RFC 5280 §6.1.3 (b)–(f), so a path that depends on them is refused, not half-checked.
 */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.keyUsage,
  OID.extKeyUsage,
  OID.basicConstraints,
  OID.subjectKeyId,
  OID.authorityKeyId,
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
  '2.5.29.17', // subjectAltName
  '2.5.29.18', // issuerAltName
  '2.5.29.32', // certificatePolicies: informational here (any-policy is acceptable)
  '2.5.29.46', // freshestCRL
  '2.5.29.9', // subjectDirectoryAttributes
  '2.5.29.16', // privateKeyUsagePeriod
  '1.3.6.1.5.5.7.1.3', // qcStatements
  '1.3.6.1.5.5.7.1.11', // subjectInfoAccess
  '1.3.6.1.4.1.11129.2.4.2', // embedded SCTs
]);

export interface ParsedCertificate {
  der: Buffer;
  x509: X509Certificate;
  cert: pkijs.Certificate;
  info: CertificateInfo;
  /** SHA-256 of the DER, lower-case hex: the identity used to avoid loops and duplicates. */
  fingerprint: string;
  /** DER of the subject and issuer Names, for name chaining (RFC 5280 §6.1.3 (a)(4)). */
  subjectDer: Buffer;
  issuerDer: Buffer;
  /** Normalised forms of the names, for CAs that re-encode a name (PrintableString vs UTF8String). */
  subjectKey: string;
  issuerKey: string;
  subjectKeyId: Buffer | null;
  authorityKeyId: Buffer | null;
  hasBasicConstraints: boolean;
  pathLenConstraint: number | null;
  crlUrls: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
  hasOcspNoCheck: boolean;
  /** Critical extensions outside the ones we process: such a certificate must be refused. */
  unprocessedCriticalExtensions: string[];
  signatureAlgorithm: SignatureAlgorithmFacts;
  publicKey: KeyObject;
  publicKeyFacts: PublicKeyFacts;
  /** The subjectPublicKey BIT STRING value, which OCSP's issuerKeyHash hashes (RFC 6960 §4.1.1). */
  subjectPublicKeyBits: Buffer;
  /** Issuer and subject names are the same (RFC 5280 §6.1: self-issued). */
  isSelfIssued: boolean;
}

export function normaliseName(names: pkijs.RelativeDistinguishedNames): string {
  return names.typesAndValues
    .map((tv) => {
      const value = (tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
      const text = typeof value === 'string' ? value : '';
      return `${tv.type}=${text.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase()}`;
    })
    .join('/');
}

function viewOf(block: { valueBeforeDecodeView: Uint8Array }): Buffer {
  return Buffer.from(block.valueBeforeDecodeView);
}

/**
 * The raw issuer and subject of a certificate.
 * ```asn
 * TBSCertificate ::= SEQUENCE {
 *   version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature AlgorithmIdentifier,
 *   issuer Name, validity Validity, subject Name, subjectPublicKeyInfo, … }
 * ```
 */
function readRawNames(der: Buffer): { issuer: Buffer; subject: Buffer } {
  const parsed = asn1js.fromBER(der).result;
  const tbs = parsed instanceof asn1js.Sequence ? parsed.valueBlock.value[0] : undefined;
  const fields = tbs instanceof asn1js.Sequence ? tbs.valueBlock.value : [];
  const offset = fields[0]?.idBlock.tagClass === 3 ? 1 : 0;
  const issuer = fields[offset + 2];
  const subject = fields[offset + 4];
  if (!issuer || !subject) throw new MapsignError('KEY_MALFORMED', 'certificate has no issuer or subject name');
  return { issuer: viewOf(issuer), subject: viewOf(subject) };
}

function readUris(names: pkijs.GeneralName[] | undefined): string[] {
  return (names ?? []).filter((name) => name.type === 6 && typeof name.value === 'string').map((name) => name.value as string);
}

const parsedCertificates = new CertificateMemo<ParsedCertificate>();

/**
 * Parses DER into the facts above, once per certificate per process (the result is shared: read
 * it, never change it); raises KEY_MALFORMED for anything node:crypto or pkijs cannot read.
 */
export function parseX509(der: Buffer): ParsedCertificate {
  // A copy: the caller's buffer may be a view of a much larger one, or be reused.
  return parsedCertificates.get(der, () => readX509(Buffer.from(der)));
}

function readX509(der: Buffer): ParsedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (error) {
    throw new MapsignError('KEY_MALFORMED', 'certificate is not valid DER', { cause: error });
  }
  const cert = parseCertificate(der);
  const names = readRawNames(der);
  let subjectKeyId: Buffer | null = null;
  let authorityKeyId: Buffer | null = null;
  let hasBasicConstraints = false;
  let pathLenConstraint: number | null = null;
  let crlUrls: string[] = [];
  const ocspUrls: string[] = [];
  const caIssuersUrls: string[] = [];
  let hasOcspNoCheck = false;
  const unprocessedCriticalExtensions: string[] = [];
  for (const extension of cert.extensions ?? []) {
    const parsed: unknown = extension.parsedValue;
    switch (extension.extnID) {
      case OID.subjectKeyId:
        if (parsed instanceof asn1js.OctetString) subjectKeyId = Buffer.from(parsed.valueBlock.valueHexView);
        break;
      case OID.authorityKeyId:
        if (parsed instanceof pkijs.AuthorityKeyIdentifier && parsed.keyIdentifier) {
          authorityKeyId = Buffer.from(parsed.keyIdentifier.valueBlock.valueHexView);
        }
        break;
      case OID.basicConstraints:
        hasBasicConstraints = true;
        if (parsed instanceof pkijs.BasicConstraints && parsed.pathLenConstraint !== undefined) {
          const value = parsed.pathLenConstraint;
          pathLenConstraint = typeof value === 'number' ? value : value.valueBlock.valueDec;
        }
        break;
      case OID.crlDistributionPoints:
        if (parsed instanceof pkijs.CRLDistributionPoints) {
          // Only full names; a point with a cRLIssuer names an indirect CRL, which we do not use.
          crlUrls = parsed.distributionPoints
            .filter((point) => point.cRLIssuer === undefined && Array.isArray(point.distributionPoint))
            .flatMap((point) => readUris(point.distributionPoint as pkijs.GeneralName[]));
        }
        break;
      case OID.authorityInfoAccess:
        if (parsed instanceof pkijs.InfoAccess) {
          for (const access of parsed.accessDescriptions) {
            const [uri] = readUris([access.accessLocation]);
            if (uri === undefined) continue;
            if (access.accessMethod === OID.adOcsp) ocspUrls.push(uri);
            else if (access.accessMethod === OID.adCaIssuers) caIssuersUrls.push(uri);
          }
        }
        break;
      case OID.ocspNoCheck:
        hasOcspNoCheck = true;
        break;
      default:
        break;
    }
    if (extension.critical && !PROCESSED_EXTENSIONS.has(extension.extnID)) unprocessedCriticalExtensions.push(extension.extnID);
  }
  const publicKey = x509.publicKey;
  return {
    der,
    x509,
    cert,
    info: describeCertificate(der),
    fingerprint: createHash('sha256').update(der).digest('hex'),
    subjectDer: names.subject,
    issuerDer: names.issuer,
    subjectKey: normaliseName(cert.subject),
    issuerKey: normaliseName(cert.issuer),
    subjectKeyId,
    authorityKeyId,
    hasBasicConstraints,
    pathLenConstraint,
    crlUrls,
    ocspUrls,
    caIssuersUrls,
    hasOcspNoCheck,
    unprocessedCriticalExtensions,
    signatureAlgorithm: describeSignatureAlgorithm(cert.signatureAlgorithm),
    publicKey,
    publicKeyFacts: describePublicKey(publicKey),
    subjectPublicKeyBits: Buffer.from(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    isSelfIssued: names.subject.equals(names.issuer),
  };
}

/** Name chaining: `issuer`'s subject is `subject`'s issuer, byte for byte or after normalisation. */
export function isNameChained(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return subject.issuerDer.equals(issuer.subjectDer) || subject.issuerKey === issuer.subjectKey;
}

/**
 * A plausible issuer: names chain and, when both key identifiers are present, they agree
 * (RFC 5280 §4.2.1.1). The signature is checked during validation, not here.
 */
export function isCandidateIssuer(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!isNameChained(subject, issuer)) return false;
  if (subject.authorityKeyId && issuer.subjectKeyId && !subject.authorityKeyId.equals(issuer.subjectKeyId)) return false;
  return true;
}

/** Verifies `subject`'s signature with `issuer`'s public key (node:crypto, never pkijs). */
export function isSignedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return subject.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** DER certificates from PEM text (any number of CERTIFICATE blocks) or one DER certificate. */
export function decodeCertificates(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN')) {
    const blocks = [...text.matchAll(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g)];
    return blocks.map((match) => Buffer.from((match[1] ?? '').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  }
  return bytes.length > 0 ? [bytes] : [];
}
