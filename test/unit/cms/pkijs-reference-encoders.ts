// The pkijs/asn1js encoders that src/cms used before it wrote the SignedData and the signed
// attributes by hand (commit 17b18ba), kept as they were so tests can hold the new encoders to
// the same bytes.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../../../src/errors.js';
import {
  assertHashAlgorithm,
  assertSignatureScheme,
  getHashLength,
  makeDigestAlgorithmIdentifier,
  makeSignatureAlgorithmIdentifier,
  OID,
  type HashAlgorithm,
} from '../../../src/cms/algorithms.js';
import { readCertificate } from '../../../src/cms/certificate-ref.js';
import { appendUnsignedAttributes, insertCertificates, isAttributeDer } from '../../../src/cms/certificate-set.js';
import { encodeDer, sortDer } from '../../../src/cms/der.js';
import { readSignedAttributes } from '../../../src/cms/signed-data.js';
import type { AssembleSignedDataOptions, BuildSignedAttributesOptions } from '../../../src/cms/index.js';

/** The ContentInfo(SignedData) as pkijs encoded it, certificates and unsigned attributes spliced in as DER. */
export function encodeSignedDataWithPkijs(options: AssembleSignedDataOptions): Buffer {
  const { signedAttributes, signature, hashAlgorithm, scheme, certificates, unsignedAttributes = [] } = options;
  assertHashAlgorithm(hashAlgorithm);
  assertSignatureScheme(scheme);
  if (certificates[0] === undefined) throw new MapsignError('INTERNAL_ERROR', 'certificates is empty; the signer certificate comes first');
  if (!Buffer.isBuffer(signature) || signature.length === 0) throw new MapsignError('INTERNAL_ERROR', 'signature is empty or not a Buffer');

  const parsedCertificates = certificates.map((der, i) => readCertificate(der, i === 0 ? 'signer certificate' : `certificate ${i}`));
  const signer = parsedCertificates[0] as pkijs.Certificate;
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
    digestAlgorithm: makeDigestAlgorithmIdentifier(hashAlgorithm),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: readSignedAttributes(signedAttributes) }),
    signatureAlgorithm: makeSignatureAlgorithmIdentifier(hashAlgorithm, scheme),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  for (const attribute of unsignedAttributes) {
    if (!Buffer.isBuffer(attribute) || !isAttributeDer(attribute)) throw new MapsignError('CMS_MALFORMED', 'an unsigned attribute is not the DER of an Attribute');
  }
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [makeDigestAlgorithmIdentifier(hashAlgorithm)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  const withCertificates = insertCertificates(encodeDer(contentInfo.toSchema()), certificates);
  return unsignedAttributes.length === 0 ? withCertificates : appendUnsignedAttributes(withCertificates, sortDer(unsignedAttributes));
}

/** The signed attributes SET OF as pkijs/asn1js encoded them. */
export function buildSignedAttributesWithPkijs(options: BuildSignedAttributesOptions): Buffer {
  const { documentDigest, hashAlgorithm, signerCertificate } = options;
  assertHashAlgorithm(hashAlgorithm);
  if (!Buffer.isBuffer(documentDigest) || documentDigest.length !== getHashLength(hashAlgorithm)) {
    throw new MapsignError('INTERNAL_ERROR', `documentDigest does not fit ${hashAlgorithm}`);
  }
  const certificate = readCertificate(signerCertificate, 'signer certificate');
  return encodeSetOfWithAsn1js([
    encodeAttributeWithAsn1js(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    encodeAttributeWithAsn1js(OID.messageDigest, new asn1js.OctetString({ valueHex: documentDigest })),
    encodeAttributeWithAsn1js(OID.signingCertificateV2, buildSigningCertificateV2WithAsn1js(signerCertificate, certificate, hashAlgorithm)),
  ]);
}

/** An Attribute with one value, encoded by asn1js. */
export function encodeAttributeWithAsn1js(type: string, value: asn1js.BaseBlock): Buffer {
  return encodeDer(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Set({ value: [value] })] }));
}

/** The SigningCertificateV2 value as asn1js built it from the pkijs certificate's issuer and serial. */
function buildSigningCertificateV2WithAsn1js(certificateDer: Buffer, certificate: pkijs.Certificate, hash: HashAlgorithm): asn1js.Sequence {
  const certHash = createHash(hash).update(certificateDer).digest();
  const issuerSerial = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [certificate.issuer.toSchema()] })],
      }),
      certificate.serialNumber,
    ],
  });
  const essCertId = new asn1js.Sequence({
    value: [
      ...(hash === 'sha256' ? [] : [makeDigestAlgorithmIdentifier(hash).toSchema()]),
      new asn1js.OctetString({ valueHex: certHash }),
      issuerSerial,
    ],
  });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] });
}

/** A SET OF in DER order (X.690 §11.6), its header written by asn1js. */
function encodeSetOfWithAsn1js(components: readonly Buffer[]): Buffer {
  return encodeDer(new asn1js.Set({ value: sortDer(components).map((der) => asn1js.fromBER(der).result) }));
}
