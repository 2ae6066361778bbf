// The signing-certificate-v2 attribute value (RFC 5035 §3, ESS as updated for SHA-2), which
// binds the signature to one certificate; ETSI EN 319 122-1 §5.2.2.3 requires it for B-B.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { nameHashAlgorithm, type HashAlgorithm } from './algorithms.js';
import { copyBytes, DER_TAG, describeError, encodeElement, type AsnBlock } from './der.js';
import { encodeDigestAlgorithmIdentifier, readIssuerAndSerialNumber } from './signed-data-writer.js';

/**
 * Writes the attribute value for the signer's certificate, identified by its hash under `hash`
 * and by issuer and serial. hashAlgorithm is left out for SHA-256, its DEFAULT, as DER
 * requires. The issuer goes in as GeneralName's directoryName alternative: [4], explicit
 * because Name is a CHOICE (RFC 5280 §4.2.1.6).
 * ```asn
 * SigningCertificateV2 ::= SEQUENCE {
 *   certs        SEQUENCE OF ESSCertIDv2,
 *   policies     SEQUENCE OF PolicyInformation OPTIONAL }
 *
 * ESSCertIDv2 ::= SEQUENCE {
 *   hashAlgorithm  AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *   certHash       Hash,
 *   issuerSerial   IssuerSerial OPTIONAL }
 *
 * Hash ::= OCTET STRING
 *
 * IssuerSerial ::= SEQUENCE {
 *   issuer         GeneralNames,
 *   serialNumber   CertificateSerialNumber }
 *
 * GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 * GeneralName ::= CHOICE { …, directoryName [4] Name, … }
 * ```
 */
export function encodeSigningCertificateV2(certificateDer: Buffer, hash: HashAlgorithm): Buffer {
  const certHash = createHash(hash).update(certificateDer).digest();
  const { issuer, serialNumber } = readIssuerAndSerialNumber(certificateDer);
  const generalNames = encodeElement(DER_TAG.sequence, [encodeElement(DER_TAG.context4, [issuer])]);
  const essCertId = encodeElement(DER_TAG.sequence, [
    ...(hash === 'sha256' ? [] : [encodeDigestAlgorithmIdentifier(hash)]),
    encodeElement(DER_TAG.octetString, [certHash]),
    encodeElement(DER_TAG.sequence, [generalNames, serialNumber]),
  ]);
  return encodeElement(DER_TAG.sequence, [encodeElement(DER_TAG.sequence, [essCertId])]);
}

export interface SigningCertificateV2View {
  /** Name of the hash when it is one of ours, the OID otherwise. */
  hashAlgorithm: HashAlgorithm | string;
  hashAlgorithmOid: string;
  certHash: Buffer;
}

const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** Reads the first ESSCertIDv2 (the signer's, RFC 5035 §3) of a SigningCertificateV2 value. */
export function readSigningCertificateV2(value: AsnBlock): SigningCertificateV2View {
  const malformed = (reason: string): MapsignError =>
    new MapsignError('CMS_MALFORMED', `signing-certificate-v2 attribute is malformed: ${reason}`);
  if (!(value instanceof asn1js.Sequence)) throw malformed('not a SEQUENCE');
  const certs = value.valueBlock.value[0];
  if (!(certs instanceof asn1js.Sequence)) throw malformed('certs is not a SEQUENCE');
  const first = certs.valueBlock.value[0];
  if (!(first instanceof asn1js.Sequence)) throw malformed('certs holds no ESSCertIDv2');
  const [head, second] = first.valueBlock.value;
  let hashAlgorithmOid = SHA256_OID;
  let certHashBlock: unknown = head;
  if (head instanceof asn1js.Sequence) {
    try {
      hashAlgorithmOid = new pkijs.AlgorithmIdentifier({ schema: head }).algorithmId;
    } catch (error) {
      throw malformed(`hashAlgorithm: ${describeError(error)}`);
    }
    certHashBlock = second;
  }
  if (!(certHashBlock instanceof asn1js.OctetString)) throw malformed('certHash is not an OCTET STRING');
  return {
    hashAlgorithm: nameHashAlgorithm(hashAlgorithmOid),
    hashAlgorithmOid,
    certHash: copyBytes(certHashBlock.valueBlock.valueHexView),
  };
}
