import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PdfDict, PdfName, PdfRef, PdfString, type PdfObject } from '../../../src/pdf/objects.js';
import { NeedMoreData, PdfParser } from '../../../src/pdf/parser.js';
import { serializeObject } from '../../../src/pdf/serialize.js';

function parse(text: string | Buffer, isFileEnd = true): PdfObject {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return new PdfParser(buf, 0, isFileEnd).parseObject();
}

const arbitraryObject: fc.Arbitrary<PdfObject> = fc.letrec<{ obj: PdfObject }>((tie) => ({
  obj: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => Math.round(d * 1000) / 1000),
    fc.string({ maxLength: 12 }).map((s) => new PdfName(s.replace(/[^\x01-\xff]/g, 'x'))),
    fc.uint8Array({ maxLength: 40 }).map((b) => new PdfString(Buffer.from(b))),
    fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 65535 })).map(([n, g]) => new PdfRef(n, g)),
    fc.array(tie('obj'), { maxLength: 5 }),
    fc
      .dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/), tie('obj'), { maxKeys: 5 })
      .map((record) => new PdfDict(Object.entries(record).filter(([, v]) => v !== null))),
  ),
})).obj;

function normalize(value: PdfObject): unknown {
  if (value instanceof PdfString) return { string: value.bytes.toString('hex') };
  if (value instanceof PdfName) return { name: value.value };
  if (value instanceof PdfRef) return { ref: `${value.num} ${value.gen}` };
  if (value instanceof PdfDict) return { dict: [...value.entries].map(([k, v]) => [k, normalize(v)]) };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  return value;
}

describe('PdfParser', () => {
  it('reads back every object the serializer writes', () => {
    fc.assert(
      fc.property(arbitraryObject, (value) => {
        expect(normalize(parse(`${serializeObject(value)} `))).toEqual(normalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('tells references from pairs of integers', () => {
    expect(parse('[1 0 R 2 3 4 0 R 5]')).toEqual([new PdfRef(1, 0), 2, 3, new PdfRef(4, 0), 5]);
  });

  it('decodes literal string escapes, octal codes and balanced parentheses', () => {
    const value = parse('(a\\(b\\)c (nested) \\101\\n\\\r\nend)') as PdfString;
    expect(value.bytes.toString('latin1')).toBe('a(b)c (nested) A\nend');
  });

  it('reads hex strings with or without white space between the digits, and an odd last digit as 0', () => {
    expect((parse('<48656C6c6F>') as PdfString).bytes.toString('latin1')).toBe('Hello');
    expect((parse('<48 65\n6C\r\n6c\t6F>') as PdfString).bytes.toString('latin1')).toBe('Hello');
    expect((parse('<414>') as PdfString).bytes.toString('hex')).toBe('4140');
    expect((parse('<>') as PdfString).bytes.length).toBe(0);
  });

  it('refuses a hex string with a character that is neither a hex digit nor white space', () => {
    expect(() => parse('<48 6G>')).toThrow(/bad hex string/);
    expect(() => parse('<486G>')).toThrow(/bad hex string/);
  });

  it('decodes #xx escapes in names', () => {
    expect((parse('/A#20B#2f ') as PdfName).value).toBe('A B/');
  });

  it('skips comments between tokens', () => {
    expect(parse('<< /A % comment\n 1 /B [2 %x\n 3] >>')).toEqual(new PdfDict([['A', 1], ['B', [2, 3]]]));
  });

  it('asks for more data when the window ends inside an object', () => {
    expect(() => parse('<< /A [1 2', false)).toThrow(NeedMoreData);
  });

  it('reports a truncated file with PDF_TRUNCATED when the window is the end of the file', () => {
    expect(() => parse('<< /A [1 2', true)).toThrow(expect.objectContaining({ code: 'PDF_TRUNCATED' }));
  });

  it('refuses objects nested deeper than its limit', () => {
    expect(() => parse(`${'['.repeat(300)}${']'.repeat(300)}`)).toThrow(expect.objectContaining({ code: 'PDF_LIMIT_EXCEEDED' }));
  });

  it('never crashes on arbitrary bytes, only raising typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parse(Buffer.from(bytes));
        } catch (error) {
          expect(error).toHaveProperty('code');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PdfString text', () => {
  it('writes Vietnamese as UTF-16BE with a byte order mark and reads it back in NFC', () => {
    const value = PdfString.fromText('Sở Nông nghiệp và Môi trường');
    expect(value.bytes.subarray(0, 2)).toEqual(Buffer.from([0xfe, 0xff]));
    expect(value.toText()).toBe('Sở Nông nghiệp và Môi trường'.normalize('NFC'));
  });

  it('keeps plain ASCII as PDFDocEncoding', () => {
    expect(PdfString.fromText('Signature1').bytes.toString('latin1')).toBe('Signature1');
  });
});
