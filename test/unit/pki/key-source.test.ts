import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSignedData, buildSignedAttributes, HASH_ALGORITHMS, verifySignedData, type HashAlgorithm } from '../../../src/cms/index.js';
import { isMapsignError, type ErrorCode } from '../../../src/errors.js';
import { openPkcs12KeySource, type KeySource } from '../../../src/pki/index.js';
import { makeTestPki, opensslVerifiesDetached, type LeafName, type TestPki } from '../../fixtures/openssl-pki.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);
afterAll(async () => {
  await pki?.cleanup();
});

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    expect(isMapsignError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return error;
  }
  throw new Error(`expected ${code}, but the promise resolved`);
}

/** Signs a random document through the key source and returns what a verifier needs. */
async function signDocument(source: KeySource, hash: HashAlgorithm): Promise<{ data: Buffer; documentDigest: Buffer; der: Buffer; signature: Buffer }> {
  const data = randomBytes(10_000);
  const documentDigest = createHash(hash).update(data).digest();
  const certificates = source.certificateChain();
  const signedAttributes = buildSignedAttributes({ documentDigest, hashAlgorithm: hash, signerCertificate: certificates[0] as Buffer });
  const digest = createHash(hash).update(signedAttributes).digest();
  const signature = await source.sign({ hashAlgorithm: hash, digest, signedAttributes });
  const der = assembleSignedData({ signedAttributes, signature, hashAlgorithm: hash, scheme: source.scheme, certificates });
  return { data, documentDigest, der, signature };
}

describe('openPkcs12KeySource', () => {
  it.each([
    ['rsa2048', undefined, 'rsa-pkcs1', 256],
    ['rsa2048', 'rsa-pss', 'rsa-pss', 256],
    ['rsa3072', undefined, 'rsa-pkcs1', 384],
    ['rsa3072', 'rsa-pss', 'rsa-pss', 384],
    ['p256', undefined, 'ecdsa', 72],
    ['p384', undefined, 'ecdsa', 104],
  ] as const)('opens the OpenSSL 3 default p12 of %s (scheme %s) as a %s key of at most %i signature bytes', async (leaf, scheme, expected, maxBytes) => {
    const source = await openPkcs12KeySource({ path: pki.leaves[leaf].p12Path, password: pki.password, scheme });
    expect(source.kind).toBe('pkcs12');
    expect(source.scheme).toBe(expected);
    expect(source.maxSignatureBytes).toBe(maxBytes);
  });

  it.each(['rsa2048', 'rsa3072', 'p256', 'p384'] as const)('orders the %s chain signer first up to the root, byte for byte, dropping unrelated certificates', async (leaf: LeafName) => {
    const source = await openPkcs12KeySource({ data: await readFile(pki.leaves[leaf].p12Path), password: pki.password });
    const chain = source.certificateChain();
    expect(chain).toEqual(pki.leaves[leaf].chain);
    const root = new X509Certificate(chain[chain.length - 1] as Buffer);
    expect(root.checkIssued(root)).toBe(true);
  });

  it('signs with a key whose signatures verify with node:crypto and openssl cms, for every hash', async () => {
    for (const leaf of ['rsa2048', 'rsa3072', 'p256', 'p384'] as const) {
      for (const scheme of leaf.startsWith('rsa') ? (['rsa-pkcs1', 'rsa-pss'] as const) : ([undefined] as const)) {
        const source = await openPkcs12KeySource({ path: pki.leaves[leaf].p12Path, password: pki.password, scheme });
        for (const hash of HASH_ALGORITHMS) {
          const { data, documentDigest, der, signature } = await signDocument(source, hash);
          expect(signature.length).toBeLessThanOrEqual(source.maxSignatureBytes);
          expect(verifySignedData(der, documentDigest), `${leaf} ${source.scheme} ${hash}`).toEqual({ ok: true });
          const openssl = await opensslVerifiesDetached(pki, der, data);
          expect(openssl.ok, `${leaf} ${source.scheme} ${hash}: ${openssl.output}`).toBe(true);
        }
      }
    }
  });

  it('opens an older 3DES / SHA-1 MAC p12', async () => {
    const source = await openPkcs12KeySource({ path: pki.p12.legacy, password: pki.password });
    expect(source.certificateChain()).toEqual(pki.leaves.rsa2048.chain);
    const { der, documentDigest } = await signDocument(source, 'sha256');
    expect(verifySignedData(der, documentDigest)).toEqual({ ok: true });
  });

  it('opens a p12 whose password has Vietnamese letters', async () => {
    const source = await openPkcs12KeySource({ path: pki.p12.unicodePassword, password: pki.unicodePassword });
    expect(source.certificateChain()[0]).toEqual(pki.leaves.rsa2048.certificate);
  });

  it('refuses a wrong password with KEY_PASSWORD_WRONG, naming neither password', async () => {
    for (const path of [pki.leaves.rsa2048.p12Path, pki.leaves.p256.p12Path, pki.p12.legacy, pki.p12.unicodePassword]) {
      const wrong = 'Sai-mật-khẩu-123';
      const error = (await expectCode(openPkcs12KeySource({ path, password: wrong }), 'KEY_PASSWORD_WRONG')) as Error;
      const serialised = `${error.message} ${JSON.stringify(error)} ${inspect(error, { depth: 0 })}`;
      expect(serialised).not.toContain(wrong);
      expect(serialised).not.toContain(pki.password);
    }
  });

  it('refuses garbage, truncated and empty files with KEY_MALFORMED', async () => {
    const p12 = await readFile(pki.leaves.rsa2048.p12Path);
    for (const data of [Buffer.from('definitely not a key'), randomBytes(4096), p12.subarray(0, p12.length >> 1), Buffer.alloc(0)]) {
      await expectCode(openPkcs12KeySource({ data, password: pki.password }), 'KEY_MALFORMED');
    }
    const pem = join(pki.dir, 'rsa2048.pem');
    await expectCode(openPkcs12KeySource({ path: pem, password: pki.password }), 'KEY_MALFORMED');
  });

  it('refuses a p12 without a private key with KEY_MALFORMED', async () => {
    await expectCode(openPkcs12KeySource({ path: pki.p12.noKey, password: pki.password }), 'KEY_MALFORMED');
  });

  it('refuses a p12 whose certificates do not belong to its key with KEY_MALFORMED', async () => {
    const key = forge.pki.privateKeyFromPem(await readFile(pki.leaves.rsa2048.keyPath, 'utf8'));
    const strangers = [join(pki.dir, 'root-rsa.pem'), join(pki.dir, 'intermediate.pem')];
    const certs = await Promise.all(strangers.map(async (p) => forge.pki.certificateFromPem(await readFile(p, 'utf8'))));
    const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, pki.password, { algorithm: 'aes256' });
    const data = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
    const error = (await expectCode(openPkcs12KeySource({ data, password: pki.password }), 'KEY_MALFORMED')) as Error;
    expect(error.message).toMatch(/belongs to its private key/);
  });

  it('refuses an Ed25519 key with KEY_UNSUPPORTED', async () => {
    await expectCode(openPkcs12KeySource({ path: pki.p12.ed25519, password: pki.password }), 'KEY_UNSUPPORTED');
  });

  it('reports a missing file as INPUT_NOT_FOUND and a call without path or data as USAGE_INVALID', async () => {
    await expectCode(openPkcs12KeySource({ path: join(pki.dir, 'missing.p12'), password: 'x' }), 'INPUT_NOT_FOUND');
    await expectCode(openPkcs12KeySource({ password: 'x' }), 'USAGE_INVALID');
    const data = await readFile(pki.leaves.p256.p12Path);
    await expectCode(openPkcs12KeySource({ path: pki.leaves.p256.p12Path, data, password: 'x' }), 'USAGE_INVALID');
  });

  it('keeps the private key out of enumeration, JSON and inspection', async () => {
    const source = await openPkcs12KeySource({ path: pki.leaves.p256.p12Path, password: pki.password });
    const pem = await readFile(pki.leaves.p256.keyPath, 'utf8');
    const body = pem.split('\n')[1] ?? 'unreachable';
    const shown = `${JSON.stringify(source)} ${inspect(source, { depth: 5, showHidden: true })}`;
    expect(Object.keys(source).sort()).toEqual(['kind', 'maxSignatureBytes', 'scheme']);
    expect(shown).not.toContain(body);
    expect(shown).not.toMatch(/KeyObject|PRIVATE KEY/);
  });
});

