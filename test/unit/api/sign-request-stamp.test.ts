import { describe, expect, it } from 'vitest';
import { parseSignRequestBody, type ParseSignRequestOptions } from '../../../src/api/sign-request-body.js';
import { sheetMetadata } from '../../support/service.js';

const TEMPLATES = ['don-vi-do-dac', 'ubnd-xa', 'van-phong-dang-ky', 'so-nnmt'];
const options: ParseSignRequestOptions = { signerNames: ['department-seal'], maxSheets: 3, stampTemplates: TEMPLATES, hasPublicUrl: true };
const sheets = [{ part: 's1', metadata: sheetMetadata(25) }];
const parse = (signature: Record<string, unknown>, given: ParseSignRequestOptions = options) => parseSignRequestBody(JSON.stringify({ signatures: [signature], sheets }), given).signatures[0]!;

describe('the stamp of a signature in a sign request', () => {
  it('leaves a signature without stamp invisible, as before', () => {
    expect(parse({ role: 'so-nnmt', signer: 'department-seal' })).toEqual({ role: 'so-nnmt', signer: 'department-seal' });
    expect(parse({ role: 'so-nnmt', signer: 'department-seal' })).not.toHaveProperty('stamp');
  });

  it('takes the template named like the role, the template box and corner, and a QR code when the service has a public URL', () => {
    expect(parse({ role: 'so-nnmt', signer: 'department-seal', stamp: {} }).stamp).toEqual({ template: 'so-nnmt', box: null, corner: null, qr: true });
    expect(parse({ role: 'department', stamp: {} }).stamp).toEqual({ template: null, box: null, corner: null, qr: true });
    expect(parse({ role: 'so-nnmt', stamp: {} }, { ...options, hasPublicUrl: false }).stamp).toMatchObject({ qr: false });
  });

  it('reads a named template, a box as an array or an object, a corner and qr', () => {
    expect(parse({ role: 'department', signer: 'department-seal', stamp: { template: 'so-nnmt', corner: 'br', box: [10, 60, 98, 46], qr: false } }).stamp).toEqual({
      template: 'so-nnmt',
      box: { x: 10, y: 60, width: 98, height: 46 },
      corner: 'br',
      qr: false,
    });
    expect(parse({ role: 'x', stamp: { box: { x: 0, y: 5, width: 50, height: 20 } } }).stamp!.box).toEqual({ x: 0, y: 5, width: 50, height: 20 });
  });

  it('names a template the service does not have STAMP_TEMPLATE_UNKNOWN', () => {
    expect(() => parse({ role: 'department', stamp: { template: 'department' } })).toThrow(expect.objectContaining({ code: 'STAMP_TEMPLATE_UNKNOWN', details: expect.objectContaining({ template: 'department' }) }));
    expect(() => parse({ role: 'so-nnmt', stamp: { template: 'so-nnmt' } }, { ...options, stampTemplates: undefined })).toThrow(expect.objectContaining({ code: 'STAMP_TEMPLATE_UNKNOWN' }));
  });

  it('refuses a malformed stamp with USAGE_INVALID', () => {
    for (const stamp of [
      'so-nnmt',
      [1],
      { extra: true },
      { box: [1, 2, 3] },
      { box: [1, 2, 0, 4] },
      { box: [-1, 2, 3, 4] },
      { box: { x: 1, y: 2, w: 3, h: 4 } },
      { corner: 'middle' },
      { qr: 'yes' },
    ]) {
      expect(() => parse({ role: 'so-nnmt', stamp }), JSON.stringify(stamp)).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
    }
    expect(() => parse({ role: 'so-nnmt', stamp: { qr: true } }, { ...options, hasPublicUrl: false })).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });
});
