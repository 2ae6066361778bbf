import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleSignedData,
  buildSignedAttributes,
  estimateSignedDataSize,
  HASH_ALGORITHMS,
  parseSignedData,
  verifySignedData,
  type HashAlgorithm,
  type SignatureScheme,
} from '../../../src/cms/index.js';
import { isMapsignError } from '../../../src/errors.js';
import { makeTestPki, opensslVerifiesDetached, type LeafName, type TestPki } from '../../fixtures/openssl-pki.js';
import { signWith } from './sign-with.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
};

const HASH_OID: Record<HashAlgorithm, string> = { sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };

/** Largest signature each test key makes: RSA modulus bytes, ECDSA DER maximum. */
const MAX_SIGNATURE_BYTES: Record<LeafName, number> = { rsa2048: 256, rsa3072: 384, p256: 72, p384: 104 };

const CASES: Array<[LeafName, SignatureScheme]> = [
  ['rsa2048', 'rsa-pkcs1'],
  ['rsa2048', 'rsa-pss'],
  ['rsa3072', 'rsa-pkcs1'],
  ['rsa3072', 'rsa-pss'],
  ['p256', 'ecdsa'],
  ['p384', 'ecdsa'],
];
const MATRIX = CASES.flatMap(([leaf, scheme]) => HASH_ALGORITHMS.map((hash) => [leaf, scheme, hash] as const));

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);
afterAll(async () => {
  await pki?.cleanup();
});

interface Signed {
  data: Buffer;
  documentDigest: Buffer;
  signedAttributes: Buffer;
  signature: Buffer;
  der: Buffer;
}

function signDetached(leafName: LeafName, scheme: SignatureScheme, hash: HashAlgorithm, unsignedAttributes?: Buffer[]): Signed {
  const leaf = pki.leaves[leafName];
  const data = randomBytes(64 * 1024 + 17);
  const documentDigest = createHash(hash).update(data).digest();
  const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: hash, signerCertificate: leaf.certificate });
  const signature = signWith(leaf.key, scheme, hash, signedAttributes);
  const der = assembleSignedData({ signedAttributes, signature, hashAlgorithm: hash, scheme, certificates: leaf.chain, unsignedAttributes });
  return { data, documentDigest, signedAttributes, signature, der };
}

/** SignerInfo of a DER ContentInfo(SignedData), read with pkijs directly. */
function signerInfoOf(der: Buffer): { signedData: pkijs.SignedData; signerInfo: pkijs.SignerInfo } {
  const contentInfo = pkijs.ContentInfo.fromBER(der);
  expect(contentInfo.contentType).toBe(OID.signedData);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const signerInfo = signedData.signerInfos[0];
  if (signerInfo === undefined) throw new Error('no SignerInfo');
  return { signedData, signerInfo };
}

/** A DER Attribute, as the timestamp issue will hand them in. */
function attribute(oid: string, value: asn1js.BaseBlock): Buffer {
  return Buffer.from(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Set({ value: [value] })] }).toBER());
}