describe('Pkcs12KeySource.sign', () => {
  it('refuses a digest that is not the hash of the signed attributes', async () => {
    const source = await openPkcs12KeySource({ path: pki.leaves.rsa2048.p12Path, password: pki.password });
    const signedAttributes = buildSignedAttributes({ documentDigest: Buffer.alloc(32), hashAlgorithm: 'sha256', signerCertificate: source.certificateChain()[0] as Buffer });
    const stale = createHash('sha256').update(signedAttributes).update('x').digest();
    await expectCode(source.sign({ hashAlgorithm: 'sha256', digest: stale, signedAttributes }), 'INTERNAL_ERROR');
    const otherHash = createHash('sha384').update(signedAttributes).digest();
    await expectCode(source.sign({ hashAlgorithm: 'sha256', digest: otherHash, signedAttributes }), 'INTERNAL_ERROR');
  });

  it('returns a copy of the chain, so callers cannot alter the source', async () => {
    const source = await openPkcs12KeySource({ path: pki.leaves.p384.p12Path, password: pki.password });
    const first = source.certificateChain();
    (first[0] as Buffer).fill(0);
    first.pop();
    expect(source.certificateChain()).toEqual(pki.leaves.p384.chain);
  });

  it('makes ECDSA signatures in DER form and RSA signatures of the modulus length', async () => {
    const ec = await openPkcs12KeySource({ path: pki.leaves.p384.p12Path, password: pki.password });
    const { signature: ecSignature } = await signDocument(ec, 'sha384');
    expect(ecSignature[0]).toBe(0x30);
    const rsa = await openPkcs12KeySource({ path: pki.leaves.rsa3072.p12Path, password: pki.password, scheme: 'rsa-pss' });
    const { signature: rsaSignature } = await signDocument(rsa, 'sha512');
    expect(rsaSignature.length).toBe(384);
  });
});

