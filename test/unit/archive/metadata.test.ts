import { describe, expect, it } from 'vitest';
import { isDossierCode, validateSheetMetadata } from '../../../src/archive/index.js';
import { EXAMPLE_METADATA } from '../../fixtures/make-sheet-records.js';

const VALID = { ...EXAMPLE_METADATA };

function problemsOf(input: unknown): string[] {
  try {
    validateSheetMetadata(input);
  } catch (error) {
    expect(error).toMatchObject({ code: 'ARCHIVE_METADATA_INVALID' });
    return (error as { details: { problems: string[] } }).details.problems;
  }
  throw new Error('expected the metadata to be refused');
}

describe('validateSheetMetadata', () => {
  it('accepts the contract example and returns it unchanged', () => {
    expect(validateSheetMetadata(VALID)).toEqual(VALID);
  });

  it('keeps Vietnamese text exactly as given, even in decomposed form', () => {
    const decomposed = 'Phường Trấn Biên'.normalize('NFD');
    expect(validateSheetMetadata({ ...VALID, commune: decomposed }).commune).toBe(decomposed);
  });

  it('accepts the optional fields absent or null', () => {
    const { decisionRef: _a, legacyDistrict: _b, gridSheetNumber: _c, parcelIds: _d, ...required } = VALID;
    expect(validateSheetMetadata(required)).toMatchObject({ decisionRef: null, legacyDistrict: null, gridSheetNumber: null, parcelIds: [] });
    expect(validateSheetMetadata({ ...VALID, legacyDistrict: null }).legacyDistrict).toBeNull();
  });

  it('refuses unknown fields', () => {
    expect(problemsOf({ ...VALID, landUse: 'ODT' })).toEqual(['landUse: is not a field of the sheet metadata']);
  });

  it('refuses what is not an object', () => {
    for (const input of [null, [], 'x', 3]) expect(() => validateSheetMetadata(input)).toThrow(expect.objectContaining({ code: 'ARCHIVE_METADATA_INVALID' }));
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ ...VALID, dossierCode: '000.00.31.H56-261345-0012', scale: 1.5, paperSize: 'B2', documentKind: 'ban-ve', parcelNumbers: ['112', '112', ''], province: '  ' });
    expect(problems).toEqual([
      expect.stringMatching(/^dossierCode: .*<agency code>-<YYMMDD>-<4 digits>/),
      expect.stringMatching(/^documentKind: "ban-ve" must be one of ban-do-dia-chinh, trich-luc, trich-do-dia-chinh, ban-do-hien-trang/),
      'province: must not be empty',
      'parcelNumbers[1]: "112" is repeated',
      expect.stringMatching(/^parcelNumbers\[2\]: /),
      expect.stringMatching(/^scale: 1.5 must be the scale denominator/),
      expect.stringMatching(/^paperSize: "B2"/),
    ]);
  });

  it('requires every required field', () => {
    expect(problemsOf({})).toHaveLength(11);
  });

  it('checks codes, numbers and identifiers by form', () => {
    expect(problemsOf({ ...VALID, procedureCode: '1013823' })[0]).toMatch(/^procedureCode:/);
    expect(problemsOf({ ...VALID, procedureSuffix: 'H 56' })[0]).toMatch(/^procedureSuffix:/);
    expect(problemsOf({ ...VALID, sheetNumber: '../25' })[0]).toMatch(/^sheetNumber:/);
    expect(problemsOf({ ...VALID, parcelIds: ['12345'] })[0]).toMatch(/^parcelIds\[0\]:.*12-character/);
    expect(problemsOf({ ...VALID, surveyUnit: 'a\u0000b' })[0]).toMatch(/control characters/);
    expect(problemsOf({ ...VALID, scale: 50 })[0]).toMatch(/^scale:/);
  });
});

describe('isDossierCode', () => {
  it('accepts <agency code>-<YYMMDD>-<4 digits> with a real date only', () => {
    expect(isDossierCode('000.00.31.H56-260715-0012')).toBe(true);
    expect(isDossierCode('H56-240229-0001')).toBe(true);
    expect(isDossierCode('H56-230229-0001')).toBe(false);
    expect(isDossierCode('000.00.31.H56-260715-012')).toBe(false);
    expect(isDossierCode('000.00.31.H56-2607150-0012')).toBe(false);
    expect(isDossierCode('-260715-0012')).toBe(false);
  });
});
