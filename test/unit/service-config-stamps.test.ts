import { describe, expect, it } from 'vitest';
import { parsePublicUrl, readServiceConfig } from '../../src/config.js';

describe('the service configuration of stamps', () => {
  it('reads MAPSIGN_PUBLIC_URL without its trailing slash, and null when unset', () => {
    expect(readServiceConfig({ MAPSIGN_PUBLIC_URL: 'https://kiemtra.example.gov.vn/' }).publicUrl).toBe('https://kiemtra.example.gov.vn');
    expect(readServiceConfig({ MAPSIGN_PUBLIC_URL: 'https://example.gov.vn/mapsign/' }).publicUrl).toBe('https://example.gov.vn/mapsign');
    expect(readServiceConfig({}).publicUrl).toBeNull();
  });

  it('refuses a public URL that is not plain http(s) with CONFIG_INVALID', () => {
    for (const bad of ['kiemtra.example.gov.vn', 'ftp://x.example', 'https://u:p@x.example', 'https://x.example/?a=1', 'https://x.example/#v']) {
      expect(() => parsePublicUrl(bad), bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('reads the signature and seal images of a server signer, and the stamp templates file', () => {
    const signers = JSON.stringify({ seal: { p12: '/keys/seal.p12', passwordEnv: 'P', sealImage: '/img/seal.png', signatureImage: '/img/sig.png' } });
    const config = readServiceConfig({ MAPSIGN_SIGNERS: signers, MAPSIGN_STAMP_TEMPLATES: '/etc/mapsign/stamps.json' });
    expect(config.signers['seal']).toMatchObject({ sealImage: '/img/seal.png', signatureImage: '/img/sig.png' });
    expect(config.stampTemplatesPath).toBe('/etc/mapsign/stamps.json');
    expect(() => readServiceConfig({ MAPSIGN_SIGNERS: JSON.stringify({ seal: { p12: '/k.p12', passwordEnv: 'P', sealImage: 7 } }) })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
