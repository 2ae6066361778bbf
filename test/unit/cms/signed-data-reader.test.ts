import { execFile } from 'node:child_process';
import { constants, createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSignedData, buildSignedAttributes, type HashAlgorithm, type SignatureScheme } from '../../../src/cms/index.js';
import { decodeSignedDataWithPkijs, readSignedData, readUsualSignedData, type SignedDataDetails } from '../../../src/cms/parse.js';
import { readSignedDataDer } from '../../../src/cms/signed-data-reader.js';
import { isMapsignError } from '../../../src/errors.js';
import { makeTestPki, type LeafName, type TestPki } from '../../fixtures/openssl-pki.js';

const run = promisify(execFile);

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);
afterAll(async () => {
  await pki?.cleanup();
});

function signWith(key: KeyObject, scheme: SignatureScheme, hash: HashAlgorithm, data: Buffer): Buffer {
  if (scheme === 'rsa-pss') return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(hash).digest().length });
  if (scheme === 'ecdsa') return sign(hash, data, { key, dsaEncoding: 'der' });
  return sign(hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
}

function attribute(oid: string, value: asn1js.BaseBlock | Buffer): Buffer {
  const block = Buffer.isBuffer(value) ? asn1js.fromBER(new Uint8Array(value)).result : value;
  return Buffer.from(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Set({ value: [block] })] }).toBER());
}

function ownSignature(leafName: LeafName, scheme: SignatureScheme, hash: HashAlgorithm, unsignedAttributes?: Buffer[]): Buffer {
  const leaf = pki.leaves[leafName];
  const signedAttributes = buildSignedAttributes({ documentDigest: randomBytes(createHash(hash).digest().length), hashAlgorithm: hash, signerCertificate: leaf.certificate });
  const signature = signWith(leaf.key, scheme, hash, signedAttributes);
  return assembleSignedData({ signedAttributes, signature, hashAlgorithm: hash, scheme, certificates: leaf.chain, unsignedAttributes });
}

async function opensslSignature(leafName: LeafName, options: string[]): Promise<Buffer> {
  const leaf = pki.leaves[leafName];
  const data = join(pki.dir, 'reader-data.bin');
  const out = join(pki.dir, `reader-${leafName}-${options.join('').replace(/\W/g, '')}.der`);
  await writeFile(data, randomBytes(1000));
  await run('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', data, '-signer', join(pki.dir, `${leafName}.pem`), '-inkey', leaf.keyPath, '-out', out, ...options]);
  return readFileSync(out);
}

/** The same SignedData with an X.509 CRL in `crls [1]`, re-encoded by pkijs. */
function withCrl(der: Buffer): Buffer {
  const contentInfo = pkijs.ContentInfo.fromBER(new Uint8Array(der));
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  signedData.crls = [pkijs.CertificateRevocationList.fromBER(new Uint8Array(readFileSync('certs-sample/issuing-ca.crl.der')))];
  const out = new pkijs.ContentInfo({ contentType: contentInfo.contentType, content: signedData.toSchema() });
  return Buffer.from(out.toSchema().toBER(false));
}

/** What readSignedData gives or throws, in a form toEqual compares. */
function outcome(read: () => SignedDataDetails): unknown {
  try {
    return { details: read() };
  } catch (error) {
    return { code: isMapsignError(error) ? error.code : 'not a MapsignError', message: (error as Error).message };
  }
}

function expectSameAsPkijs(der: Buffer): SignedDataDetails {
  const fast = readUsualSignedData(der);
  expect(fast).not.toBeNull();
  const slow = decodeSignedDataWithPkijs(der);
  expect(fast).toEqual(slow);
  // toEqual looks at what the objects hold; the encodings show the parameters are the same ASN.1.
  expect(Buffer.from(fast!.signatureAlgorithm.toSchema().toBER(false))).toEqual(Buffer.from(slow.signatureAlgorithm.toSchema().toBER(false)));
  expect(fast!.signatureAlgorithm.algorithmParams === undefined).toBe(slow.signatureAlgorithm.algorithmParams === undefined);
  return fast!;
}

