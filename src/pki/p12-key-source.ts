// A key source backed by a PKCS#12 file (RFC 7292), read with node-forge. forge only unwraps the
// file; the key becomes a node:crypto KeyObject and every private-key operation runs there.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import forge from 'node-forge';
import type { SignatureScheme } from '../cms/index.js';
import { fromSystemError, MapsignError } from '../errors.js';
import { orderCertificateChain } from './certificate-chain.js';
import { profileKey, signWithKeyObject } from './key-object.js';
import type { KeySource, SignatureRequest } from './key-source.js';

export interface OpenPkcs12KeySourceOptions {
  /** Path of the .p12/.pfx file; give this or `data`. */
  path?: string;
  /** The file's bytes. */
  data?: Buffer;
  password: string;
  /** For RSA keys: PKCS#1 v1.5 (default) or RSASSA-PSS. EC keys always sign with ECDSA. */
  scheme?: 'rsa-pkcs1' | 'rsa-pss';
}

/** Key files are a few KiB; anything far larger is a wrong path, not a key. */
const MAX_PKCS12_BYTES = 1024 * 1024;

class Pkcs12KeySource implements KeySource {
  readonly kind = 'pkcs12' as const;
  readonly scheme: SignatureScheme;
  readonly maxSignatureBytes: number;
  // A private field: never enumerated, serialised or printed by util.inspect.
  readonly #key: KeyObject;
  readonly #chain: readonly Buffer[];

  constructor(key: KeyObject, chain: readonly Buffer[], scheme: SignatureScheme, maxSignatureBytes: number) {
    this.#key = key;
    this.#chain = chain;
    this.scheme = scheme;
    this.maxSignatureBytes = maxSignatureBytes;
  }

  certificateChain(): Buffer[] {
    return this.#chain.map((der) => Buffer.from(der));
  }

