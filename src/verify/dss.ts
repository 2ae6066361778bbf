// The Document Security Store (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3): the
// certificates, OCSP responses and CRLs added for long-term validation, and whether they cover a
// chain: every certificate but the root is present, with a CRL of its issuer or an OCSP response
// for its serial number. What the level B-LT needs; their validity is the trust hook's business.

import { X509Certificate } from 'node:crypto';
import { PdfDict, PdfStream, type PdfObject, type PdfReader } from '../pdf/index.js';
import { bytesOf, childrenOf, contentOf, readTlv } from './der.js';

export interface DssContent {
  certificates: Buffer[];
  ocsps: Buffer[];
  crls: Buffer[];
}

const MAX_ITEMS = 10_000;
const MAX_ITEM_BYTES = 16 * 1024 * 1024;

async function readStreams(reader: PdfReader, value: PdfObject | undefined, what: string): Promise<Buffer[]> {
  const items = await reader.resolve(value);
  if (!Array.isArray(items)) return [];
  const out: Buffer[] = [];
  for (const item of items.slice(0, MAX_ITEMS)) {
    const stream = await reader.resolve(item).catch(() => undefined);
    if (!(stream instanceof PdfStream)) continue;
    const data = await reader.readStream(stream, MAX_ITEM_BYTES, what).catch(() => undefined);
    if (data) out.push(data);
  }
  return out;
}

/** The /DSS of the catalog, or empty lists. */
export async function readDss(reader: PdfReader): Promise<DssContent> {
  const dss = await reader.resolveDict((await reader.catalog()).get('DSS')).catch(() => undefined);
  if (!(dss instanceof PdfDict)) return { certificates: [], ocsps: [], crls: [] };
  return {
    certificates: await readStreams(reader, dss.get('Certs'), '/DSS certificate'),
    ocsps: await readStreams(reader, dss.get('OCSPs'), '/DSS OCSP response'),
    crls: await readStreams(reader, dss.get('CRLs'), '/DSS CRL'),
  };
}

/** Issuer Name (DER) and serialNumber (INTEGER contents) of a certificate's TBSCertificate. */
function issuerAndSerial(der: Buffer): { issuer: Buffer; serial: Buffer } | null {
  try {
    const tbs = childrenOf(der, childrenOf(der, readTlv(der, 0))[0]!);
    const offset = tbs[0]!.tag === 0xa0 ? 1 : 0;
    return { serial: Buffer.from(contentOf(der, tbs[offset]!)), issuer: Buffer.from(bytesOf(der, tbs[offset + 2]!)) };
  } catch {
    return null;
  }
}

/** TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name, … } */
function crlIssuer(der: Buffer): Buffer | null {
  try {
    const tbs = childrenOf(der, childrenOf(der, readTlv(der, 0))[0]!);
    const offset = tbs[0]!.tag === 0x02 ? 1 : 0;
    return Buffer.from(bytesOf(der, tbs[offset + 1]!));
  } catch {
    return null;
  }
}

/** Serial numbers named by the SingleResponses of an OCSPResponse or BasicOCSPResponse. */
function ocspSerials(der: Buffer): Buffer[] {
  try {
    let basic = der;
    const top = childrenOf(der, readTlv(der, 0));
    if (top[0]?.tag === 0x0a) {
      // OCSPResponse { responseStatus, responseBytes [0] EXPLICIT SEQUENCE { responseType, response OCTET STRING } }
      const responseBytes = childrenOf(der, childrenOf(der, top[1]!)[0]!);
      basic = Buffer.from(contentOf(der, responseBytes[1]!));
    }
    const tbs = childrenOf(basic, childrenOf(basic, readTlv(basic, 0))[0]!);
    const responses = tbs.find((t, i) => i > 0 && t.tag === 0x30 && childrenOf(basic, t).every((r) => r.tag === 0x30));
    if (!responses) return [];
    return childrenOf(basic, responses).map((single) => {
      const certId = childrenOf(basic, childrenOf(basic, single)[0]!);
      return Buffer.from(contentOf(basic, certId[3]!));
    });
  } catch {
    return [];
  }
}

/** The chain of `leaf` as far as `pool` holds its issuers (self-signed root last, when there). */
export function buildChain(leaf: Buffer, pool: Buffer[]): Buffer[] {
  const parsed: X509Certificate[] = [];
  for (const der of pool) {
    try {
      parsed.push(new X509Certificate(der));
    } catch {
      // skip unreadable certificates
    }
  }
  let current: X509Certificate;
  try {
    current = new X509Certificate(leaf);
  } catch {
    return [];
  }
  const chain = [current];
  for (let i = 0; i < 10; i++) {
    if (current.checkIssued(current) && current.verify(current.publicKey)) break;
    const issuer = parsed.find((c) => !chain.some((x) => x.raw.equals(c.raw)) && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain.map((c) => c.raw);
}

/** Whether `dss` holds every non-root certificate of `chain` and revocation data for each. */
export function isChainCovered(chain: Buffer[], dss: DssContent, embedded: Buffer[]): boolean {
  if (chain.length === 0) return false;
  const crlIssuers = dss.crls.map(crlIssuer).filter((x): x is Buffer => x !== null);
  const serials = dss.ocsps.flatMap(ocspSerials);
  for (const der of chain) {
    const cert = new X509Certificate(der);
    if (cert.checkIssued(cert) && cert.verify(cert.publicKey)) continue;
    if (!dss.certificates.some((c) => c.equals(der)) && !embedded.some((c) => c.equals(der))) return false;
    const names = issuerAndSerial(der);
    if (!names) return false;
    const hasCrl = crlIssuers.some((issuer) => issuer.equals(names.issuer));
    const hasOcsp = serials.some((serial) => serial.equals(names.serial));
    if (!hasCrl && !hasOcsp) return false;
  }
  return true;
}
