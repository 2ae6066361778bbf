import { describe, expect, it } from 'vitest';
import { hashSignRequestBody, parseSignRequestBody } from '../../../src/api/sign-request-body.js';
import { sheetMetadata } from '../../support/service.js';

const options = { signerNames: ['department-seal'], maxSheets: 3 };
const valid = { signatures: [{ role: 'department', signer: 'department-seal' }, { role: 'chief' }], sheets: [{ part: 's1', metadata: sheetMetadata(25) }, { sheetId: 12 }], callbackUrl: 'https://dossier.example/cb' };
const parse = (value: unknown) => parseSignRequestBody(JSON.stringify(value), options);

describe('parseSignRequestBody', () => {
  it('reads the shape of the issue: signatures in order, sheets as parts with metadata or archived ids, a callback', () => {
    expect(parse(valid)).toEqual({
      signatures: [{ role: 'department', signer: 'department-seal' }, { role: 'chief', signer: null }],
      sheets: [{ part: 's1', metadata: sheetMetadata(25) }, { sheetId: 12 }],
      callbackUrl: 'https://dossier.example/cb',
    });
  });

  it('refuses what it does not understand with USAGE_INVALID', () => {
    for (const bad of [
      '{',
      JSON.stringify([]),
      JSON.stringify({ ...valid, extra: 1 }),
      JSON.stringify({ ...valid, signatures: [] }),
      JSON.stringify({ ...valid, signatures: [{ role: '' }] }),
      JSON.stringify({ ...valid, sheets: [] }),
      JSON.stringify({ ...valid, sheets: [{ part: '../x', metadata: sheetMetadata(1) }] }),
      JSON.stringify({ ...valid, sheets: [{ part: 's1', metadata: sheetMetadata(1) }, { part: 's1', metadata: sheetMetadata(2) }] }),
      JSON.stringify({ ...valid, sheets: [{ sheetId: 0 }] }),
      JSON.stringify({ ...valid, sheets: Array.from({ length: 4 }, (_, i) => ({ part: `s${i}`, metadata: sheetMetadata(i) })) }),
      JSON.stringify({ ...valid, callbackUrl: 'ftp://x' }),
      JSON.stringify({ ...valid, callbackUrl: 'https://user:pw@x.example/' }),
    ]) {
      expect(() => parseSignRequestBody(bad, options), bad).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
    }
  });

  it('names an unknown server key SIGNER_UNKNOWN and bad metadata ARCHIVE_METADATA_INVALID with the sheet', () => {
    expect(() => parse({ ...valid, signatures: [{ role: 'x', signer: 'nobody' }] })).toThrow(expect.objectContaining({ code: 'SIGNER_UNKNOWN' }));
    expect(() => parse({ ...valid, sheets: [{ part: 's1', metadata: { ...sheetMetadata(1), paperSize: 'B5' } }] })).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_METADATA_INVALID', details: expect.objectContaining({ sheet: 0, part: 's1' }) }),
    );
  });
});

describe('hashSignRequestBody', () => {
  it('is the same for the same content in any key order or formatting, and differs with a file', () => {
    const files = [{ part: 's1', sha256: 'a'.repeat(64) }, { part: 's2', sha256: 'b'.repeat(64) }];
    const a = hashSignRequestBody(JSON.stringify({ signatures: valid.signatures, sheets: valid.sheets }), files);
    const b = hashSignRequestBody(JSON.stringify({ sheets: valid.sheets, signatures: valid.signatures }, null, 2), [...files].reverse());
    expect(a).toBe(b);
    expect(hashSignRequestBody(JSON.stringify({ signatures: valid.signatures, sheets: valid.sheets }), [{ part: 's1', sha256: 'c'.repeat(64) }, files[1]!])).not.toBe(a);
  });
});