  sign(request: SignatureRequest): Promise<Buffer> {
    return signWithKeyObject(this.#key, this.scheme, request);
  }
}

/**
 * Opens a PKCS#12 file: checks its MAC with the password, decrypts the key and certificate
 * bags (OpenSSL 3 defaults — AES-256-CBC, PBKDF2, SHA-256 MAC — and the older 3DES/SHA-1 files),
 * turns the key into a KeyObject and orders the certificates into the signer's chain.
 */
export async function openPkcs12KeySource(options: OpenPkcs12KeySourceOptions): Promise<KeySource> {
  const data = await readPkcs12Bytes(options);
  const pfx = decodePkcs12(data, options.password);
  const key = extractPrivateKey(pfx);
  const profile = profileKey(key, options.scheme);
  const chain = orderCertificateChain(key, extractCertificates(pfx));
  return new Pkcs12KeySource(key, chain, profile.scheme, profile.maxSignatureBytes);
}

async function readPkcs12Bytes(options: OpenPkcs12KeySourceOptions): Promise<Buffer> {
  if ((options.path === undefined) === (options.data === undefined)) {
    throw new MapsignError('USAGE_INVALID', 'give the PKCS#12 file as exactly one of path or data');
  }
  if (typeof options.password !== 'string') throw new MapsignError('USAGE_INVALID', 'the PKCS#12 password must be a string');
  let data: Buffer;
  if (options.path !== undefined) {
    const path = options.path;
    try {
      const { size } = await stat(path);
      if (size > MAX_PKCS12_BYTES) throw makeTooLargeError(size);
      data = await readFile(path);
    } catch (error) {
      throw fromSystemError(error, path);
    }
  } else {
    data = options.data as Buffer;
  }
  if (!Buffer.isBuffer(data) || data.length === 0) throw new MapsignError('KEY_MALFORMED', 'the key file is empty');
  if (data.length > MAX_PKCS12_BYTES) throw makeTooLargeError(data.length);
  return data;
}

function makeTooLargeError(size: number): MapsignError {
  return new MapsignError('KEY_MALFORMED', `the key file is ${size} bytes, too large for a PKCS#12 file`, { details: { size, limit: MAX_PKCS12_BYTES } });
}

const WRONG_PASSWORD = /MAC could not be verified|Invalid password|wrong password|Failed to decrypt|Unable to decrypt/i;
const DECRYPTION_FAILED = /Failed to decrypt|Unable to decrypt/i;
const UNSUPPORTED = /unsupported|not supported/i;
const NON_ASCII = /[^\u0000-\u007f]/;

/** Translates forge's failures (plain Errors with fixed messages) at this boundary. */
function decodePkcs12(data: Buffer, password: string): forge.pkcs12.Pkcs12Pfx {
  let pfx: forge.asn1.Asn1;
  try {
    pfx = forge.asn1.fromDer(data.toString('binary'), true);
  } catch (error) {
    throw new MapsignError('KEY_MALFORMED', 'the key file is not a PKCS#12 file (not DER)', { cause: error });
  }
  try {
    return forge.pkcs12.pkcs12FromAsn1(pfx, false, password);
  } catch (error) {
    // forge checks the MAC first, deriving its key from the password as a BMPString (right),
    // then hands the same JS string to PBKDF2 as if each character were a byte (wrong beyond
    // ASCII; OpenSSL and RFC 8018 use UTF-8). So when a file with a MAC fails only at
    // decryption, the MAC has already proven the file and the password: decode it again
    // without the MAC and with the password as UTF-8.
    if (NON_ASCII.test(password) && DECRYPTION_FAILED.test(describeForgeError(error)) && hasMac(pfx)) {
      try {
        return forge.pkcs12.pkcs12FromAsn1(stripMac(pfx), false, forge.util.encodeUtf8(password));
      } catch (retryError) {
        throw translateForgeError(retryError);
      }
    }
    throw translateForgeError(error);
  }
}

/** PFX ::= SEQUENCE { version INTEGER, authSafe ContentInfo, macData MacData OPTIONAL } */
function hasMac(pfx: forge.asn1.Asn1): boolean {
  return Array.isArray(pfx.value) && pfx.value.length > 2;
}

function stripMac(pfx: forge.asn1.Asn1): forge.asn1.Asn1 {
  const value = Array.isArray(pfx.value) ? pfx.value.slice(0, 2) : pfx.value;
  return forge.asn1.create(pfx.tagClass, pfx.type, pfx.constructed, value);
}

function describeForgeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function translateForgeError(error: unknown): MapsignError {
  const reason = describeForgeError(error);
  if (WRONG_PASSWORD.test(reason)) {
    return new MapsignError('KEY_PASSWORD_WRONG', 'the password does not open the PKCS#12 file', { cause: error });
  }
  if (UNSUPPORTED.test(reason)) {
    return new MapsignError('KEY_UNSUPPORTED', `the PKCS#12 file uses something we cannot read: ${reason}`, { cause: error, details: { reason } });
  }
  return new MapsignError('KEY_MALFORMED', `the key file is not a readable PKCS#12 file: ${reason}`, { cause: error, details: { reason } });
}

function getBagsOfType(pfx: forge.pkcs12.Pkcs12Pfx, bagType: string): forge.pkcs12.Bag[] {
  return pfx.getBags({ bagType })[bagType] ?? [];
}

/**
 * forge turns RSA keys into objects and leaves other PrivateKeyInfos (EC, RSASSA-PSS, Ed25519)
 * in `bag.asn1`; either way we hand PKCS#8 DER to node:crypto and wipe our copy.
 * ```asn
 * PrivateKeyInfo ::= SEQUENCE {
 *   version              Version,
 *   privateKeyAlgorithm  AlgorithmIdentifier,
 *   privateKey           OCTET STRING,
 *   attributes           [0] IMPLICIT Attributes OPTIONAL }
 * ```
 */
function extractPrivateKey(pfx: forge.pkcs12.Pkcs12Pfx): KeyObject {
  const bags = [...getBagsOfType(pfx, forge.pki.oids.pkcs8ShroudedKeyBag ?? ''), ...getBagsOfType(pfx, forge.pki.oids.keyBag ?? '')];
  if (bags.length === 0) throw new MapsignError('KEY_MALFORMED', 'the PKCS#12 file holds no private key');
  if (bags.length > 1) {
    throw new MapsignError('KEY_MALFORMED', `the PKCS#12 file holds ${bags.length} private keys; mapsign needs exactly one`, {
      details: { keyCount: bags.length },
    });
  }
  const bag = bags[0] as forge.pkcs12.Bag;
  const privateKeyInfo = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  if (!privateKeyInfo) throw new MapsignError('KEY_MALFORMED', 'the PKCS#12 key bag is empty');
  const der = Buffer.from(forge.asn1.toDer(privateKeyInfo).getBytes(), 'binary');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (error) {
    // Node names the failure but never the key bytes; keep only the code.
    const code = (error as { code?: string }).code ?? 'unknown';
    const isUnsupported = /UNSUPPORTED|unsupported/.test(`${code} ${error instanceof Error ? error.message : ''}`);
    throw new MapsignError(isUnsupported ? 'KEY_UNSUPPORTED' : 'KEY_MALFORMED', `node:crypto cannot load the private key (${code})`, {
      details: { code },
    });
  } finally {
    der.fill(0);
  }
}

/**
 * The certificates' DER exactly as stored. forge keeps non-RSA certificates as ASN.1
 * (`bag.asn1`), which re-encodes to the original DER. For RSA certificates it keeps the parsed
 * TBSCertificate and the signature bits but rebuilds the outer signatureAlgorithm from its own
 * table (which adds NULL parameters even to ecdsa-with-SHA*), so we rebuild that field from
 * the TBSCertificate's copy, which RFC 5280 §4.1.1.2 requires to be identical.
 * ```asn
 * Certificate ::= SEQUENCE {
 *   tbsCertificate       TBSCertificate,
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signatureValue       BIT STRING }
 * TBSCertificate ::= SEQUENCE {
 *   version         [0] EXPLICIT Version DEFAULT v1,
 *   serialNumber    CertificateSerialNumber,
 *   signature       AlgorithmIdentifier, … }
 * ```
 */
function extractCertificates(pfx: forge.pkcs12.Pkcs12Pfx): Buffer[] {
  return getBagsOfType(pfx, forge.pki.oids.certBag ?? '').map((bag, index) => {
    const asn1 = bag.cert ? rebuildCertificate(bag.cert) : bag.asn1;
    if (!asn1) throw new MapsignError('KEY_MALFORMED', `certificate bag ${index + 1} of the PKCS#12 file is empty`, { details: { index } });
    return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  });
}

function rebuildCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 {
  const { asn1 } = forge;
  const tbs = cert.tbsCertificate;
  const fields = Array.isArray(tbs.value) ? tbs.value : [];
  const hasVersion = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  const signatureField = fields[hasVersion ? 2 : 1];
  if (!signatureField) throw new MapsignError('KEY_MALFORMED', 'a certificate in the PKCS#12 file has no signature algorithm');
  const signature = typeof cert.signature === 'string' ? cert.signature : '';
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    signatureField,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${signature}`),
  ]);
}
