import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleSignedData, buildSignedAttributes, parseSignedData, verifySignedData } from '../../../src/cms/index.js';
import { appendUnsignedAttributes, encodeAttribute, insertCertificates, splitCertificates, unsignedAttributeValues } from '../../../src/cms/certificate-set.js';

const pem = readFileSync('certs-sample/department-seal.pem', 'utf8') + readFileSync('certs-sample/ca-chain.pem', 'utf8');
const certificates = [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).raw);
const digest = createHash('sha256').update('sheet').digest();
const signedAttributes = buildSignedAttributes({ documentDigest: digest, hashAlgorithm: 'sha256', signerCertificate: certificates[0]! });
const der = assembleSignedData({ signedAttributes, signature: Buffer.alloc(384, 7), hashAlgorithm: 'sha256', scheme: 'rsa-pkcs1', certificates });

/** The same ContentInfo with its outer SEQUENCE in BER's indefinite-length form. */
function toIndefiniteOuter(bytes: Buffer): Buffer {
  const lengthBytes = bytes[1]! & 0x80 ? 1 + (bytes[1]! & 0x7f) : 1;
  return Buffer.concat([Buffer.from([0x30, 0x80]), bytes.subarray(1 + lengthBytes), Buffer.from([0, 0])]);
}

describe('the certificates of a SignedData as raw DER', () => {
  it('are cut out and put back byte for byte', () => {
    const split = splitCertificates(der);
    expect(split).not.toBeNull();
    expect(split!.certificates).toEqual(certificates);
    expect(split!.rest.length).toBe(der.length - certificates.reduce((sum, c) => sum + c.length, 0) - 4);
    expect(insertCertificates(split!.rest, split!.certificates).equals(der)).toBe(true);
  });

  it('are not cut from BER with indefinite lengths, which is read whole with the same result', () => {
    const ber = toIndefiniteOuter(der);
    expect(splitCertificates(ber)).toBeNull();
    const fromBer = parseSignedData(ber);
    const fromDer = parseSignedData(der);
    expect(fromBer).toEqual(fromDer);
    expect(fromDer.signerCertificate?.equals(certificates[0]!)).toBe(true);
  });

  it('allow zero padding after the ContentInfo, as in a /Contents reservation, and nothing else', () => {
    expect(parseSignedData(Buffer.concat([der, Buffer.alloc(4096)])).certificates).toEqual(certificates);
    expect(verifySignedData(Buffer.concat([der, Buffer.alloc(64)]), digest).reason).toMatch(/signature/);
    expect(() => parseSignedData(Buffer.concat([der, Buffer.from([0, 1])]))).toThrow(/trailing bytes/);
  });

  it('read twice give equal views, and changing one view leaves the next read as it was', () => {
    const first = parseSignedData(der);
    first.certificates.pop();
    first.signedAttributeOids.push('1.2.3');
    const second = parseSignedData(der);
    expect(second.certificates).toEqual(certificates);
    expect(second.signedAttributeOids).not.toContain('1.2.3');
  });

  it('take unsigned attributes as raw DER, and give back the values of one type', () => {
    const oid = Buffer.from([0x06, 0x03, 0x2a, 0x03, 0x04]);
    const other = Buffer.from([0x06, 0x03, 0x2a, 0x03, 0x05]);
    const token = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x07]);
    const withAttributes = appendUnsignedAttributes(der, [encodeAttribute(oid, token), encodeAttribute(other, Buffer.from([0x05, 0x00]))]);
    expect(unsignedAttributeValues(withAttributes, oid)).toEqual([token]);
    expect(unsignedAttributeValues(der, oid)).toEqual([]);
    expect(parseSignedData(withAttributes).unsignedAttributeOids).toEqual(['1.2.3.4', '1.2.3.5']);
    expect(() => appendUnsignedAttributes(withAttributes, [])).toThrow(/without unsigned attributes/);
    expect(() => assembleSignedData({ signedAttributes, signature: Buffer.alloc(384, 7), hashAlgorithm: 'sha256', scheme: 'rsa-pkcs1', certificates, unsignedAttributes: [token] })).toThrow(/not the DER of an Attribute/);
  });

  it('refuse a splice into a ContentInfo that already has certificates', () => {
    expect(() => insertCertificates(der, certificates)).toThrow(/without certificates/);
  });
});