describe('assembleSignedData', () => {
  it('follows the PAdES B-B rules: one SignerInfo, detached id-data, exactly the three signed attributes, the chain', () => {
    const leaf = pki.leaves.rsa2048;
    const signed = signDetached('rsa2048', 'rsa-pkcs1', 'sha256');
    const parsed = parseSignedData(signed.der);
    expect(parsed.signerCount).toBe(1);
    expect(parsed.isDetached).toBe(true);
    expect(parsed.eContentType).toBe(OID.data);
    expect(parsed.digestAlgorithm).toBe('sha256');
    expect([...parsed.signedAttributeOids].sort()).toEqual([OID.contentType, OID.messageDigest, OID.signingCertificateV2].sort());
    expect(parsed.signedAttributeOids).not.toContain(OID.signingTime);
    expect(parsed.unsignedAttributeOids).toEqual([]);
    expect(parsed.messageDigest).toEqual(signed.documentDigest);
    expect(parsed.signingCertificateV2HashAlgorithm).toBe('sha256');
    expect(parsed.signingCertificateV2CertHash).toEqual(createHash('sha256').update(leaf.certificate).digest());
    expect(parsed.certificates).toEqual(leaf.chain);
    expect(parsed.signerCertificate).toEqual(leaf.certificate);
    expect(parsed.signature).toEqual(signed.signature);
    expect(parsed.signedAttributes).toEqual(signed.signedAttributes);
  });

  it('writes version 1 for SignedData and SignerInfo, issuerAndSerialNumber, and digest algorithms without parameters', () => {
    const { signedData, signerInfo } = signerInfoOf(signDetached('p256', 'ecdsa', 'sha384').der);
    expect(signedData.version).toBe(1);
    expect(signerInfo.version).toBe(1);
    expect(signerInfo.sid).toBeInstanceOf(pkijs.IssuerAndSerialNumber);
    expect(signedData.digestAlgorithms.map((a) => a.algorithmId)).toEqual([OID.sha384]);
    expect(signedData.digestAlgorithms[0]?.algorithmParams).toBeUndefined();
    expect(signerInfo.digestAlgorithm.algorithmId).toBe(OID.sha384);
    expect(signerInfo.digestAlgorithm.algorithmParams).toBeUndefined();
    expect(signerInfo.signatureAlgorithm.algorithmId).toBe(OID.ecdsaWithSha384);
    expect(signerInfo.signatureAlgorithm.algorithmParams).toBeUndefined();
  });

  it('gives sha256WithRSAEncryption NULL parameters', () => {
    const { signerInfo } = signerInfoOf(signDetached('rsa3072', 'rsa-pkcs1', 'sha256').der);
    expect(signerInfo.signatureAlgorithm.algorithmId).toBe(OID.sha256WithRSA);
    expect(signerInfo.signatureAlgorithm.algorithmParams).toBeInstanceOf(asn1js.Null);
  });

  it.each(HASH_ALGORITHMS)('spells out RSASSA-PSS parameters for %s: hash, MGF1 with the same hash, salt of the hash length', (hash) => {
    const { signerInfo } = signerInfoOf(signDetached('rsa2048', 'rsa-pss', hash).der);
    expect(signerInfo.signatureAlgorithm.algorithmId).toBe(OID.rsassaPss);
    const params = signerInfo.signatureAlgorithm.algorithmParams as asn1js.Sequence;
    const tags = params.valueBlock.value.map((b) => b.idBlock.tagNumber);
    // trailerField [3] is 1, its DEFAULT, which DER leaves out.
    expect(tags).toEqual([0, 1, 2]);
    const pss = new pkijs.RSASSAPSSParams({ schema: params });
    expect(pss.hashAlgorithm.algorithmId).toBe(HASH_OID[hash]);
    expect(pss.maskGenAlgorithm.algorithmId).toBe(OID.mgf1);
    expect(new pkijs.AlgorithmIdentifier({ schema: pss.maskGenAlgorithm.algorithmParams }).algorithmId).toBe(HASH_OID[hash]);
    expect(pss.saltLength).toBe(createHash(hash).digest().length);
    expect(pss.trailerField).toBe(1);
  });

  it.each(MATRIX)('%s %s %s: verifies with verifySignedData and openssl cms, and openssl rejects tampered data', async (leafName, scheme, hash) => {
    const signed = signDetached(leafName, scheme, hash);
    expect(verifySignedData(signed.der, signed.documentDigest)).toEqual({ ok: true });

    const accepted = await opensslVerifiesDetached(pki, signed.der, signed.data);
    expect(accepted.output).toContain('Verification successful');
    expect(accepted.ok).toBe(true);

    const tampered = Buffer.from(signed.data);
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0x01;
    const rejected = await opensslVerifiesDetached(pki, signed.der, tampered);
    expect(rejected.ok).toBe(false);
    expect(verifySignedData(signed.der, createHash(hash).update(tampered).digest()).ok).toBe(false);

    const estimate = estimateSignedDataSize({ certificates: pki.leaves[leafName].chain, signatureBytes: MAX_SIGNATURE_BYTES[leafName], hashAlgorithm: hash });
    expect(estimate).toBeGreaterThanOrEqual(signed.der.length);
  });

  it('places unsigned attributes in DER order after the signature, leaving the signed part untouched', () => {
    const token = attribute(OID.signatureTimeStampToken, new asn1js.OctetString({ valueHex: randomBytes(3000) }));
    const other = attribute('1.2.840.113549.1.9.16.2.99', new asn1js.Utf8String({ value: 'ghi chú' }));
    const signed = signDetached('p384', 'ecdsa', 'sha256', [token, other]);
    const parsed = parseSignedData(signed.der);
    const expectedOrder = Buffer.compare(token, other) < 0 ? [OID.signatureTimeStampToken, '1.2.840.113549.1.9.16.2.99'] : ['1.2.840.113549.1.9.16.2.99', OID.signatureTimeStampToken];
    expect(parsed.unsignedAttributeOids).toEqual(expectedOrder);
    expect(parsed.signedAttributes).toEqual(signed.signedAttributes);
    expect(verifySignedData(signed.der, signed.documentDigest)).toEqual({ ok: true });
  });

  it('estimates room for unsigned attributes given as extraBytes', () => {
    const leaf = pki.leaves.rsa3072;
    const token = attribute(OID.signatureTimeStampToken, new asn1js.OctetString({ valueHex: randomBytes(70_000) }));
    const signed = signDetached('rsa3072', 'rsa-pkcs1', 'sha512', [token]);
    const estimate = estimateSignedDataSize({ certificates: leaf.chain, signatureBytes: 384, hashAlgorithm: 'sha512', extraBytes: token.length });
    expect(estimate).toBeGreaterThanOrEqual(signed.der.length);
    expect(estimate - signed.der.length).toBeLessThan(200);
  });

  it('keeps the estimate close to the actual size, so reservations stay small', () => {
    const signed = signDetached('rsa2048', 'rsa-pss', 'sha256');
    const estimate = estimateSignedDataSize({ certificates: pki.leaves.rsa2048.chain, signatureBytes: 256, hashAlgorithm: 'sha256' });
    expect(estimate - signed.der.length).toBeLessThan(64);
  });

  it('rejects an empty chain, an empty signature and unknown names without producing output', () => {
    const { signedAttributes, signature } = signDetached('p256', 'ecdsa', 'sha256');
    const base = { signedAttributes, signature, hashAlgorithm: 'sha256' as const, scheme: 'ecdsa' as const, certificates: pki.leaves.p256.chain };
    const attempts = [
      { ...base, certificates: [] },
      { ...base, signature: Buffer.alloc(0) },
      { ...base, scheme: 'dsa' as SignatureScheme },
      { ...base, hashAlgorithm: 'md5' as HashAlgorithm },
    ];
    for (const attempt of attempts) {
      expect(() => assembleSignedData(attempt)).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
    }
  });

  it('rejects signed attributes that are not a DER SET OF Attribute with CMS_MALFORMED', () => {
    const { signedAttributes, signature } = signDetached('p256', 'ecdsa', 'sha256');
    const base = { signature, hashAlgorithm: 'sha256' as const, scheme: 'ecdsa' as const, certificates: pki.leaves.p256.chain };
    const asContextTag = Buffer.from(signedAttributes);
    asContextTag[0] = 0xa0;
    for (const bad of [asContextTag, Buffer.from([0x31, 0x00]), Buffer.concat([signedAttributes, Buffer.from([0])])]) {
      try {
        assembleSignedData({ ...base, signedAttributes: bad });
        expect.unreachable();
      } catch (error) {
        expect(isMapsignError(error, 'CMS_MALFORMED')).toBe(true);
      }
    }
  });

  it('refuses signed attributes whose message-digest does not fit hashAlgorithm', () => {
    const { signedAttributes, signature } = signDetached('p256', 'ecdsa', 'sha256');
    const call = (): Buffer =>
      assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha384', scheme: 'ecdsa', certificates: pki.leaves.p256.chain });
    expect(call).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });

  it('refuses signed attributes that name another certificate than certificates[0]', () => {
    const { signedAttributes, signature } = signDetached('p256', 'ecdsa', 'sha256');
    const call = (): Buffer =>
      assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha256', scheme: 'ecdsa', certificates: pki.leaves.p384.chain });
    expect(call).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });
});