const OWN_CASES: Array<[LeafName, SignatureScheme, HashAlgorithm]> = [
  ['rsa2048', 'rsa-pkcs1', 'sha256'],
  ['rsa2048', 'rsa-pkcs1', 'sha512'],
  ['rsa2048', 'rsa-pss', 'sha256'],
  ['rsa3072', 'rsa-pss', 'sha384'],
  ['rsa2048', 'rsa-pss', 'sha512'],
  ['p256', 'ecdsa', 'sha256'],
  ['p384', 'ecdsa', 'sha384'],
  ['p256', 'ecdsa', 'sha512'],
];

describe('readUsualSignedData', () => {
  it.each(OWN_CASES)('reads our own %s %s %s signature as pkijs does, with and without zero padding', (leaf, scheme, hash) => {
    const der = ownSignature(leaf, scheme, hash);
    const details = expectSameAsPkijs(der);
    expect(details.signerCertificate).toEqual(pki.leaves[leaf].certificate);
    expect(details.signingCertificateV2).not.toBeNull();
    expectSameAsPkijs(Buffer.concat([der, Buffer.alloc(5000)]));
  });

  it('reads our own signatures with unsigned attributes (a time-stamp token, an odd value) as pkijs does', async () => {
    const token = await opensslSignature('p384', ['-nodetach', '-md', 'sha384']);
    const unsigned = [
      attribute('1.2.840.113549.1.9.16.2.14', token),
      attribute('1.2.840.113549.1.9.16.2.99', new asn1js.Utf8String({ value: 'ghi chú' })),
      attribute('1.2.840.113549.1.9.16.2.98', new asn1js.OctetString({ valueHex: randomBytes(3000) })),
    ];
    for (const [leaf, scheme, hash] of OWN_CASES) {
      const details = expectSameAsPkijs(ownSignature(leaf, scheme, hash, unsigned));
      expect(details.unsignedAttributeOids).toHaveLength(3);
    }
    // The token itself, a SignedData with eContent, goes the fast way too.
    expect(expectSameAsPkijs(token).isDetached).toBe(false);
  });

  const OPENSSL_CASES: Array<[LeafName, string[]]> = [
    ['rsa2048', []],
    ['rsa2048', ['-nosmimecap']],
    ['rsa2048', ['-cades']],
    ['rsa3072', ['-cades', '-md', 'sha384']],
    ['p256', ['-md', 'sha384']],
    ['p384', ['-cades', '-md', 'sha512', '-nosmimecap']],
    ['rsa2048', ['-keyid']],
    ['p256', ['-keyid', '-cades']],
    ['rsa2048', ['-nocerts']],
    ['p256', ['-nocerts', '-keyid']],
    ['rsa2048', ['-nodetach']],
    ['rsa2048', ['-keyopt', 'rsa_padding_mode:pss', '-md', 'sha256']],
  ];

  it.each(OPENSSL_CASES)('reads openssl cms -sign of %s with %j as pkijs does, with and without zero padding', async (leaf, options) => {
    const der = await opensslSignature(leaf, options);
    const details = expectSameAsPkijs(der);
    expect(details.signerCertificate === null).toBe(options.includes('-nocerts'));
    expectSameAsPkijs(Buffer.concat([der, Buffer.alloc(64)]));
  });

  it('reads extra certificates given with -certfile, and finds the signer among them', async () => {
    const der = await opensslSignature('rsa2048', ['-certfile', join(pki.dir, 'rsa2048-extras.pem')]);
    const details = expectSameAsPkijs(der);
    expect(details.certificates.length).toBeGreaterThan(1);
    expect(details.signerCertificate).toEqual(pki.leaves.rsa2048.certificate);
  });

  it('reads a SignedData that carries CRLs', async () => {
    expectSameAsPkijs(withCrl(ownSignature('rsa2048', 'rsa-pkcs1', 'sha256')));
    expectSameAsPkijs(withCrl(await opensslSignature('p256', ['-cades'])));
  });

  it('finds the signer through the pkijs comparison when it is not the first certificate', async () => {
    const der = await opensslSignature('rsa2048', ['-certfile', join(pki.dir, 'rsa2048-extras.pem')]);
    const raw = readSignedDataDer(der)!;
    // openssl puts the issuers before the signer here: each of them is a mismatch first.
    expect(raw.certificates[0]).not.toEqual(pki.leaves.rsa2048.certificate);
    const { signerCertificate } = expectSameAsPkijs(der);
    expect(signerCertificate).toEqual(pki.leaves.rsa2048.certificate);
  });
});

