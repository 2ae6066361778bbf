// Checks the committed sample PKI (certs-sample/, made by generate.sh) with readers we did
// not write: node:crypto, node-forge for PKCS#12, pkijs for extensions, openssl for the CRL.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { makePki, samplePki, type SampleLeaf, type SamplePki } from '../../fixtures/make-pki.js';

const OID = {
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  msDocumentSigning: '1.3.6.1.4.1.311.10.3.12',
  documentSigning: '1.3.6.1.5.5.7.3.36',
} as const;

// KeyUsage ::= BIT STRING { digitalSignature (0), nonRepudiation (1), keyEncipherment (2),
//   dataEncipherment (3), keyAgreement (4), keyCertSign (5), cRLSign (6), ... }  (RFC 5280 §4.2.1.3)
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
];

const LEAVES: SampleLeaf[] = [
  'staffRsa',
  'staffEc',
  'departmentSeal',
  'revoked',
  'expired',
  'noSigningUsage',
  'tsa',
  'ocspResponder',
];
const SIGNERS: SampleLeaf[] = ['staffRsa', 'staffEc', 'departmentSeal', 'revoked', 'expired'];
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

interface OpenedP12 {
  key: KeyObject;
  certs: X509Certificate[];
  friendlyNames: string[];
}

const KEY_BAG = forge.pki.oids.pkcs8ShroudedKeyBag as string;
const CERT_BAG = forge.pki.oids.certBag as string;
const binaryToBuffer = (bytes: string): Buffer => Buffer.from(bytes, 'binary');

/** Opens a PKCS#12 file the way src/pki will: node-forge, keeping raw ASN.1 when it cannot parse. */
function openP12(file: string, password: string): OpenedP12 {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(readFileSync(file).toString('binary')), false, password);
  const keyBags = p12.getBags({ bagType: KEY_BAG })[KEY_BAG] ?? [];
  const certBags = p12.getBags({ bagType: CERT_BAG })[CERT_BAG] ?? [];
  expect(keyBags).toHaveLength(1);
  const keyBag = keyBags[0]!;
  // forge parses RSA keys only; for EC it leaves key null and keeps the PrivateKeyInfo.
  const keyInfo = keyBag.key
    ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key as forge.pki.rsa.PrivateKey))
    : keyBag.asn1;
  const key = createPrivateKey({ key: binaryToBuffer(forge.asn1.toDer(keyInfo).getBytes()), format: 'der', type: 'pkcs8' });
  const certs = certBags.map((bag) => {
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    return new X509Certificate(binaryToBuffer(forge.asn1.toDer(asn1).getBytes()));
  });
  const friendlyNames = certBags.map((bag) => bag.attributes.friendlyName?.[0] ?? '');
  return { key, certs, friendlyNames };
}

const readCert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));
const parsed = (cert: X509Certificate): pkijs.Certificate => pkijs.Certificate.fromBER(cert.raw);

function extension(cert: X509Certificate, oid: string): pkijs.Extension | undefined {
  return parsed(cert).extensions?.find((ext) => ext.extnID === oid);
}

