// The cryptographic checks of one signature (ETSI EN 319 102-1 §5.2.2 format checking, §5.2.3
// signing certificate identification, §5.2.7 cryptographic verification) for each /SubFilter:
// ETSI.CAdES.detached (PAdES, EN 319 142-1 §6.3), adbe.pkcs7.detached and adbe.pkcs7.sha1 (ISO
// 32000-2 §12.8.3.3, legacy), ETSI.RFC3161 (document time-stamp). SHA-2 signatures are verified
// by the cms module; SHA-1 ones (what mutool still makes) here with node:crypto.

import { constants, createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { isMapsignError } from '../errors.js';
import { parseSignedData, readTimeStampToken, SIGNATURE_TIME_STAMP_OID, verifySignedData, type ParseSignedDataResult } from '../cms/index.js';
import { bytesOf, childrenOf, contentOf, decodeOid, decodeTime, readTlv, type Tlv } from './der.js';
import type { IntegrityReport, ReportError, SignatureFormat, SubIndication } from './types.js';

const OID_SIGNING_CERTIFICATE_V1 = '1.2.840.113549.1.9.16.2.12';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_DATA = '1.2.840.113549.1.7.1';
const HASH_NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};
const SHA1_SIGNATURE_OIDS = new Set(['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10045.2.1']);

export interface CmsFailure {
  indication: 'FAILED' | 'INDETERMINATE';
  subIndication: SubIndication;
  error: ReportError;
}

/** What the pre-pass learns from /Contents: the format, the hash to run over the byte ranges, and what to check after. */
export interface PreparedCms {
  format: SignatureFormat;
  /** Hash over the byte ranges, or null when the signature cannot be checked at all. */
  rangeHash: string | null;
  parsed: ParseSignedDataResult | null;
  /** The document time-stamp token's facts (ETSI.RFC3161). */
  docTimestamp: { time: Date; imprint: Buffer; certificates: Buffer[]; signerCertificate: Buffer | null } | null;
  /** adbe.pkcs7.sha1: the encapsulated SHA-1 of the byte ranges. */
  encapsulated: Buffer | null;
  signingTimeAttribute: Date | null;
  signatureTimestampToken: Buffer | null;
  failure: CmsFailure | null;
  warnings: string[];
  isSignerCertificateBound: boolean | null;
}

function failure(indication: CmsFailure['indication'], subIndication: SubIndication, code: ReportError['code'], message: string): CmsFailure {
  return { indication, subIndication, error: { code, message } };
}

function formatOf(subFilter: string | null, isTimestamp: boolean): SignatureFormat {
  if (isTimestamp || subFilter === 'ETSI.RFC3161') return 'DOC_TIMESTAMP';
  if (subFilter === 'ETSI.CAdES.detached') return 'PAdES';
  if (subFilter === 'adbe.pkcs7.detached') return 'PKCS7';
  if (subFilter === 'adbe.pkcs7.sha1') return 'PKCS7_SHA1';
  return 'UNKNOWN';
}

interface SignerInfoParts {
  signedAttributes: Map<string, Tlv[]>;
  unsignedAttributes: Map<string, Tlv[]>;
  eContent: Buffer | null;
}

/** Attributes of the first SignerInfo and the encapsulated content, by walking the DER. */
function readSignerInfoParts(der: Buffer): SignerInfoParts {
  const contentInfo = readTlv(der, 0);
  const explicit = childrenOf(der, contentInfo)[1]!;
  const signedData = childrenOf(der, explicit)[0]!;
  const parts = childrenOf(der, signedData);
  const encap = childrenOf(der, parts[2]!);
  let eContent: Buffer | null = null;
  if (encap[1] !== undefined) {
    const octets = childrenOf(der, encap[1])[0];
    if (octets !== undefined) eContent = Buffer.from(contentOf(der, octets));
  }
  const signerInfos = parts[parts.length - 1]!;
  const signerInfo = childrenOf(der, signerInfos)[0]!;
  const readAttributes = (tag: number): Map<string, Tlv[]> => {
    const map = new Map<string, Tlv[]>();
    const set = childrenOf(der, signerInfo).find((child) => child.tag === tag);
    if (!set) return map;
    for (const attribute of childrenOf(der, set)) {
      const [oid, values] = childrenOf(der, attribute);
      if (!oid || !values) continue;
      map.set(decodeOid(contentOf(der, oid)), childrenOf(der, values));
    }
    return map;
  };
  return { signedAttributes: readAttributes(0xa0), unsignedAttributes: readAttributes(0xa1), eContent };
}

