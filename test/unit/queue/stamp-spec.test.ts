import { describe, expect, it } from 'vitest';
import { loadStampTemplates } from '../../../src/pdf/index.js';
import { buildServiceStamp, type StampSpec } from '../../../src/queue/index.js';

describe('the stamp of a service signature', () => {
  it('finds a role\'s block by the template\'s other name, as a dossier system calls the role', async () => {
    const templates = await loadStampTemplates();
    const spec = (template: string): StampSpec => ({ template, box: null, corner: null, qr: false });
    const stamp = (template: string) => buildServiceStamp({ spec: spec(template), templates, images: {}, dossierCode: 'H56-1', verificationUrl: null });
    expect(stamp('department')).toEqual(stamp('so-nnmt'));
    expect(stamp('survey-unit').box).toEqual(stamp('don-vi-do-dac').box);
    expect(stamp('survey-unit').box).not.toEqual(stamp('department').box);
    expect(() => stamp('nobody')).toThrow(expect.objectContaining({ code: 'STAMP_TEMPLATE_UNKNOWN' }));
  });
});
