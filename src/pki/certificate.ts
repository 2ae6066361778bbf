// Reads the facts of an X.509 certificate (RFC 5280) that signing and reports need: names,
// serial, validity, key usage and extended key usage. Parsing with pkijs/asn1js.

import { createHash, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** KeyUsage ::= BIT STRING { digitalSignature (0), nonRepudiation (1), keyEncipherment (2), dataEncipherment (3), keyAgreement (4), keyCertSign (5), cRLSign (6), encipherOnly (7), decipherOnly (8) } */
const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

export interface CertificateInfo {
  /** Attributes in order, e.g. [['C','VN'],['O','Sở …'],['CN','Nguyễn Văn An']]. */
  subjectAttributes: Array<[string, string]>;
  subject: string;
  issuer: string;
  commonName: string | undefined;
  organization: string | undefined;
  /** Lower-case hex, no leading zero bytes beyond what DER keeps. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Named bits set, or null when the extension is absent (then any usage is allowed). */
  keyUsage: KeyUsageName[] | null;
  /** Extended key usage OIDs, or null when absent. */
  extendedKeyUsage: string[] | null;
  isCa: boolean;
}

function attributesOf(names: pkijs.RelativeDistinguishedNames): Array<[string, string]> {
  return names.typesAndValues.map((tv) => {
    const value = tv.value as { valueBlock?: { value?: unknown } };
    const text = typeof value.valueBlock?.value === 'string' ? value.valueBlock.value : '';
    return [ATTRIBUTE_NAMES[tv.type] ?? tv.type, text];
  });
}

function formatName(attributes: Array<[string, string]>): string {
  return [...attributes]
    .reverse()
    .map(([key, value]) => `${key}=${value.replace(/([,+"\\<>;])/g, '\\$1')}`)
    .join(', ');
}

/**
 * What was read of a certificate, by the SHA-256 of its DER. The same few chains recur in every
 * signature a service signs and verifies, and asn1js takes about a millisecond per certificate;
 * a bounded map, oldest out first.
 */
export class CertificateMemo<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit = 512) {}

  static keyOf(der: Buffer): string {
    return createHash('sha256').update(der).digest('base64');
  }

  get(der: Buffer, read: () => T): T {
    const key = CertificateMemo.keyOf(der);
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = read();
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }
}

const decoded = new CertificateMemo<pkijs.Certificate>();
const described = new CertificateMemo<CertificateInfo>();
const nodeViews = new CertificateMemo<X509Certificate>();

/**
 * node:crypto's view of a certificate, built once per certificate per process: a validator meets
 * the same chain on every sheet, and each construction costs a DER parse in OpenSSL. Throws what
 * `new X509Certificate` throws for unreadable DER (nothing is remembered then).
 */
export function readX509Certificate(der: Buffer): X509Certificate {
  return nodeViews.get(der, () => new X509Certificate(der));
}

/** The decoded certificate, shared by every caller: read it, never change it. */
export function parseCertificate(der: Buffer): pkijs.Certificate {
  return decoded.get(der, () => {
    try {
      return pkijs.Certificate.fromBER(new Uint8Array(der));
    } catch (error) {
      throw new MapsignError('KEY_MALFORMED', 'certificate is not valid DER', { cause: error });
    }
  });
}

export function describeCertificate(der: Buffer): CertificateInfo {
  const info = described.get(der, () => readCertificateInfo(der));
  // Each caller gets its own arrays and dates: what it does with them never reaches the memo.
  return {
    ...info,
    subjectAttributes: info.subjectAttributes.map(([key, value]) => [key, value]),
    notBefore: new Date(info.notBefore),
    notAfter: new Date(info.notAfter),
    keyUsage: info.keyUsage && [...info.keyUsage],
    extendedKeyUsage: info.extendedKeyUsage && [...info.extendedKeyUsage],
  };
}

function readCertificateInfo(der: Buffer): CertificateInfo {
  const cert = parseCertificate(der);
  const subjectAttributes = attributesOf(cert.subject);
  const issuerAttributes = attributesOf(cert.issuer);
  let keyUsage: KeyUsageName[] | null = null;
  let extendedKeyUsage: string[] | null = null;
  let isCa = false;
  for (const extension of cert.extensions ?? []) {
    if (extension.extnID === '2.5.29.15') {
      const bits = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result as asn1js.BitString;
      const bytes = new Uint8Array(bits.valueBlock.valueHexView);
      keyUsage = KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
    } else if (extension.extnID === '2.5.29.37') {
      const parsed = extension.parsedValue as pkijs.ExtKeyUsage | undefined;
      extendedKeyUsage = parsed?.keyPurposes ?? [];
    } else if (extension.extnID === '2.5.29.19') {
      const parsed = extension.parsedValue as pkijs.BasicConstraints | undefined;
      isCa = parsed?.cA === true;
    }
  }
  return {
    subjectAttributes,
    subject: formatName(subjectAttributes),
    issuer: formatName(issuerAttributes),
    commonName: subjectAttributes.find(([k]) => k === 'CN')?.[1],
    organization: subjectAttributes.find(([k]) => k === 'O')?.[1],
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyUsage,
    extendedKeyUsage,
    isCa,
  };
}