/** Reads /Contents before the pass: which hash the ranges need, and whatever fails without the document. */
export function prepareCms(der: Buffer, subFilter: string | null, isTimestamp: boolean): PreparedCms {
  const format = formatOf(subFilter, isTimestamp);
  const prepared: PreparedCms = {
    format,
    rangeHash: null,
    parsed: null,
    docTimestamp: null,
    encapsulated: null,
    signingTimeAttribute: null,
    signatureTimestampToken: null,
    failure: null,
    warnings: [],
    isSignerCertificateBound: null,
  };
  if (format === 'UNKNOWN') {
    prepared.failure = failure('INDETERMINATE', 'FORMAT_FAILURE', 'SIGNATURE_UNSUPPORTED', `/SubFilter ${subFilter ?? '(none)'} is not a format this validator supports`);
    return prepared;
  }
  let parsed: ParseSignedDataResult;
  try {
    parsed = parseSignedData(der);
  } catch (error) {
    const message = isMapsignError(error) ? error.message : String(error);
    prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'CMS_MALFORMED', `/Contents is not a CMS SignedData: ${message}`);
    return prepared;
  }
  prepared.parsed = parsed;
  if (format === 'DOC_TIMESTAMP') {
    try {
      const token = readTimeStampToken(der);
      prepared.docTimestamp = { time: token.genTime, imprint: token.messageImprint, certificates: token.certificates, signerCertificate: token.signerCertificate };
      prepared.rangeHash = token.hashAlgorithm;
      prepared.isSignerCertificateBound = true;
    } catch (error) {
      const message = isMapsignError(error) ? error.message : String(error);
      prepared.failure = failure('FAILED', 'SIG_CRYPTO_FAILURE', 'TIMESTAMP_INVALID', `the document time-stamp token does not verify: ${message}`);
    }
    return prepared;
  }
  let parts: SignerInfoParts;
  try {
    parts = readSignerInfoParts(der);
  } catch (error) {
    prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'CMS_MALFORMED', `the SignerInfo cannot be read: ${String(error)}`);
    return prepared;
  }
  const hash = HASH_NAMES[parsed.digestAlgorithm];
  if (hash === undefined) {
    prepared.failure = failure('INDETERMINATE', 'CRYPTO_CONSTRAINTS_FAILURE', 'SIGNATURE_UNSUPPORTED', `digest algorithm ${parsed.digestAlgorithm} is not supported`);
    return prepared;
  }
  if (parsed.signerCount !== 1) {
    prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', `the CMS holds ${parsed.signerCount} SignerInfos; a PDF signature has exactly one`);
    return prepared;
  }
  if (parsed.signerCertificate === null) {
    prepared.failure = failure('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'SIGNATURE_FORMAT_INVALID', 'the signer certificate is not in the CMS');
    return prepared;
  }
  if (parsed.signedAttributes.length === 0) {
    prepared.failure = failure('INDETERMINATE', 'FORMAT_FAILURE', 'SIGNATURE_UNSUPPORTED', 'signatures without signed attributes are not supported');
    return prepared;
  }
  if (parsed.messageDigest === null) {
    prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', 'the signed attributes hold no message-digest');
    return prepared;
  }
  if (format === 'PKCS7_SHA1') {
    if (parsed.isDetached || parts.eContent === null) {
      prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', 'adbe.pkcs7.sha1 must encapsulate the SHA-1 of the byte ranges');
      return prepared;
    }
    prepared.encapsulated = readOctetString(parts.eContent);
    prepared.rangeHash = 'sha1';
  } else {
    if (!parsed.isDetached) {
      prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', `${subFilter ?? ''} requires a detached CMS, but this one encapsulates content`);
      return prepared;
    }
    prepared.rangeHash = hash;
  }
  if (parsed.eContentType !== OID_DATA) prepared.warnings.push(`eContentType is ${parsed.eContentType}, not id-data`);
  const signingTime = parts.signedAttributes.get(OID_SIGNING_TIME)?.[0];
  if (signingTime) prepared.signingTimeAttribute = decodeTime(signingTime.tag, contentOf(der, signingTime));

  // Signing certificate identification (EN 319 102-1 §5.2.3): the signed attribute that names the certificate.
  const certificate = parsed.signerCertificate;
  if (parsed.signingCertificateV2CertHash !== null) {
    const name = HASH_NAMES[parsed.signingCertificateV2HashAlgorithm];
    prepared.isSignerCertificateBound = name !== undefined && createHash(name).update(certificate).digest().equals(parsed.signingCertificateV2CertHash);
  } else {
    const v1 = parts.signedAttributes.get(OID_SIGNING_CERTIFICATE_V1)?.[0];
    const v1Hash = v1 ? readEssCertIdHash(der, v1) : null;
    if (v1Hash !== null) prepared.isSignerCertificateBound = createHash('sha1').update(certificate).digest().equals(v1Hash);
  }
  if (prepared.isSignerCertificateBound === false) {
    prepared.failure = failure('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'SIGNATURE_SIGNER_MISMATCH', 'the signing-certificate attribute names another certificate than the one that signed');
    return prepared;
  }
  if (format === 'PAdES') {
    if (prepared.isSignerCertificateBound === null) {
      prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', 'PAdES requires the signing-certificate-v2 signed attribute, which is missing');
      return prepared;
    }
    if (parsed.eContentType !== OID_DATA) {
      prepared.failure = failure('FAILED', 'FORMAT_FAILURE', 'SIGNATURE_FORMAT_INVALID', 'PAdES requires eContentType id-data');
      return prepared;
    }
    if (prepared.signingTimeAttribute !== null) prepared.warnings.push('the CMS carries a signing-time attribute, which PAdES baseline signatures leave out (the time belongs in /M)');
  } else if (prepared.isSignerCertificateBound === null) {
    prepared.warnings.push('no signing-certificate attribute: the signer certificate is not bound to the signature');
  }
  const token = parts.unsignedAttributes.get(SIGNATURE_TIME_STAMP_OID)?.[0];
  if (token) prepared.signatureTimestampToken = Buffer.from(bytesOf(der, token));
  return prepared;
}

function readOctetString(content: Buffer): Buffer {
  try {
    const tlv = readTlv(content, 0);
    if (tlv.tag === 0x04) return Buffer.from(contentOf(content, tlv));
  } catch {
    // fall through: the raw content is the value
  }
  return content;
}

/** SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, … }; ESSCertID ::= SEQUENCE { certHash OCTET STRING, … } */
function readEssCertIdHash(der: Buffer, value: Tlv): Buffer | null {
  try {
    const certs = childrenOf(der, value)[0];
    const first = certs ? childrenOf(der, certs)[0] : undefined;
    const hash = first ? childrenOf(der, first)[0] : undefined;
    return hash?.tag === 0x04 ? Buffer.from(contentOf(der, hash)) : null;
  } catch {
    return null;
  }
}

export interface CmsOutcome {
  integrity: IntegrityReport;
  failure: CmsFailure | null;
  isSha1: boolean;
}

/** The checks that need the digest of the byte ranges. */
export function finishCms(der: Buffer, prepared: PreparedCms, rangeDigest: Buffer): CmsOutcome {
  const integrity: IntegrityReport = {
    isByteRangeValid: true,
    digestAlgorithm: prepared.rangeHash,
    isDigestValid: null,
    isSignatureValid: null,
    isSignerCertificateBound: prepared.isSignerCertificateBound,
  };
  const done = (result: CmsFailure | null, isSha1 = false): CmsOutcome => ({ integrity, failure: result, isSha1 });
  if (prepared.docTimestamp) {
    integrity.isDigestValid = prepared.docTimestamp.imprint.equals(rangeDigest);
    integrity.isSignatureValid = true;
    if (!integrity.isDigestValid) return done(failure('FAILED', 'HASH_FAILURE', 'SIGNATURE_DIGEST_MISMATCH', 'the time-stamp imprint does not match the signed bytes: they changed after time-stamping'));
    return done(null, prepared.rangeHash === 'sha1');
  }
  const parsed = prepared.parsed!;
  let contentDigest = rangeDigest;
  if (prepared.encapsulated !== null) {
    integrity.isDigestValid = prepared.encapsulated.equals(rangeDigest);
    if (!integrity.isDigestValid) return done(failure('FAILED', 'HASH_FAILURE', 'SIGNATURE_DIGEST_MISMATCH', 'the encapsulated SHA-1 does not match the signed bytes: they changed after signing'));
    const name = HASH_NAMES[parsed.digestAlgorithm]!;
    contentDigest = createHash(name).update(prepared.encapsulated).digest();
  }
  const messageDigest = parsed.messageDigest!;
  const isDigestValid = messageDigest.equals(contentDigest);
  integrity.isDigestValid = prepared.encapsulated !== null ? integrity.isDigestValid && isDigestValid : isDigestValid;
  if (!isDigestValid) return done(failure('FAILED', 'HASH_FAILURE', 'SIGNATURE_DIGEST_MISMATCH', 'message-digest does not match the signed bytes: they changed after signing'));
  const digestName = HASH_NAMES[parsed.digestAlgorithm]!;
  const isSha1 = digestName === 'sha1' || prepared.rangeHash === 'sha1';
  const check = digestName === 'sha1' ? verifySha1(parsed) : verifySignedData(der, contentDigest);
  integrity.isSignatureValid = check.ok;
  if (!check.ok) return done(failure('FAILED', 'SIG_CRYPTO_FAILURE', 'SIGNATURE_CRYPTO_FAILED', `the signature value does not verify: ${check.reason ?? ''}`), isSha1);
  return done(null, isSha1);
}

/** RSA PKCS#1 v1.5 or ECDSA over the signed attributes with SHA-1, the digest of legacy signers. */
function verifySha1(parsed: ParseSignedDataResult): { ok: boolean; reason?: string } {
  if (!SHA1_SIGNATURE_OIDS.has(parsed.signatureAlgorithmOid)) return { ok: false, reason: `signature algorithm ${parsed.signatureAlgorithmOid} does not go with SHA-1` };
  try {
    const key = new X509Certificate(parsed.signerCertificate!).publicKey;
    const options = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' as const } : { key, padding: constants.RSA_PKCS1_PADDING };
    const ok = verifySignature('sha1', parsed.signedAttributes, options, parsed.signature);
    return ok ? { ok } : { ok, reason: 'the signature does not verify with the signer certificate' };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export interface SignatureTimestampCheck {
  isValid: boolean;
  time: Date | null;
  hashAlgorithm: string | null;
  certificates: Buffer[];
  signerCertificate: Buffer | null;
  message: string;
}

/** A signature-time-stamp (RFC 3161 over the SignerInfo's signature value, EN 319 122-1 §5.3). */
export function checkSignatureTimestamp(token: Buffer, signatureValue: Buffer): SignatureTimestampCheck {
  try {
    const result = readTimeStampToken(token);
    const expected = createHash(result.hashAlgorithm).update(signatureValue).digest();
    if (!expected.equals(result.messageImprint)) {
      return { isValid: false, time: result.genTime, hashAlgorithm: result.hashAlgorithm, certificates: result.certificates, signerCertificate: result.signerCertificate, message: 'the time-stamp covers another signature value' };
    }
    return { isValid: true, time: result.genTime, hashAlgorithm: result.hashAlgorithm, certificates: result.certificates, signerCertificate: result.signerCertificate, message: 'the time-stamp token verifies and covers this signature' };
  } catch (error) {
    return { isValid: false, time: null, hashAlgorithm: null, certificates: [], signerCertificate: null, message: `the time-stamp token does not verify: ${isMapsignError(error) ? error.message : String(error)}` };
  }
}
