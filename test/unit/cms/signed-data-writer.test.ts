import { execFile } from 'node:child_process';
import { createHash, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSignedData, buildSignedAttributes, estimateSignedDataSize, HASH_ALGORITHMS, type SignatureScheme } from '../../../src/cms/index.js';
import { encodeObjectIdentifier } from '../../../src/cms/der.js';
import { encodeSignedData } from '../../../src/cms/signed-data.js';
import { readIssuerAndSerialNumber } from '../../../src/cms/signed-data-writer.js';
import { makeTestPki, opensslVerifiesDetached, type LeafName, type TestPki } from '../../fixtures/openssl-pki.js';
import { buildSignedAttributesWithPkijs, encodeAttributeWithAsn1js, encodeSignedDataWithPkijs } from './pkijs-reference-encoders.js';
import { signWith } from './sign-with.js';

const run = promisify(execFile);

const OID = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  data: '1.2.840.113549.1.7.1',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
};

const SCHEMES_BY_KEY: Record<'rsa' | 'ec', SignatureScheme[]> = { rsa: ['rsa-pkcs1', 'rsa-pss'], ec: ['ecdsa'] };

/** A signer certificate that is not one of the test PKI's leaves, with the key that signs for it. */
interface Signer {
  label: string;
  key: KeyObject;
  keyType: 'rsa' | 'ec';
  certificate: Buffer;
  /** Certificates to follow the signer's in chains of 2 and 3. */
  issuers: Buffer[];
}

let pki: TestPki;
let longNameCa: { certificate: Buffer; pemPath: string };
const signers: Signer[] = [];

/** A CA whose Name is long (its DER length takes two octets) and has a multi-valued RDN. */
const LONG_NAME =
  '/C=VN/ST=Thành phố Hồ Chí Minh/L=Phường Bến Nghé, Quận 1/street=Số 63 Lý Tự Trọng' +
  '/O=Sở Tài nguyên và Môi trường Thành phố Hồ Chí Minh' +
  '/OU=Trung tâm Công nghệ thông tin tài nguyên môi trường' +
  '/OU=Phòng Đo đạc, Bản đồ và Viễn thám/OU=Chi nhánh Văn phòng Đăng ký đất đai' +
  '/CN=Mapsign Test CA có tên rất dài+serialNumber=VN-0123456789';

/** Serial numbers given to openssl, and what their DER content looks like. */
const SERIALS: Array<[string, string]> = [
  ['0', 'zero'],
  ['0x01', 'one octet'],
  ['0x7F', 'one octet, highest without a sign bit'],
  ['0x80', 'a leading 0x00 octet'],
  ['0xFF00000000000000000000000000000000000001', '20 octets with the high bit set, 21 encoded'],
  ['0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', '20 octets without the high bit'],
];

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: pki.dir });
}

async function derOf(pemPath: string): Promise<Buffer> {
  return Buffer.from(new X509Certificate(await readFile(pemPath)).raw);
}

beforeAll(async () => {
  pki = await makeTestPki();
  const caKey = join(pki.dir, 'long-name-ca.key');
  const caPem = join(pki.dir, 'long-name-ca.pem');
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', caKey);
  await openssl('req', '-x509', '-new', '-utf8', '-multivalue-rdn', '-key', caKey, '-subj', LONG_NAME, '-days', '30', '-set_serial', '0x00C0FFEE', '-out', caPem);
  longNameCa = { certificate: await derOf(caPem), pemPath: caPem };
  for (const [index, [serial, description]] of SERIALS.entries()) {
    for (const [keyType, leaf] of [['ec', pki.leaves.p256], ['rsa', pki.leaves.rsa2048]] as const) {
      const stem = join(pki.dir, `serial-${index}-${keyType}`);
      await openssl('req', '-new', '-utf8', '-key', leaf.keyPath, '-subj', `/C=VN/CN=Người ký ${index}`, '-out', `${stem}.csr`);
      // No extensions: a version 1 certificate, whose TBSCertificate starts at serialNumber.
      await openssl('x509', '-req', '-in', `${stem}.csr`, '-CA', caPem, '-CAkey', caKey, '-set_serial', serial, '-days', '30', '-out', `${stem}.pem`);
      signers.push({ label: `${keyType}, serial ${description}`, key: leaf.key, keyType, certificate: await derOf(`${stem}.pem`), issuers: [longNameCa.certificate, pki.leaves.rsa2048.chain[2]!] });
    }
  }
  for (const name of ['rsa2048', 'rsa3072', 'p256', 'p384'] as LeafName[]) {
    const leaf = pki.leaves[name];
    const issuers = leaf.chain.length === 3 ? leaf.chain.slice(1) : [...leaf.chain.slice(1), longNameCa.certificate];
    signers.push({ label: `test PKI ${name}`, key: leaf.key, keyType: name.startsWith('rsa') ? 'rsa' : 'ec', certificate: leaf.certificate, issuers });
  }
}, 180_000);
afterAll(async () => {
  await pki?.cleanup();
});

