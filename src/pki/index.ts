// Public surface of the pki module: certificates and key sources (PKCS#12 now; PKCS#11 tokens
// and external two-phase signers fit the same KeySource interface).
import * as certificate from './certificate.js';
import type * as keySource from './key-source.js';
import * as p12 from './p12-key-source.js';

/** Where the private key lives: 'pkcs12', 'pkcs11' or 'external'. */
export type KeySourceKind = keySource.KeySourceKind;

/** The hash of the signed attributes and the DER itself; external signers use only `digest`. */
export type SignatureRequest = keySource.SignatureRequest;

/**
 * A private key and its chain. PKCS#12 now; a PKCS#11 token and an external two-phase signer
 * (only `digest` leaves the service; the signature comes back later) fit without changing callers.
 */
export type KeySource = keySource.KeySource;

/** Input of {@link openPkcs12KeySource}. */
export type OpenPkcs12KeySourceOptions = p12.OpenPkcs12KeySourceOptions;

/**
 * Opens a PKCS#12 file (`path` or `data`) with its password. RSA keys sign with `scheme`
 * ('rsa-pkcs1' by default, or 'rsa-pss'); EC keys (P-256, P-384, P-521) with ECDSA. The chain is
 * the key's certificate, then its issuers up to the root as far as the file holds them.
 *
 * @throws MapsignError `KEY_PASSWORD_WRONG` when the password does not open the file,
 *   `KEY_MALFORMED` for garbage, no key, several keys or no certificate of the key,
 *   `KEY_UNSUPPORTED` for other key types (DSA, Ed25519, …) and unreadable algorithms,
 *   `INPUT_NOT_FOUND`/`IO_FAILED` when the file cannot be read.
 */
export function openPkcs12KeySource(options: OpenPkcs12KeySourceOptions): Promise<KeySource> {
  return p12.openPkcs12KeySource(options);
}

/** Names, serial, validity and usages of a certificate, for signer checks and reports. */
export type CertificateInfo = certificate.CertificateInfo;

/** A named KeyUsage bit (RFC 5280 §4.2.1.3). */
export type KeyUsageName = certificate.KeyUsageName;

/** Reads the facts of a DER certificate that signing and reports need. */
export function describeCertificate(der: Buffer): CertificateInfo {
  return certificate.describeCertificate(der);
}
