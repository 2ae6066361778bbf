// Orders the certificates that come with a key (PKCS#12 bags, token objects) into the chain
// CMS embeds: the certificate of the key first, then each issuer up to the root (RFC 5280 §6.1).
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { MapsignError } from '../errors.js';

interface Candidate {
  der: Buffer;
  x509: X509Certificate;
}

/**
 * The subjectPublicKey bits of a key, so that an rsaEncryption private key still matches a
 * certificate whose SubjectPublicKeyInfo says id-RSASSA-PSS.
 * ```asn
 * SubjectPublicKeyInfo ::= SEQUENCE {
 *   algorithm         AlgorithmIdentifier,
 *   subjectPublicKey  BIT STRING }
 * ```
 */
function readPublicKeyBits(key: KeyObject): Buffer {
  const spki = key.export({ type: 'spki', format: 'der' });
  const parsed = asn1js.fromBER(spki).result;
  const bits = parsed instanceof asn1js.Sequence ? parsed.valueBlock.value[1] : undefined;
  return bits instanceof asn1js.BitString ? Buffer.from(bits.valueBlock.valueHexView) : spki;
}

/**
 * Picks the certificate whose public key is the private key's (the latest-expiring if it was
 * renewed), then follows issuer → subject among the others, checking each link's signature,
 * until a self-signed root or a missing issuer. Certificates that are not on the path are
 * dropped. Raises KEY_MALFORMED when no certificate belongs to the key.
 */
export function orderCertificateChain(privateKey: KeyObject, certificates: readonly Buffer[]): Buffer[] {
  const candidates: Candidate[] = [];
  for (const [index, der] of certificates.entries()) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(der);
    } catch (error) {
      throw new MapsignError('KEY_MALFORMED', `certificate ${index + 1} of the key file cannot be read`, { cause: error, details: { index } });
    }
    if (!candidates.some((c) => c.der.equals(der))) candidates.push({ der, x509 });
  }
  const wanted = readPublicKeyBits(createPublicKey(privateKey));
  const signers = candidates
    .filter((c) => readPublicKeyBits(c.x509.publicKey).equals(wanted))
    .sort((a, b) => Date.parse(b.x509.validTo) - Date.parse(a.x509.validTo));
  const signer = signers[0];
  if (signer === undefined) {
    throw new MapsignError('KEY_MALFORMED', `none of the ${candidates.length} certificates in the key file belongs to its private key`, {
      details: { certificateCount: candidates.length },
    });
  }
  const chain = [signer];
  let remaining = candidates.filter((c) => c !== signer);
  for (let current = signer; !isSelfSigned(current); ) {
    const issuer = remaining.find((c) => isIssuedBy(current, c));
    if (issuer === undefined) break;
    chain.push(issuer);
    remaining = remaining.filter((c) => c !== issuer);
    current = issuer;
  }
  return chain.map((c) => c.der);
}

function isIssuedBy(subject: Candidate, issuer: Candidate): boolean {
  try {
    return subject.x509.checkIssued(issuer.x509) && subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function isSelfSigned(candidate: Candidate): boolean {
  return isIssuedBy(candidate, candidate);
}
