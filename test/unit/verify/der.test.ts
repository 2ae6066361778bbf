import { describe, expect, it } from 'vitest';
import { childrenOf, decodeOid, decodeTime, leadingElementLength, readTlv } from '../../../src/verify/der.js';

describe('der walker', () => {
  it('reads nested elements and their children', () => {
    // SEQUENCE { INTEGER 5, OCTET STRING 'ab' }
    const buf = Buffer.from('3007020105040261', 'hex');
    const fixed = Buffer.concat([Buffer.from('3007020105040261', 'hex'), Buffer.from('62', 'hex')]);
    expect(() => readTlv(buf, 0)).toThrow(/runs past/);
    const seq = readTlv(fixed, 0);
    expect(childrenOf(fixed, seq).map((c) => c.tag)).toEqual([0x02, 0x04]);
  });

  it('resolves indefinite lengths and long-form lengths', () => {
    const indefinite = Buffer.from('30800201050000', 'hex');
    expect(readTlv(indefinite, 0)).toMatchObject({ contentStart: 2, contentEnd: 5, end: 7 });
    const long = Buffer.concat([Buffer.from('048181', 'hex'), Buffer.alloc(129)]);
    expect(readTlv(long, 0).end).toBe(132);
  });

  it('measures the DER at the start of a zero-padded /Contents, or -1 for garbage', () => {
    expect(leadingElementLength(Buffer.from('020101000000', 'hex'))).toBe(3);
    expect(leadingElementLength(Buffer.from('ff', 'hex'))).toBe(-1);
  });

  it('decodes object identifiers and times', () => {
    expect(decodeOid(Buffer.from('2a864886f70d010910020e', 'hex'))).toBe('1.2.840.113549.1.9.16.2.14');
    expect(decodeTime(0x17, Buffer.from('260715023210Z'))?.toISOString()).toBe('2026-07-15T02:32:10.000Z');
    expect(decodeTime(0x18, Buffer.from('20260715023210Z'))?.toISOString()).toBe('2026-07-15T02:32:10.000Z');
    expect(decodeTime(0x18, Buffer.from('garbage'))).toBeNull();
  });
});
