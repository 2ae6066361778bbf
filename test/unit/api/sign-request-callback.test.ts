import { describe, expect, it } from 'vitest';
import { parseSignRequestBody } from '../../../src/api/sign-request-body.js';
import { parseCallbackAllowList } from '../../../src/config.js';
import { CallbackPolicy } from '../../../src/queue/index.js';
import { sheetMetadata } from '../../support/service.js';

const body = (callbackUrl: string): string => JSON.stringify({ signatures: [{ role: 'department', signer: 'department-seal' }], sheets: [{ part: 's1', metadata: sheetMetadata(1) }], callbackUrl });

describe('parseSignRequestBody: callbackUrl and the callback policy', () => {
  it('refuses a callback to the cloud metadata address or any internal IP literal with CALLBACK_URL_REFUSED', () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/iam/', 'http://127.0.0.1:9000/cb', 'http://[::1]/cb', 'http://192.168.0.10/cb', 'http://[fe80::1]/cb']) {
      expect(() => parseSignRequestBody(body(url), { signerNames: ['department-seal'], maxSheets: 3 }), url).toThrow(expect.objectContaining({ code: 'CALLBACK_URL_REFUSED' }));
    }
  });

  it('accepts the loopback receiver that MAPSIGN_CALLBACK_ALLOW opens, and public hosts without it', () => {
    const callbackPolicy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1'));
    expect(parseSignRequestBody(body('http://127.0.0.1:9000/cb'), { signerNames: ['department-seal'], maxSheets: 3, callbackPolicy }).callbackUrl).toBe('http://127.0.0.1:9000/cb');
    expect(parseSignRequestBody(body('https://203.0.113.9/cb'), { signerNames: ['department-seal'], maxSheets: 3 }).callbackUrl).toBe('https://203.0.113.9/cb');
  });
});
