import { execFile } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSignedData, buildSignedAttributes, parseSignedData, verifySignedData } from '../../../src/cms/index.js';
import { isMapsignError } from '../../../src/errors.js';
import { makeTestPki, type TestPki } from '../../fixtures/openssl-pki.js';

const run = promisify(execFile);
const SIGNING_TIME = '1.2.840.113549.1.9.5';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);
afterAll(async () => {
  await pki?.cleanup();
});

function signedP256(): { der: Buffer; documentDigest: Buffer; signedAttributes: Buffer } {
  const leaf = pki.leaves.p256;
  const documentDigest = createHash('sha256').update(randomBytes(1000)).digest();
  const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha256', signerCertificate: leaf.certificate });
  const signature = sign('sha256', signedAttributes, { key: leaf.key, dsaEncoding: 'der' });
  const der = assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha256', scheme: 'ecdsa', certificates: leaf.chain });
  return { der, documentDigest, signedAttributes };
}

/** Re-encodes a SignedData after `edit`, bypassing assembleSignedData's own checks. */
function rewrite(der: Buffer, edit: (signedData: pkijs.SignedData) => void): Buffer {
  const contentInfo = pkijs.ContentInfo.fromBER(der);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  edit(signedData);
  return Buffer.from(new pkijs.ContentInfo({ contentType: contentInfo.contentType, content: signedData.toSchema(true) }).toSchema().toBER());
}

/** A detached CMS made by `openssl cms -sign`, which adds signing-time and other attributes of its own. */
async function opensslSign(extra: string[]): Promise<{ der: Buffer; data: Buffer }> {
  const leaf = pki.leaves.rsa2048;
  const data = randomBytes(4096);
  const dataPath = join(pki.dir, `ossl-${extra.length}.bin`);
  const outPath = join(pki.dir, `ossl-${extra.length}.der`);
  await writeFile(dataPath, data);
  await run('openssl', ['cms', '-sign', '-binary', '-in', dataPath, '-signer', join(pki.dir, 'rsa2048.pem'), '-inkey', leaf.keyPath, '-outform', 'DER', '-out', outPath, ...extra]);
  return { der: await readFile(outPath), data };
}

describe('verifySignedData', () => {
  it('accepts our own signature and trailing zero padding as found in /Contents', () => {
    const { der, documentDigest } = signedP256();
    expect(verifySignedData(der, documentDigest)).toEqual({ ok: true });
    expect(verifySignedData(Buffer.concat([der, Buffer.alloc(2000)]), documentDigest)).toEqual({ ok: true });
  });

  it('fails when the document digest differs from message-digest', () => {
    const { der } = signedP256();
    const result = verifySignedData(der, Buffer.alloc(32, 1));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/message-digest/);
  });

  it('fails when the signature bytes are altered', () => {
    const { der, documentDigest } = signedP256();
    const altered = rewrite(der, (signedData) => {
      const signerInfo = signedData.signerInfos[0] as pkijs.SignerInfo;
      const bytes = Buffer.from(signerInfo.signature.valueBlock.valueHexView);
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
      signerInfo.signature = new asn1js.OctetString({ valueHex: bytes });
    });
    const result = verifySignedData(altered, documentDigest);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/signature/);
  });

  it('fails when the signature was made by another key than the signer certificate', () => {
    const leaf = pki.leaves.p256;
    const documentDigest = createHash('sha256').update('x').digest();
    const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha256', signerCertificate: leaf.certificate });
    const signature = sign('sha256', signedAttributes, { key: pki.leaves.p384.key, dsaEncoding: 'der' });
    const der = assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha256', scheme: 'ecdsa', certificates: leaf.chain });
    expect(verifySignedData(der, documentDigest)).toEqual({ ok: false, reason: 'the signature does not verify with the signer certificate' });
  });

  it('checks each signer with its own certificate, whichever signer it checked before', () => {
    const signWithLeaf = (name: 'p256' | 'p384', key: 'p256' | 'p384'): { der: Buffer; documentDigest: Buffer } => {
      const leaf = pki.leaves[name];
      const documentDigest = createHash('sha256').update(randomBytes(64)).digest();
      const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: 'sha256', signerCertificate: leaf.certificate });
      const signature = sign('sha256', signedAttributes, { key: pki.leaves[key].key, dsaEncoding: 'der' });
      return { der: assembleSignedData({ signedAttributes, signature, hashAlgorithm: 'sha256', scheme: 'ecdsa', certificates: leaf.chain }), documentDigest };
    };
    for (let round = 0; round < 2; round++) {
      const p256 = signWithLeaf('p256', 'p256');
      const p384 = signWithLeaf('p384', 'p384');
      const p256ByOtherKey = signWithLeaf('p256', 'p384');
      expect(verifySignedData(p256.der, p256.documentDigest).ok).toBe(true);
      expect(verifySignedData(p384.der, p384.documentDigest).ok).toBe(true);
      expect(verifySignedData(p256ByOtherKey.der, p256ByOtherKey.documentDigest).ok).toBe(false);
    }
  });

  it('fails when the signer certificate is not embedded', () => {
    const { der, documentDigest } = signedP256();
    const stripped = rewrite(der, (signedData) => {
      signedData.certificates = signedData.certificates?.slice(1);
    });
    const result = verifySignedData(stripped, documentDigest);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/not embedded/);
  });

  it('fails, without throwing, on bytes that are not a CMS SignedData', () => {
    for (const bytes of [Buffer.alloc(0), randomBytes(300), Buffer.from([0x30, 0x03, 0x06, 0x01, 0x00])]) {
      const result = verifySignedData(bytes, Buffer.alloc(32));
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/CMS/);
    }
  });

  it.each([
    ['rsa-pkcs1 with issuerAndSerialNumber', ['-md', 'sha256']],
    ['rsa-pss with subjectKeyIdentifier', ['-md', 'sha384', '-keyid', '-keyopt', 'rsa_padding_mode:pss']],
  ])('verifies a signature made by openssl cms -sign (%s)', async (_label, extra) => {
    const { der, data } = await opensslSign(extra);
    const parsed = parseSignedData(der);
    expect(parsed.signedAttributeOids).toContain(SIGNING_TIME);
    expect(parsed.signerCertificate).toEqual(pki.leaves.rsa2048.certificate);
    const hash = parsed.digestAlgorithm;
    expect(['sha256', 'sha384']).toContain(hash);
    expect(verifySignedData(der, createHash(hash).update(data).digest())).toEqual({ ok: true });
  });
});

describe('parseSignedData', () => {
  it('raises CMS_MALFORMED for garbage, for other content types and for trailing bytes that are not padding', () => {
    const { der } = signedP256();
    const dataContentInfo = Buffer.from(
      new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.1', content: new asn1js.OctetString({ valueHex: Buffer.from('hi') }) }).toSchema().toBER(),
    );
    for (const bytes of [randomBytes(100), Buffer.from('%PDF-1.7'), dataContentInfo, Buffer.concat([der, Buffer.from([1, 2, 3])])]) {
      try {
        parseSignedData(bytes);
        expect.unreachable();
      } catch (error) {
        expect(isMapsignError(error, 'CMS_MALFORMED')).toBe(true);
      }
    }
  });

  it('returns the signed attributes with the SET OF tag, byte for byte as signed', () => {
    const { der, signedAttributes } = signedP256();
    const parsed = parseSignedData(der);
    expect(parsed.signedAttributes[0]).toBe(0x31);
    expect(parsed.signedAttributes).toEqual(signedAttributes);
  });
});
