import { describe, expect, it } from 'vitest';
import { parseCallbackAllowList, readServiceConfig } from '../../../src/config.js';
import { CallbackPolicy } from '../../../src/queue/index.js';

const strict = new CallbackPolicy();
const refusedCode = expect.objectContaining({ code: 'CALLBACK_URL_REFUSED' });

describe('CallbackPolicy.refusalOf', () => {
  it('refuses loopback, link-local (cloud metadata), private, shared, unspecified, multicast and reserved addresses', () => {
    for (const [address, reason] of [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['169.254.169.254', 'link-local (cloud metadata)'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.10', 'private'],
      ['fc00::1', 'private (unique local)'],
      ['fdff:ffff::1', 'private (unique local)'],
      ['100.100.100.200', 'shared (carrier-grade NAT)'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.251', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'reserved (and broadcast)'],
    ] as const) {
      expect(strict.refusalOf(address), address).toBe(reason);
    }
  });

  it('sees through IPv4 written as IPv6: mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96)', () => {
    expect(strict.refusalOf('::ffff:127.0.0.1')).toBe('loopback');
    expect(strict.refusalOf('::ffff:a9fe:a9fe')).toBe('link-local (cloud metadata)');
    expect(strict.refusalOf('64:ff9b::a9fe:a9fe')).toBe('NAT64 of 169.254.169.254, link-local (cloud metadata)');
    expect(strict.refusalOf('64:ff9b::808:808')).toBeNull();
  });

  it('lets public addresses through, including the neighbours of the refused ranges', () => {
    for (const address of ['8.8.8.8', '172.15.255.255', '172.32.0.1', '169.253.255.255', '11.0.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect(strict.refusalOf(address), address).toBeNull();
    }
  });

  it('opens exactly the addresses and subnets of MAPSIGN_CALLBACK_ALLOW', () => {
    const policy = new CallbackPolicy(parseCallbackAllowList('127.0.0.1, 10.20.0.0/16, fd00:1::/32'));
    expect(policy.refusalOf('127.0.0.1')).toBeNull();
    expect(policy.refusalOf('::ffff:127.0.0.1')).toBeNull();
    expect(policy.refusalOf('127.0.0.2')).toBe('loopback');
    expect(policy.refusalOf('10.20.99.1')).toBeNull();
    expect(policy.refusalOf('10.21.0.1')).toBe('private');
    expect(policy.refusalOf('fd00:1:2::3')).toBeNull();
    expect(policy.refusalOf('fd00:2::3')).toBe('private (unique local)');
    expect(policy.refusalOf('169.254.169.254')).toBe('link-local (cloud metadata)');
  });
});

describe('CallbackPolicy.checkUrl (at submission)', () => {
  it('refuses a URL whose host is a refused IP literal, however it is spelled', () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:8080/cb', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'https://[fd12::1]/cb', 'http://10.1.2.3/', 'http://0.0.0.0/', 'http://224.0.0.1/']) {
      expect(() => strict.checkUrl(new URL(url)), url).toThrow(refusedCode);
    }
  });

  it('accepts public IP literals and leaves host names to the check at delivery', () => {
    for (const url of ['https://203.0.113.7/cb', 'https://[2001:db8::1]/cb', 'https://dossier.example/cb', 'http://localhost/cb']) {
      expect(() => strict.checkUrl(new URL(url)), url).not.toThrow();
    }
  });
});

describe('CallbackPolicy.resolve (at delivery)', () => {
  it('refuses a name when any one of its addresses is refused', async () => {
    const policy = new CallbackPolicy([], async () => [
      { address: '203.0.113.7', family: 4 },
      { address: '10.0.0.8', family: 4 },
    ]);
    await expect(policy.resolve('https://mixed.example/cb')).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED', details: { host: 'mixed.example', address: '10.0.0.8', reason: 'private' } });
  });

  it('refuses localhost as the system resolver answers it', async () => {
    await expect(strict.resolve('http://localhost:8080/cb')).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED', details: { reason: 'loopback' } });
  });

  it('lets a host named in MAPSIGN_CALLBACK_ALLOW resolve to internal addresses, and only that host', async () => {
    const internal = async () => [{ address: '10.9.8.7', family: 4 }];
    const policy = new CallbackPolicy(parseCallbackAllowList('dossier.internal,*.tnmt.example'), internal);
    expect((await policy.resolve('https://dossier.internal/cb')).addresses).toEqual([{ address: '10.9.8.7', family: 4 }]);
    expect((await policy.resolve('https://a.b.tnmt.example/cb')).addresses).toHaveLength(1);
    await expect(policy.resolve('https://other.internal/cb')).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
    await expect(policy.resolve('https://tnmt.example.evil/cb')).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
  });
});

describe('MAPSIGN_CALLBACK_ALLOW', () => {
  it('reads host names, addresses and CIDR subnets', () => {
    expect(parseCallbackAllowList(' 127.0.0.1 ,[::1], 10.0.0.0/8,Dossier.Internal, *.tnmt.example,')).toEqual([
      { kind: 'subnet', address: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { kind: 'subnet', address: '::1', prefix: 128, family: 'ipv6' },
      { kind: 'subnet', address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { kind: 'host', host: 'dossier.internal' },
      { kind: 'host', host: '*.tnmt.example' },
    ]);
    expect(readServiceConfig({}).callbackAllow).toEqual([]);
  });

  it('refuses an entry that is none of them with CONFIG_INVALID', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'host/8', 'http://x', 'a b', '10.0.0.0/-1', '*']) {
      expect(() => parseCallbackAllowList(bad), bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
