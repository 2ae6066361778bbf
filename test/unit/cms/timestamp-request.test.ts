import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { buildTimeStampRequest } from '../../../src/cms/index.js';

function nonceBytesOf(request: Buffer): Buffer {
  const sequence = asn1js.fromBER(new Uint8Array(request)).result as asn1js.Sequence;
  const nonce = sequence.valueBlock.value.filter((item) => item instanceof asn1js.Integer).at(-1) as asn1js.Integer;
  return Buffer.from(nonce.valueBlock.valueHexView);
}

describe('buildTimeStampRequest', () => {
  const imprint = Buffer.alloc(32, 7);

  it('encodes a nonce with a low first byte as a minimal DER INTEGER, with no leading zero', () => {
    const nonce = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
    expect(nonceBytesOf(buildTimeStampRequest({ messageImprint: imprint, hashAlgorithm: 'sha256', nonce }))).toEqual(nonce);
  });

  it('keeps a nonce with the top bit set positive with one leading zero', () => {
    const nonce = Buffer.from('ff02030405060708090a0b0c0d0e0f10', 'hex');
    expect(nonceBytesOf(buildTimeStampRequest({ messageImprint: imprint, hashAlgorithm: 'sha256', nonce }))).toEqual(Buffer.concat([Buffer.from([0]), nonce]));
  });

  it('drops redundant leading zero bytes of the nonce', () => {
    const nonce = Buffer.from('00007f', 'hex');
    expect(nonceBytesOf(buildTimeStampRequest({ messageImprint: imprint, hashAlgorithm: 'sha256', nonce }))).toEqual(Buffer.from('7f', 'hex'));
  });
});
