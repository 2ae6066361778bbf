import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { communeKey, foldVietnamese, tokenize } from '../../../src/archive/index.js';

/** Every Vietnamese letter with its base letter, written out by hand: the oracle for folding. */
const VIETNAMESE: Record<string, string> = {
  a: 'aàáảãạăằắẳẵặâầấẩẫậ',
  e: 'eèéẻẽẹêềếểễệ',
  i: 'iìíỉĩị',
  o: 'oòóỏõọôồốổỗộơờớởỡợ',
  u: 'uùúủũụưừứửữự',
  y: 'yỳýỷỹỵ',
  d: 'dđ',
};
const BASE_OF = new Map<string, string>();
for (const [base, letters] of Object.entries(VIETNAMESE)) {
  for (const letter of letters) {
    BASE_OF.set(letter, base);
    BASE_OF.set(letter.toUpperCase(), base);
  }
}
for (const c of 'bcghklmnpqrstvx') {
  BASE_OF.set(c, c);
  BASE_OF.set(c.toUpperCase(), c);
}
const LETTERS = [...BASE_OF.keys()];

const vietnameseText = fc.array(fc.oneof(fc.constantFrom(...LETTERS), fc.constantFrom(' ', '-', ',', '0', '7')), { maxLength: 40 }).map((chars) => chars.join(''));
const anyText = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('foldVietnamese', () => {
  it('folds the examples of DOMAIN.md', () => {
    expect(foldVietnamese('Vũng Tàu')).toBe('vung tau');
    expect(foldVietnamese('Đồng Nai')).toBe('dong nai');
    expect(foldVietnamese('đất ở')).toBe('dat o');
    expect(foldVietnamese('ĐẮK LẮK')).toBe('dak lak');
    expect(foldVietnamese('Thửa số 112')).toBe('thua so 112');
  });

  it('maps every Vietnamese letter, in either case, to its base letter', () => {
    fc.assert(
      fc.property(vietnameseText, (text) => {
        const expected = [...text].map((c) => BASE_OF.get(c) ?? c).join('');
        expect(foldVietnamese(text)).toBe(expected);
      }),
    );
  });

  it('gives the same result for NFC and NFD input (precomposed or combining tone marks)', () => {
    fc.assert(fc.property(anyText, (text) => foldVietnamese(text.normalize('NFC')) === foldVietnamese(text.normalize('NFD'))));
    fc.assert(fc.property(vietnameseText, (text) => foldVietnamese(text.normalize('NFD')) === foldVietnamese(text)));
  });

  it('is idempotent', () => {
    fc.assert(fc.property(anyText, (text) => foldVietnamese(foldVietnamese(text)) === foldVietnamese(text)));
  });

  it('leaves no combining mark and no đ or Đ', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const folded = foldVietnamese(text);
        return !/\p{M}/u.test(folded.normalize('NFD')) && !/[đĐ]/.test(folded);
      }),
    );
  });

  it('ignores case in Vietnamese text', () => {
    fc.assert(fc.property(vietnameseText, (text) => foldVietnamese(text.toUpperCase()) === foldVietnamese(text.toLowerCase())));
  });

  it('turns Vietnamese text into ASCII of the same length', () => {
    fc.assert(
      fc.property(vietnameseText, (text) => {
        const folded = foldVietnamese(text);
        return /^[\x00-\x7f]*$/.test(folded) && folded.length === [...text].length;
      }),
    );
  });
});

describe('tokenize', () => {
  it('splits folded text into letter-and-digit runs without repeats', () => {
    expect(tokenize('Phường Trấn Biên, TP. Biên Hòa')).toEqual(['phuong', 'tran', 'bien', 'tp', 'hoa']);
    expect(tokenize('000.00.31.H56-260715-0012')).toEqual(['000', '00', '31', 'h56', '260715', '0012']);
    expect(tokenize('456/QĐ-UBND')).toEqual(['456', 'qd', 'ubnd']);
    expect(tokenize('  ')).toEqual([]);
  });

  it('yields tokens that are folded, non-empty and free of separators', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const token of tokenize(text)) {
          expect(token).not.toBe('');
          expect(token).toBe(foldVietnamese(token));
          expect(token).toMatch(/^[\p{L}\p{N}]+$/u);
        }
      }),
    );
  });

  it('gives the same tokens for ASCII text whether or not it was cached', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 60 }), (text) => JSON.stringify(tokenize(text)) === JSON.stringify(tokenize(text))));
    expect(tokenize('Ab-CD ab')).toEqual(['ab', 'cd']);
  });
});

describe('communeKey', () => {
  it('drops the unit word so that a commune is found with or without it', () => {
    expect(communeKey('Phường Trấn Biên')).toBe('tran bien');
    expect(communeKey('tran bien')).toBe('tran bien');
    expect(communeKey('Xã  Long   Thành')).toBe('long thanh');
    expect(communeKey('Thị trấn Trảng Bom')).toBe('trang bom');
    expect(communeKey('Đặc khu Côn Đảo')).toBe('con dao');
    expect(communeKey('Phường Xuân Hương - Đà Lạt')).toBe('xuan huong da lat');
  });
});