/** The same bytes with the outer SEQUENCE in BER's indefinite-length form. */
function toIndefiniteOuter(bytes: Buffer): Buffer {
  const lengthBytes = bytes[1]! & 0x80 ? 1 + (bytes[1]! & 0x7f) : 1;
  return Buffer.concat([Buffer.from([0x30, 0x80]), bytes.subarray(1 + lengthBytes), Buffer.from([0, 0])]);
}

/** Offset of the signature OCTET STRING's tag: the last 0x04 before the signature bytes. */
function signatureTagOffset(der: Buffer, signature: Buffer): number {
  const at = der.lastIndexOf(signature);
  return at - 2 - (signature.length >= 0x80 ? (signature.length >= 0x100 ? 2 : 1) : 0);
}

describe('readSignedData falls back to pkijs', () => {
  it('for BER, bad lengths and wrong tags, with the result or error it gave before', () => {
    const der = ownSignature('rsa2048', 'rsa-pkcs1', 'sha256');
    const signature = readUsualSignedData(der)!.signature;
    const tagAt = signatureTagOffset(der, signature);
    expect(der[tagAt]).toBe(0x04);
    const retagged = (tag: number): Buffer => {
      const copy = Buffer.from(der);
      copy[tagAt] = tag;
      return copy;
    };
    const nonMinimalLength = Buffer.concat([Buffer.from([0x30, 0x84, 0, 0]), der.subarray(2)]);
    const inputs: Array<[string, Buffer]> = [
      ['indefinite outer length', toIndefiniteOuter(der)],
      ['truncated', der.subarray(0, der.length - 10)],
      ['over-long outer length', Buffer.concat([Buffer.from([0x30, 0x83, 0x7f, 0xff, 0xff]), der.subarray(4)])],
      ['non-minimal outer length', nonMinimalLength],
      ['signature as BIT STRING', retagged(0x03)],
      ['signature as [4]', retagged(0x84)],
      ['signature as constructed OCTET STRING', retagged(0x24)],
      ['trailing garbage', Buffer.concat([der, Buffer.from([0, 1])])],
      ['not signed-data', Buffer.from(der).fill(0x01, 6, 7)],
    ];
    for (const [name, input] of inputs) {
      expect(readUsualSignedData(input), name).toBeNull();
      expect(outcome(() => readSignedData(input)), name).toEqual(outcome(() => decodeSignedDataWithPkijs(input)));
    }
    expect(outcome(() => readSignedData(toIndefiniteOuter(der)))).toMatchObject({ details: { signature } });
    expect(outcome(() => readSignedData(der.subarray(0, der.length - 10)))).toMatchObject({ code: 'CMS_MALFORMED' });
  });

  it('gives what pkijs gives for any single-byte change of a signature', () => {
    const der = ownSignature('p256', 'ecdsa', 'sha256', [attribute('1.2.840.113549.1.9.16.2.99', new asn1js.Utf8String({ value: 'x' }))]);
    let fast = 0;
    for (let i = 0; i < 400; i++) {
      const mutated = Buffer.from(der);
      const at = i < der.length ? (i * 7919) % der.length : Math.floor(Math.random() * der.length);
      mutated[at] = (mutated[at]! + 1 + (i % 255)) & 0xff;
      const viaFastPath = outcome(() => readUsualSignedData(mutated) ?? decodeSignedDataWithPkijs(mutated));
      expect(viaFastPath, `byte ${at}`).toEqual(outcome(() => decodeSignedDataWithPkijs(mutated)));
      if (readUsualSignedData(mutated) !== null) fast++;
    }
    // Changes inside the signature, digest or names keep the shape: those still take the fast path.
    expect(fast).toBeGreaterThan(50);
  });

  it('takes the fast path for our own signatures, not the pkijs one', () => {
    const der = ownSignature('rsa2048', 'rsa-pss', 'sha256');
    expect(readSignedDataDer(der)).not.toBeNull();
    expect(readUsualSignedData(der)).not.toBeNull();
  });
});