function keyUsage(cert: X509Certificate): { critical: boolean; usages: string[] } {
  const ext = extension(cert, OID.keyUsage);
  if (!ext) return { critical: false, usages: [] };
  const bytes = (ext.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView;
  const usages = KEY_USAGE_BITS.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
  return { critical: ext.critical, usages };
}

function extKeyUsage(cert: X509Certificate): { critical: boolean; purposes: string[] } {
  const ext = extension(cert, OID.extKeyUsage);
  return { critical: ext?.critical ?? false, purposes: (ext?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [] };
}

const normalSerial = (hex: string): string => hex.toUpperCase().replace(/^0+(?=.)/, '');

function indexEntries(file: string): { status: string; serial: string; subject: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [status = '', , , serial = '', , subject = ''] = line.split('\t');
      return { status, serial: normalSerial(serial), subject };
    });
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('sample PKI (certs-sample)', () => {
  const pki = samplePki();
  const root = readCert(pki.rootCa);
  const issuing = readCert(pki.issuingCa);
  const leaf = (name: SampleLeaf): X509Certificate => readCert(pki.pem[name]);

  it('has every file the README lists', () => {
    const files = [
      ...[pki.rootCa, pki.issuingCa, pki.issuingCaKey, pki.caChain, pki.index],
      ...[pki.crl, pki.crlDer, pki.rootCrl, pki.rootCrlDer, pki.ocspResponderKey, pki.tsaKey],
      ...Object.values(pki.p12),
      ...Object.values(pki.pem),
    ];
    for (const file of files) expect(existsSync(file), file).toBe(true);
    const readme = readFileSync(`${pki.dir}/README.md`, 'utf8');
    for (const file of files) expect(readme, file).toContain(`\`${file.slice(pki.dir.length).replace(/^\//, '')}\``);
  });

  it('opens every PKCS#12 file with the sample password and finds its key, its certificate and the chain', () => {
    for (const name of LEAVES) {
      const { key, certs, friendlyNames } = openP12(pki.p12[name], pki.password);
      expect(certs, name).toHaveLength(3);
      const [own, ca, top] = certs as [X509Certificate, X509Certificate, X509Certificate];
      expect(own.raw.equals(leaf(name).raw), name).toBe(true);
      expect(own.checkPrivateKey(key), name).toBe(true);
      expect(ca.raw.equals(issuing.raw)).toBe(true);
      expect(top.raw.equals(root.raw)).toBe(true);
      expect(friendlyNames[0], name).toBe(own.subject.match(/^CN=(.*)$/m)?.[1]);
      expect(friendlyNames.slice(1)).toEqual(['Mapsign Sample Issuing CA', 'Mapsign Sample Root CA']);
    }
  });

  it('refuses to open a PKCS#12 file with a wrong password', () => {
    expect(() => openP12(pki.p12.staffRsa, 'wrong-password')).toThrow(/MAC could not be verified/);
  });

  it('uses RSA-2048 for staff-rsa, ECDSA P-256 for staff-ec and RSA-3072 for the department seal', () => {
    const details = (name: SampleLeaf) => {
      const { key } = openP12(pki.p12[name], pki.password);
      return { type: key.asymmetricKeyType, ...key.asymmetricKeyDetails };
    };
    expect(details('staffRsa')).toMatchObject({ type: 'rsa', modulusLength: 2048 });
    expect(details('staffEc')).toMatchObject({ type: 'ec', namedCurve: 'prime256v1' });
    expect(details('departmentSeal')).toMatchObject({ type: 'rsa', modulusLength: 3072 });
  });

  it('signs every certificate with SHA-256', () => {
    for (const cert of [root, issuing, ...LEAVES.map(leaf)]) {
      expect(parsed(cert).signatureAlgorithm.algorithmId).toBe('1.2.840.113549.1.1.11');
    }
  });

  it('stores the Vietnamese names as UTF8String and reads them back exactly', () => {
    expect(leaf('staffRsa').subject).toBe(
      'C=VN\nST=Đồng Nai\nO=Sở Nông nghiệp và Môi trường tỉnh Đồng Nai\nOU=Văn phòng Đăng ký đất đai\nCN=Nguyễn Văn An',
    );
    expect(leaf('staffEc').subject).toMatch(/\nCN=Trần Thị Bình$/);
    expect(leaf('departmentSeal').subject).toBe(
      'C=VN\nST=Đồng Nai\nO=Sở Nông nghiệp và Môi trường tỉnh Đồng Nai\nCN=Sở Nông nghiệp và Môi trường tỉnh Đồng Nai',
    );
    expect(root.subject).toBe('C=VN\nO=Tổ chức chứng thực mẫu Mapsign\nCN=Mapsign Sample Root CA');
    const rdns = parsed(leaf('staffRsa')).subject.typesAndValues;
    const cn = rdns.find((rdn) => rdn.type === '2.5.4.3');
    expect(cn?.value.idBlock.tagNumber).toBe(12); // UTF8String
    expect(cn?.value.valueBlock.value).toBe('Nguyễn Văn An'.normalize('NFC'));
    expect(rdns.find((rdn) => rdn.type === '2.5.4.6')?.value.idBlock.tagNumber).toBe(19); // PrintableString
  });

  it('makes the expired certificate expired today and every other certificate valid for more than 15 years', () => {
    const now = Date.now();
    const expired = leaf('expired');
    expect(new Date(expired.validFrom).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(new Date(expired.validTo).toISOString()).toBe('2021-01-01T00:00:00.000Z');
    for (const cert of [root, issuing, ...LEAVES.filter((name) => name !== 'expired').map(leaf)]) {
      expect(new Date(cert.validFrom).getTime()).toBeLessThanOrEqual(now);
      expect(new Date(cert.validTo).getTime() - now, cert.subject).toBeGreaterThan(15 * YEAR_MS);
    }
  });

  it('gives signers a critical keyUsage of digitalSignature and nonRepudiation with document-signing EKUs', () => {
    for (const name of SIGNERS) {
      expect(keyUsage(leaf(name)), name).toEqual({ critical: true, usages: ['digitalSignature', 'nonRepudiation'] });
      expect(extKeyUsage(leaf(name)).purposes).toEqual([OID.emailProtection, OID.msDocumentSigning, OID.documentSigning]);
    }
  });

  it('withholds digitalSignature and nonRepudiation from no-signing-usage', () => {
    expect(keyUsage(leaf('noSigningUsage'))).toEqual({ critical: true, usages: ['keyEncipherment'] });
  });

  it('gives the TSA a critical EKU of timeStamping only', () => {
    expect(extKeyUsage(leaf('tsa'))).toEqual({ critical: true, purposes: [OID.timeStamping] });
    expect(keyUsage(leaf('tsa')).usages).toEqual(['digitalSignature', 'nonRepudiation']);
  });

  it('makes the OCSP responder an OCSPSigning delegate of the issuing CA with id-pkix-ocsp-nocheck', () => {
    const responder = leaf('ocspResponder');
    expect(extKeyUsage(responder).purposes).toEqual([OID.ocspSigning]);
    expect(extension(responder, OID.ocspNoCheck)).toBeDefined();
    expect(responder.checkIssued(issuing)).toBe(true);
  });

  it('makes both CAs critical CA:TRUE with keyCertSign and cRLSign, and limits the issuing CA to pathlen 0', () => {
    for (const cert of [root, issuing]) {
      expect(keyUsage(cert)).toEqual({ critical: true, usages: ['keyCertSign', 'cRLSign'] });
      expect(extension(cert, OID.basicConstraints)?.critical).toBe(true);
      expect(cert.ca).toBe(true);
    }
    expect((extension(issuing, OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints).pathLenConstraint).toBe(0);
    for (const name of LEAVES) expect(leaf(name).ca).toBe(false);
  });

  it('chains every leaf to the issuing CA and the issuing CA to the self-signed root', () => {
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(true);
    expect(issuing.checkIssued(root) && issuing.verify(root.publicKey)).toBe(true);
    for (const name of LEAVES) {
      expect(leaf(name).checkIssued(issuing), name).toBe(true);
      expect(leaf(name).verify(issuing.publicKey), name).toBe(true);
      expect(leaf(name).verify(root.publicKey), name).toBe(false);
    }
  });

  it('lists the revoked certificate, and only it, in the issuing CA CRL signed by that CA', () => {
    const text = openssl(['crl', '-in', pki.crl, '-noout', '-text']);
    const serials = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => normalSerial(m[1]!));
    expect(serials).toEqual([normalSerial(leaf('revoked').serialNumber)]);
    expect(text).toContain('Key Compromise');
    expect(() => openssl(['crl', '-in', pki.crl, '-CAfile', pki.issuingCa, '-noout'])).not.toThrow();
    expect(openssl(['crl', '-in', pki.crlDer, '-inform', 'DER'])).toBe(readFileSync(pki.crl, 'utf8'));
    const rootCrl = openssl(['crl', '-in', pki.rootCrl, '-noout', '-text']);
    expect(rootCrl).toContain('No Revoked Certificates');
    expect(() => openssl(['crl', '-in', pki.rootCrl, '-CAfile', pki.rootCa, '-noout'])).not.toThrow();
  });

  it('marks the revoked certificate R and every other leaf V in the OCSP index', () => {
    const entries = indexEntries(pki.index);
    expect(entries).toHaveLength(LEAVES.length);
    for (const name of LEAVES) {
      const entry = entries.find((e) => e.serial === normalSerial(leaf(name).serialNumber));
      expect(entry?.status, name).toBe(name === 'revoked' ? 'R' : 'V');
    }
  });

  it('points every certificate below the root at its CA CRL, the loopback OCSP responder and the CA certificate', () => {
    const expectations: [X509Certificate, string][] = [
      [issuing, 'root-ca'],
      ...LEAVES.map((name): [X509Certificate, string] => [leaf(name), 'issuing-ca']),
    ];
    for (const [cert, ca] of expectations) {
      const dp = extension(cert, OID.crlDistributionPoints)?.parsedValue as pkijs.CRLDistributionPoints;
      const dpUris = dp.distributionPoints.flatMap((point) =>
        (point.distributionPoint as pkijs.GeneralName[]).map((name) => name.value),
      );
      expect(dpUris).toEqual([`http://127.0.0.1:18080/crl/${ca}.crl`]);
      const aia = extension(cert, OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess;
      const access = aia.accessDescriptions.map((d) => [d.accessMethod, d.accessLocation.value]);
      expect(access).toEqual([
        [OID.adOcsp, 'http://127.0.0.1:18081'],
        [OID.adCaIssuers, `http://127.0.0.1:18080/ca/${ca}.cer`],
      ]);
    }
    expect(extension(root, OID.crlDistributionPoints)).toBeUndefined();
  });

  it('ships the OCSP responder and TSA keys as PEM matching their certificates', () => {
    expect(leaf('ocspResponder').checkPrivateKey(createPrivateKey(readFileSync(pki.ocspResponderKey)))).toBe(true);
    expect(leaf('tsa').checkPrivateKey(createPrivateKey(readFileSync(pki.tsaKey)))).toBe(true);
    expect(issuing.checkPrivateKey(createPrivateKey(readFileSync(pki.issuingCaKey)))).toBe(true);
  });
});

describe('makePki', () => {
  it('generates a fresh PKI with its own keys in a temporary folder, once per process', async () => {
    const fresh: SamplePki = await makePki();
    expect(await makePki()).toEqual(fresh);
    expect(fresh.dir).not.toBe(samplePki().dir);
    const staff = readCert(fresh.pem.staffRsa);
    expect(staff.subject).toMatch(/\nCN=Nguyễn Văn An$/);
    expect(staff.verify(readCert(fresh.issuingCa).publicKey)).toBe(true);
    expect(staff.verify(readCert(samplePki().issuingCa).publicKey)).toBe(false);
    const { certs } = openP12(fresh.p12.staffEc, fresh.password);
    expect(certs).toHaveLength(3);
  }, 60_000);
});