/** Unsigned attributes, given out of DER order: none, a time-stamp-sized one, several. */
function unsignedAttributeSets(): Buffer[][] {
  const token = encodeAttributeWithAsn1js(OID.signatureTimeStampToken, new asn1js.OctetString({ valueHex: randomBytes(3000) }));
  const note = encodeAttributeWithAsn1js('1.2.840.113549.1.9.16.2.99', new asn1js.Utf8String({ value: 'ghi chú' }));
  const counter = encodeAttributeWithAsn1js('1.2.840.113549.1.9.6', new asn1js.Integer({ value: 70_000 }));
  return [[], [token], [note, token, counter]];
}

function signersWith(keyType: 'rsa' | 'ec'): Signer[] {
  return signers.filter((signer) => signer.keyType === keyType);
}

describe('hand-written SignedData and signed attributes', () => {
  it.each(HASH_ALGORITHMS)('build the signed attributes pkijs built, for every signer certificate, with %s', (hash) => {
    for (const signer of signers) {
      const options = { documentDigest: randomBytes(createHash(hash).digest().length), hashAlgorithm: hash, signerCertificate: signer.certificate };
      expect(buildSignedAttributes(options), signer.label).toEqual(buildSignedAttributesWithPkijs(options));
    }
  });

  it.each(HASH_ALGORITHMS.flatMap((hash) => (['rsa', 'ec'] as const).map((keyType) => [keyType, hash] as const)))(
    'assemble the SignedData pkijs encoded: %s keys, %s, chains of 1 to 3 and 0, 1 or 3 unsigned attributes',
    (keyType, hash) => {
      let compared = 0;
      for (const signer of signersWith(keyType)) {
        const documentDigest = randomBytes(createHash(hash).digest().length);
        const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: hash, signerCertificate: signer.certificate });
        for (const scheme of SCHEMES_BY_KEY[keyType]) {
          const signature = signWith(signer.key, scheme, hash, signedAttributes);
          for (const length of [1, 2, 3]) {
            const certificates = [signer.certificate, ...signer.issuers.slice(0, length - 1)];
            for (const unsignedAttributes of unsignedAttributeSets()) {
              const options = { signedAttributes, signature, hashAlgorithm: hash, scheme, certificates, unsignedAttributes };
              expect(assembleSignedData(options), `${signer.label} ${scheme} chain ${length}`).toEqual(encodeSignedDataWithPkijs(options));
              compared++;
            }
          }
        }
      }
      expect(compared).toBeGreaterThanOrEqual(70);
    },
  );

  it('carries signed attributes without signing-certificate-v2, with other attributes or out of DER order as pkijs did', () => {
    const signer = signers.find((s) => s.label === 'test PKI p384')!;
    const digest = randomBytes(48);
    const contentType = encodeAttributeWithAsn1js(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data }));
    const messageDigest = encodeAttributeWithAsn1js(OID.messageDigest, new asn1js.OctetString({ valueHex: digest }));
    const signingTime = encodeAttributeWithAsn1js(OID.signingTime, new asn1js.UTCTime({ valueDate: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }));
    const twoValues = Buffer.from(
      new asn1js.Sequence({
        value: [new asn1js.ObjectIdentifier({ value: '1.3.6.1.4.1.99999.1' }), new asn1js.Set({ value: [new asn1js.Utf8String({ value: 'b' }), new asn1js.Utf8String({ value: 'a' })] })],
      }).toBER(),
    );
    const setOf = (attributes: Buffer[]): Buffer => Buffer.from(new asn1js.Set({ value: attributes.map((a) => asn1js.fromBER(a).result) }).toBER());
    const variants = [
      setOf([contentType, messageDigest]),
      setOf([messageDigest, contentType]),
      setOf([contentType, messageDigest, signingTime, twoValues]),
      setOf([messageDigest, contentType, ...Array.from({ length: 40 }, () => signingTime)]),
    ];
    for (const signedAttributes of variants) {
      const options = { signedAttributes, signature: randomBytes(104), hashAlgorithm: 'sha384' as const, scheme: 'ecdsa' as const, certificates: [signer.certificate] };
      expect(assembleSignedData(options)).toEqual(encodeSignedDataWithPkijs(options));
    }
  });

  it('carries unusual but valid DER signed attributes, which the strict reader leaves to asn1js, as pkijs did', () => {
    const signer = signers.find((s) => s.label === 'test PKI p256')!;
    const signedAttributes = buildSignedAttributes({ documentDigest: randomBytes(32), hashAlgorithm: 'sha256', signerCertificate: signer.certificate });
    // An attribute type with a 7-octet subidentifier, longer than the strict reader reads.
    const unusual = encodeAttributeWithAsn1js('1.2.3.4398046511104', new asn1js.Null());
    const members = asn1js.fromBER(signedAttributes).result as asn1js.Set;
    const withUnusual = Buffer.from(new asn1js.Set({ value: [...members.valueBlock.value, asn1js.fromBER(unusual).result] }).toBER());
    const options = { signedAttributes: withUnusual, signature: randomBytes(72), hashAlgorithm: 'sha256' as const, scheme: 'ecdsa' as const, certificates: [signer.certificate] };
    expect(encodeSignedData(options)).toEqual(encodeSignedDataWithPkijs(options));
  });

  it('gives the same bytes or the same error code as pkijs for any single-byte change of the signed attributes', () => {
    const signer = signers.find((s) => s.label === 'test PKI rsa2048')!;
    const signedAttributes = buildSignedAttributes({ documentDigest: randomBytes(48), hashAlgorithm: 'sha384', signerCertificate: signer.certificate });
    const outcome = (encode: () => Buffer): Buffer | string => {
      try {
        return encode();
      } catch (error) {
        return (error as { code?: string }).code ?? String(error);
      }
    };
    let accepted = 0;
    for (let offset = 0; offset < signedAttributes.length; offset++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const mutated = Buffer.from(signedAttributes);
        mutated[offset]! ^= flip;
        const options = { signedAttributes: mutated, signature: randomBytes(256), hashAlgorithm: 'sha384' as const, scheme: 'rsa-pkcs1' as const, certificates: signer.issuers };
        const expected = outcome(() => encodeSignedDataWithPkijs(options));
        expect(outcome(() => encodeSignedData(options)), `offset ${offset} ^ ${flip}`).toEqual(expected);
        if (Buffer.isBuffer(expected)) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('reads issuer and serialNumber as pkijs re-encodes them, for version 1 and version 3 certificates', () => {
    for (const signer of [...signers, { label: 'long-name CA', certificate: longNameCa.certificate }]) {
      const certificate = pkijs.Certificate.fromBER(signer.certificate);
      const { issuer, serialNumber } = readIssuerAndSerialNumber(signer.certificate);
      expect(issuer, signer.label).toEqual(Buffer.from(certificate.issuer.toSchema().toBER()));
      expect(serialNumber, signer.label).toEqual(Buffer.from(certificate.serialNumber.toBER()));
    }
    expect(readIssuerAndSerialNumber(longNameCa.certificate).issuer.length).toBeGreaterThan(256);
  });

  it('writes object identifiers as asn1js does', () => {
    for (const oid of ['1.2.840.113549.1.7.2', '2.16.840.1.101.3.4.2.3', '1.2.840.113549.1.9.16.2.47', '2.999.3', '0.9.2342.19200300.100.1.25', '1.3.6.1.4.1.99999.1']) {
      expect(encodeObjectIdentifier(oid), oid).toEqual(Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER()));
    }
  });

  it('estimates from a sample of the same size as the pkijs encoding', () => {
    for (const hash of HASH_ALGORITHMS) {
      const signer = signers.find((s) => s.label === 'test PKI rsa2048')!;
      const certificates = [signer.certificate, ...signer.issuers];
      const signedAttributes = buildSignedAttributesWithPkijs({ documentDigest: Buffer.alloc(createHash(hash).digest().length), hashAlgorithm: hash, signerCertificate: certificates[0]! });
      const sample = encodeSignedDataWithPkijs({ signedAttributes, signature: Buffer.alloc(300, 0xff), hashAlgorithm: hash, scheme: 'rsa-pss', certificates });
      expect(estimateSignedDataSize({ certificates, signatureBytes: 300, hashAlgorithm: hash, extraBytes: 10 })).toBe(sample.length + 10 + 32);
    }
  });

  it('is accepted by openssl cms -verify for a long-named issuer and a serial with a leading zero octet', async () => {
    const data = randomBytes(10_000);
    for (const signer of signers.filter((s) => s.label.includes('leading 0x00') || s.label.includes('21 encoded'))) {
      for (const scheme of SCHEMES_BY_KEY[signer.keyType]) {
        const documentDigest = createHash('sha512').update(data).digest();
        const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha512', signerCertificate: signer.certificate });
        const signature = signWith(signer.key, scheme, 'sha512', signedAttributes);
        const der = assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha512', scheme, certificates: [signer.certificate, longNameCa.certificate] });
        const verified = await opensslVerifiesDetached({ ...pki, caFile: longNameCa.pemPath }, der, data);
        expect(verified.output, `${signer.label} ${scheme}`).toContain('Verification successful');
      }
    }
  });
});
