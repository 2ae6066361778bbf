// How CMS refers to an X.509 certificate (RFC 5280 §4.1): decoded with pkijs from its exact
// DER, so that its issuer Name and serialNumber re-encode byte for byte.
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { decodeDer, describeError } from './der.js';

/**
 * ```asn
 * Certificate ::= SEQUENCE {
 *   tbsCertificate       TBSCertificate,
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signatureValue       BIT STRING }
 * ```
 */
export function readCertificate(der: Buffer, what: string): pkijs.Certificate {
  if (!Buffer.isBuffer(der) || der.length === 0) {
    throw new MapsignError('CMS_MALFORMED', `${what} is empty or not a Buffer`, { details: { input: what } });
  }
  const block = decodeDer(der, what);
  try {
    return new pkijs.Certificate({ schema: block });
  } catch (error) {
    throw new MapsignError('CMS_MALFORMED', `${what} is not an X.509 certificate: ${describeError(error)}`, {
      cause: error,
      details: { input: what },
    });
  }
}

/**
 * ```asn
 * IssuerAndSerialNumber ::= SEQUENCE {
 *   issuer        Name,
 *   serialNumber  CertificateSerialNumber }
 * ```
 */
export function issuerAndSerialNumberOf(certificate: pkijs.Certificate): pkijs.IssuerAndSerialNumber {
  return new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber });
}

/** Whether a certificate is the one an IssuerAndSerialNumber names (issuer and serial compared as DER). */
export function isCertificateNamedBy(certificate: pkijs.Certificate, sid: pkijs.IssuerAndSerialNumber): boolean {
  const issuer = Buffer.from(certificate.issuer.toSchema().toBER(false));
  const serial = Buffer.from(certificate.serialNumber.toBER(false));
  return issuer.equals(Buffer.from(sid.issuer.toSchema().toBER(false))) && serial.equals(Buffer.from(sid.serialNumber.toBER(false)));
}
