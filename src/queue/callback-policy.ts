// Where callbacks (webhooks to dossier systems) may go: a guard against server-side request
// forgery. By default only public addresses: not loopback, link-local (cloud metadata at
// 169.254.169.254), private (RFC 1918, RFC 4193), shared (RFC 6598), unspecified, multicast or
// reserved. MAPSIGN_CALLBACK_ALLOW opens named hosts and subnets. A host name is checked on every
// address it resolves to, and the delivery connects to those checked addresses (no second lookup
// that DNS rebinding could answer differently).

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { CallbackAllowEntry } from '../config.js';
import { MapsignError } from '../errors.js';

/** Resolves a host name to all its addresses (node:dns lookup with `all: true`). */
export type ResolveHost = (host: string) => Promise<LookupAddress[]>;

/** The ranges refused unless allowed, each with the reason given in the error. */
const REFUSED: ReadonlyArray<readonly [address: string, prefix: number, family: 'ipv4' | 'ipv6', reason: string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved (IETF protocol assignments)'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved (and broadcast)'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::', 96, 'ipv6', 'reserved (IPv4-compatible)'],
  ['64:ff9b:1::', 48, 'ipv6', 'private (local NAT64)'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'private (site-local)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** 64:ff9b::/96 (RFC 6052): the last 32 bits are an IPv4 address that a NAT64 gateway reaches. */
const NAT64 = /^64:ff9b::([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

const defaultResolve: ResolveHost = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

function refused(message: string, details: Record<string, string>): MapsignError {
  return new MapsignError('CALLBACK_URL_REFUSED', message, { details });
}

/** An IP literal of a URL's host name without brackets and zone, or null for a name. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  return isIP(bare) === 0 ? null : bare.toLowerCase();
}

/** The addresses a callback goes to, checked: the delivery connects to these and nothing else. */
export interface ResolvedCallback {
  url: URL;
  addresses: LookupAddress[];
}

export class CallbackPolicy {
  private readonly allowedHosts: string[] = [];
  private readonly allowedSuffixes: string[] = [];
  private readonly allowedSubnets = new BlockList();
  private readonly refusedRanges = REFUSED.map(([address, prefix, family, reason]) => {
    const list = new BlockList();
    list.addSubnet(address, prefix, family);
    return { list, reason };
  });

  /** `allow`: MAPSIGN_CALLBACK_ALLOW as read by the configuration; `resolve`: DNS (node:dns lookup). */
  constructor(
    allow: readonly CallbackAllowEntry[] = [],
    private readonly resolveHost: ResolveHost = defaultResolve,
  ) {
    for (const entry of allow) {
      if (entry.kind === 'subnet') this.allowedSubnets.addSubnet(entry.address, entry.prefix, entry.family);
      else if (entry.host.startsWith('*.')) this.allowedSuffixes.push(entry.host.slice(1));
      else this.allowedHosts.push(entry.host);
    }
  }

  /** Whether MAPSIGN_CALLBACK_ALLOW names this host (then it may resolve anywhere). */
  isHostAllowed(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return this.allowedHosts.includes(host) || this.allowedSuffixes.some((suffix) => host.endsWith(suffix));
  }

  /** Why an address is refused (loopback, private, …), or null when a callback may reach it. */
  refusalOf(address: string): string | null {
    const bare = address.replace(/%.*$/, '').toLowerCase();
    const version = isIP(bare);
    if (version === 0) return 'not an IP address';
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedSubnets.check(bare, family)) return null;
    const nat64 = NAT64.exec(bare);
    if (nat64) {
      const high = parseInt(nat64[1]!, 16);
      const low = parseInt(nat64[2]!, 16);
      const embedded = `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
      const inner = this.refusalOf(embedded);
      return inner === null ? null : `NAT64 of ${embedded}, ${inner}`;
    }
    return this.refusedRanges.find((range) => range.list.check(bare, family))?.reason ?? null;
  }

  /**
   * The check at submission: a host that is an IP literal must be an address callbacks may
   * reach (host names are checked when they are resolved, at delivery).
   *
   * @throws MapsignError `CALLBACK_URL_REFUSED`
   */
  checkUrl(url: URL): void {
    const address = literalAddress(url.hostname);
    if (address === null) return;
    const reason = this.refusalOf(address);
    if (reason !== null) {
      throw refused(`callbackUrl ${url.host} is a ${reason} address, which callbacks may not reach (MAPSIGN_CALLBACK_ALLOW opens it)`, { host: url.host, address, reason });
    }
  }

  /**
   * The check at delivery: resolves the host and refuses it if any of its addresses is refused,
   * so that a name cannot smuggle an internal address among public ones.
   *
   * @throws MapsignError `CALLBACK_URL_REFUSED`; the resolver's error (ENOTFOUND, …) as it is
   */
  async resolve(urlText: string): Promise<ResolvedCallback> {
    const url = new URL(urlText);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`callbackUrl must be http or https, not ${url.protocol}`, { host: url.host });
    const literal = literalAddress(url.hostname);
    if (literal !== null) {
      this.checkUrl(url);
      return { url, addresses: [{ address: literal, family: isIP(literal) }] };
    }
    const addresses = await this.resolveHost(url.hostname);
    if (addresses.length === 0) throw refused(`callback host ${url.hostname} resolves to no address`, { host: url.hostname });
    if (!this.isHostAllowed(url.hostname)) {
      for (const { address } of addresses) {
        const reason = this.refusalOf(address);
        if (reason !== null) {
          throw refused(`callback host ${url.hostname} resolves to ${address}, a ${reason} address, which callbacks may not reach (MAPSIGN_CALLBACK_ALLOW opens it)`, { host: url.hostname, address, reason });
        }
      }
    }
    return { url, addresses };
  }
}
