import { createHash, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedAttributes, HASH_ALGORITHMS, getHashLength } from '../../../src/cms/index.js';
import { isMapsignError } from '../../../src/errors.js';
import { makeTestPki, type TestPki } from '../../fixtures/openssl-pki.js';

const OID = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  data: '1.2.840.113549.1.7.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);
afterAll(async () => {
  await pki?.cleanup();
});

function decode(der: Buffer): asn1js.Set {
  const parsed = asn1js.fromBER(der);
  expect(parsed.offset).toBe(der.length);
  expect(parsed.result).toBeInstanceOf(asn1js.Set);
  return parsed.result as asn1js.Set;
}

function attributes(der: Buffer): pkijs.Attribute[] {
  return decode(der).valueBlock.value.map((block) => new pkijs.Attribute({ schema: block }));
}

describe('buildSignedAttributes', () => {
  it('returns a DER SET OF with exactly content-type, message-digest and signing-certificate-v2, in DER order', () => {
    const documentDigest = createHash('sha256').update('sheet').digest();
    const der = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha256', signerCertificate: pki.leaves.rsa2048.certificate });
    expect(der[0]).toBe(0x31);
    const components = decode(der).valueBlock.value.map((b) => Buffer.from(b.toBER()));
    expect(Buffer.from(decode(der).toBER())).toEqual(der);
    const sorted = [...components].sort(Buffer.compare);
    expect(components).toEqual(sorted);
    expect(attributes(der).map((a) => a.type).sort()).toEqual([OID.contentType, OID.messageDigest, OID.signingCertificateV2].sort());
    expect(attributes(der).map((a) => a.type)).not.toContain(OID.signingTime);
  });

  it('puts id-data in content-type and the document digest in message-digest', () => {
    const documentDigest = createHash('sha512').update('sheet').digest();
    const der = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha512', signerCertificate: pki.leaves.p256.certificate });
    const byType = new Map(attributes(der).map((a) => [a.type, a.values]));
    expect((byType.get(OID.contentType)?.[0] as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(OID.data);
    expect(Buffer.from((byType.get(OID.messageDigest)?.[0] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(documentDigest);
  });

  it('omits the ESSCertIDv2 hashAlgorithm for SHA-256 (its DEFAULT) and hashes the signer certificate', () => {
    const leaf = pki.leaves.rsa2048;
    const der = buildSignedAttributes({ documentDigest: Buffer.alloc(32, 7), hashAlgorithm: 'sha256', signerCertificate: leaf.certificate });
    const value = attributes(der).find((a) => a.type === OID.signingCertificateV2)?.values[0] as asn1js.Sequence;
    const essCertId = ((value.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    expect(essCertId[0]).toBeInstanceOf(asn1js.OctetString);
    expect(Buffer.from((essCertId[0] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(createHash('sha256').update(leaf.certificate).digest());
  });

  it.each([
    ['sha384', OID.sha384],
    ['sha512', OID.sha512],
  ] as const)('names %s in the ESSCertIDv2 and hashes the certificate with it', (hash, oid) => {
    const leaf = pki.leaves.p384;
    const der = buildSignedAttributes({ documentDigest: Buffer.alloc(getHashLength(hash)), hashAlgorithm: hash, signerCertificate: leaf.certificate });
    const value = attributes(der).find((a) => a.type === OID.signingCertificateV2)?.values[0] as asn1js.Sequence;
    const essCertId = ((value.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const algorithm = new pkijs.AlgorithmIdentifier({ schema: essCertId[0] });
    expect(algorithm.algorithmId).toBe(oid);
    expect(algorithm.algorithmParams).toBeUndefined();
    expect(Buffer.from((essCertId[1] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(createHash(hash).update(leaf.certificate).digest());
  });

  it('names the issuer as a directoryName and the serial exactly as in the certificate', () => {
    const leaf = pki.leaves.rsa2048;
    const der = buildSignedAttributes({ documentDigest: Buffer.alloc(32), hashAlgorithm: 'sha256', signerCertificate: leaf.certificate });
    const value = attributes(der).find((a) => a.type === OID.signingCertificateV2)?.values[0] as asn1js.Sequence;
    const essCertId = ((value.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    const issuerSerial = essCertId[1] as asn1js.Sequence;
    const [generalNames, serial] = issuerSerial.valueBlock.value as [asn1js.Sequence, asn1js.Integer];
    const directoryName = generalNames.valueBlock.value[0] as asn1js.Constructed;
    expect(directoryName.idBlock.tagClass).toBe(3);
    expect(directoryName.idBlock.tagNumber).toBe(4);
    const certificate = pkijs.Certificate.fromBER(leaf.certificate);
    expect(Buffer.from((directoryName.valueBlock.value[0] as asn1js.Sequence).toBER())).toEqual(Buffer.from(certificate.issuer.toSchema().toBER()));
    expect(Buffer.from(serial.valueBlock.valueHexView).toString('hex').toUpperCase()).toBe(`00${new X509Certificate(leaf.certificate).serialNumber}`);
  });

  it.each(HASH_ALGORITHMS)('rejects a documentDigest whose length does not fit %s', (hash) => {
    const call = (): Buffer =>
      buildSignedAttributes({ documentDigest: Buffer.alloc(getHashLength(hash) - 1), hashAlgorithm: hash, signerCertificate: pki.leaves.p256.certificate });
    expect(call).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });

  it('rejects a signer certificate that is not DER X.509 with CMS_MALFORMED', () => {
    for (const signerCertificate of [Buffer.from('not a certificate'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])]) {
      try {
        buildSignedAttributes({ documentDigest: Buffer.alloc(32), hashAlgorithm: 'sha256', signerCertificate });
        expect.unreachable();
      } catch (error) {
        expect(isMapsignError(error, 'CMS_MALFORMED')).toBe(true);
      }
    }
  });

  it('rejects a hash name outside sha256, sha384 and sha512', () => {
    const call = (): Buffer =>
      buildSignedAttributes({ documentDigest: Buffer.alloc(20), hashAlgorithm: 'sha1' as 'sha256', signerCertificate: pki.leaves.p256.certificate });
    expect(call).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });
});
