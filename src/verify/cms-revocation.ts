// Revocation evidence a CMS signature carries itself, besides the /DSS: the
// adbe-revocationInfoArchival signed attribute (ISO 32000-1 §12.8.3.3.2, what Acrobat embeds) and
// the RevocationInfoChoices of SignedData (RFC 5652 §10.2.1, with id-ri-ocsp-response of RFC 5940).

import { bytesOf, childrenOf, contentOf, decodeOid, readTlv, type Tlv } from './der.js';

const OID_ADBE_REVOCATION_INFO_ARCHIVAL = '1.2.840.113583.1.1.8';
const OID_RI_OCSP_RESPONSE = '1.3.6.1.5.5.7.16.2';
const MAX_ITEMS = 1_000;

export interface CmsRevocationData {
  /** DER OCSPResponses. */
  ocsps: Buffer[];
  /** DER CertificateLists. */
  crls: Buffer[];
}

/**
 * ```asn
 * RevocationInfoArchival ::= SEQUENCE {
 *   crl [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
 *   ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
 *   otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL }
 * ```
 */
function readArchival(der: Buffer, value: Tlv, out: CmsRevocationData): void {
  for (const field of childrenOf(der, value)) {
    const list = field.isConstructed ? childrenOf(der, field)[0] : undefined;
    if (list === undefined || list.tag !== 0x30) continue;
    const items = childrenOf(der, list).slice(0, MAX_ITEMS).map((item) => Buffer.from(bytesOf(der, item)));
    if (field.tag === 0xa0) out.crls.push(...items);
    else if (field.tag === 0xa1) out.ocsps.push(...items);
  }
}

/**
 * ```asn
 * RevocationInfoChoices ::= SET OF RevocationInfoChoice
 * RevocationInfoChoice ::= CHOICE { crl CertificateList, other [1] IMPLICIT OtherRevocationInfoFormat }
 * OtherRevocationInfoFormat ::= SEQUENCE { otherRevInfoFormat OBJECT IDENTIFIER, otherRevInfo ANY DEFINED BY otherRevInfoFormat }
 * ```
 */
function readRevocationInfoChoices(der: Buffer, set: Tlv, out: CmsRevocationData): void {
  for (const choice of childrenOf(der, set).slice(0, MAX_ITEMS)) {
    if (choice.tag === 0x30) {
      out.crls.push(Buffer.from(bytesOf(der, choice)));
    } else if (choice.tag === 0xa1) {
      const [format, info] = childrenOf(der, choice);
      if (format?.tag === 0x06 && info !== undefined && decodeOid(contentOf(der, format)) === OID_RI_OCSP_RESPONSE) out.ocsps.push(Buffer.from(bytesOf(der, info)));
    }
  }
}

/** The OCSP responses and CRLs inside a CMS ContentInfo(SignedData); empty lists when it holds none or cannot be read. */
export function readCmsRevocationData(der: Buffer): CmsRevocationData {
  const out: CmsRevocationData = { ocsps: [], crls: [] };
  try {
    const explicit = childrenOf(der, readTlv(der, 0))[1];
    const signedData = explicit ? childrenOf(der, explicit)[0] : undefined;
    if (!signedData) return out;
    const parts = childrenOf(der, signedData);
    const crls = parts.find((part) => part.tag === 0xa1);
    if (crls) readRevocationInfoChoices(der, crls, out);
    const signerInfos = parts[parts.length - 1];
    const signerInfo = signerInfos ? childrenOf(der, signerInfos)[0] : undefined;
    const signedAttributes = signerInfo ? childrenOf(der, signerInfo).find((child) => child.tag === 0xa0) : undefined;
    for (const attribute of signedAttributes ? childrenOf(der, signedAttributes) : []) {
      const [oid, values] = childrenOf(der, attribute);
      if (!oid || !values || decodeOid(contentOf(der, oid)) !== OID_ADBE_REVOCATION_INFO_ARCHIVAL) continue;
      for (const value of childrenOf(der, values)) readArchival(der, value, out);
    }
  } catch {
    // A CMS we cannot walk carries no evidence we can use; its other faults are reported elsewhere.
  }
  return out;
}
