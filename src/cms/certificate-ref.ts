// How CMS refers to an X.509 certificate (RFC 5280 §4.1): decoded with pkijs from its exact
// DER, so that its issuer Name and serialNumber re-encode byte for byte.
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { decodeBer, decodeDer, describeError } from './der.js';

/**
 * Decoded certificates by the SHA-256 of their DER. A signer's chain recurs in every signature
 * and asn1js needs milliseconds per certificate; callers only read what they get.
 */
const CACHE_LIMIT = 256;
const strictCache = new Map<string, pkijs.Certificate>();
const lenientCache = new Map<string, pkijs.Certificate>();

/** What `read` makes of a certificate's DER, remembered by the DER's SHA-256 (a failed read is not). */
export function cachedByDer<T>(cache: Map<string, T>, der: Buffer, read: () => T): T {
  const key = createHash('sha256').update(der).digest('base64');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = read();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

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
  return cachedByDer(strictCache, der, () => {
    const block = decodeDer(der, what);
    try {
      return new pkijs.Certificate({ schema: block });
    } catch (error) {
      throw new MapsignError('CMS_MALFORMED', `${what} is not an X.509 certificate: ${describeError(error)}`, {
        cause: error,
        details: { input: what },
      });
    }
  });
}

/** Like {@link readCertificate}, but BER is accepted: for certificates embedded by other signers, read and never re-encoded. */
export function readEmbeddedCertificate(der: Buffer, what: string): pkijs.Certificate {
  return cachedByDer(lenientCache, der, () => {
    const block = decodeBer(der, what);
    try {
      return new pkijs.Certificate({ schema: block });
    } catch (error) {
      throw new MapsignError('CMS_MALFORMED', `CMS ${what} is malformed: ${describeError(error)}`, { cause: error });
    }
  });
}

/** Whether a certificate is the one an IssuerAndSerialNumber names (issuer and serial compared as DER). */
export function isCertificateNamedBy(certificate: pkijs.Certificate, sid: pkijs.IssuerAndSerialNumber): boolean {
  const issuer = Buffer.from(certificate.issuer.toSchema().toBER(false));
  const serial = Buffer.from(certificate.serialNumber.toBER(false));
  return issuer.equals(Buffer.from(sid.issuer.toSchema().toBER(false))) && serial.equals(Buffer.from(sid.serialNumber.toBER(false)));
}
