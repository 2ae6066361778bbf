// A throw-away test PKI made with the openssl CLI in a temp dir: an RSA root with an RSA
// intermediate, an EC root, leaves with RSA-2048, RSA-3072 (under the EC root), EC P-256 and P-384 keys (with
// Vietnamese names and a serial whose high bit is set), and PKCS#12 files of them.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type LeafName = 'rsa2048' | 'rsa3072' | 'p256' | 'p384';
export const LEAF_NAMES: readonly LeafName[] = ['rsa2048', 'rsa3072', 'p256', 'p384'];

export interface TestLeaf {
  name: LeafName;
  keyPath: string;
  key: KeyObject;
  certificate: Buffer;
  /** DER, leaf first, up to and including its root. */
  chain: Buffer[];
  /** OpenSSL 3 default PKCS#12 (AES-256-CBC, PBKDF2, SHA-256 MAC), issuers in scrambled order. */
  p12Path: string;
}

export interface TestPki {
  dir: string;
  password: string;
  /** Both roots, PEM, for `openssl cms -verify -CAfile`. */
  caFile: string;
  leaves: Record<LeafName, TestLeaf>;
  /** Extra PKCS#12 files for the key-source tests. */
  p12: {
    /** rsa2048 with 3DES and a SHA-1 MAC (the pre-OpenSSL-3 default). */
    legacy: string;
    /** Certificates only. */
    noKey: string;
    /** An Ed25519 key with its self-signed certificate. */
    ed25519: string;
    /** The rsa2048 key and chain, password with Vietnamese letters. */
    unicodePassword: string;
  };
  unicodePassword: string;
  cleanup(): Promise<void>;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeKey(dir: string, name: string, spec: string): Promise<string> {
  const path = join(dir, `${name}.key`);
  const [algorithm, option] = spec.startsWith('rsa')
    ? ['RSA', `rsa_keygen_bits:${spec.slice(3)}`]
    : spec === 'ed25519'
      ? ['ed25519', '']
      : ['EC', `ec_paramgen_curve:${spec}`];
  await openssl(dir, 'genpkey', '-algorithm', algorithm, ...(option ? ['-pkeyopt', option] : []), '-out', path);
  return path;
}

async function selfSigned(dir: string, name: string, keyPath: string, subject: string, isCa: boolean): Promise<string> {
  const path = join(dir, `${name}.pem`);
  const extensions = isCa ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'] : [];
  await openssl(dir, 'req', '-x509', '-new', '-utf8', '-key', keyPath, '-subj', subject, '-days', '30', '-set_serial', '1', ...extensions, '-out', path);
  return path;
}

async function issue(
  dir: string,
  name: string,
  keyPath: string,
  subject: string,
  issuer: { cert: string; key: string },
  o: { isCa: boolean; serial: string },
): Promise<string> {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const path = join(dir, `${name}.pem`);
  await openssl(dir, 'req', '-new', '-utf8', '-key', keyPath, '-subj', subject, '-out', csr);
  await writeFile(
    ext,
    o.isCa
      ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
      : 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  await openssl(dir, 'x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', o.serial, '-days', '30', '-extfile', ext, '-out', path);
  return path;
}

async function der(pemPath: string): Promise<Buffer> {
  return Buffer.from(new X509Certificate(await readFile(pemPath)).raw);
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'mapsign-cms-'));
  const password = 'test-pass-1234';
  const unicodePassword = 'Mật khẩu Sở TN&MT';

  const [rootRsaKey, interKey, rootEcKey] = await Promise.all([
    makeKey(dir, 'root-rsa', 'rsa3072'),
    makeKey(dir, 'intermediate', 'rsa2048'),
    makeKey(dir, 'root-ec', 'P-384'),
  ]);
  const rootRsa = await selfSigned(dir, 'root-rsa', rootRsaKey, '/C=VN/O=Bộ Tài nguyên và Môi trường/CN=Mapsign Test Root RSA', true);
  const rootEc = await selfSigned(dir, 'root-ec', rootEcKey, '/C=VN/O=Mapsign Test/CN=Mapsign Test Root EC', true);
  const intermediate = await issue(dir, 'intermediate', interKey, '/C=VN/O=Sở Tài nguyên và Môi trường/CN=Mapsign Test Issuing CA', { cert: rootRsa, key: rootRsaKey }, { isCa: true, serial: '0x0a' });

  const leafSpecs: Record<LeafName, { key: string; issuer: 'intermediate' | 'root-rsa' | 'root-ec'; serial: string }> = {
    rsa2048: { key: 'rsa2048', issuer: 'intermediate', serial: '0xE1F2030405060708090A0B0C0D0E0F1011121314' },
    rsa3072: { key: 'rsa3072', issuer: 'root-ec', serial: '0x7B' },
    p256: { key: 'P-256', issuer: 'root-ec', serial: '0x80' },
    p384: { key: 'P-384', issuer: 'root-ec', serial: '0x01020304' },
  };
  const issuers = {
    intermediate: { cert: intermediate, key: interKey },
    'root-rsa': { cert: rootRsa, key: rootRsaKey },
    'root-ec': { cert: rootEc, key: rootEcKey },
  };
  const [rootRsaDer, rootEcDer, intermediateDer] = await Promise.all([der(rootRsa), der(rootEc), der(intermediate)]);

  const leaves = {} as Record<LeafName, TestLeaf>;
  for (const name of LEAF_NAMES) {
    const spec = leafSpecs[name];
    const keyPath = await makeKey(dir, name, spec.key);
    const certPath = await issue(dir, name, keyPath, `/C=VN/O=Văn phòng Đăng ký đất đai/CN=Nguyễn Văn An ${name}`, issuers[spec.issuer], {
      isCa: false,
      serial: spec.serial,
    });
    const certificate = await der(certPath);
    const chain =
      spec.issuer === 'intermediate' ? [certificate, intermediateDer, rootRsaDer] : [certificate, spec.issuer === 'root-rsa' ? rootRsaDer : rootEcDer];
    // Issuers root first, plus an unrelated root, so the key source has to order and filter them.
    const extras = join(dir, `${name}-extras.pem`);
    const extraPems = spec.issuer === 'intermediate' ? [rootRsa, rootEc, intermediate] : [issuers[spec.issuer].cert, spec.issuer === 'root-ec' ? rootRsa : rootEc];
    await writeFile(extras, (await Promise.all(extraPems.map((p) => readFile(p, 'utf8')))).join(''));
    const p12Path = join(dir, `${name}.p12`);
    await openssl(dir, 'pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-certfile', extras, '-name', name, '-passout', `pass:${password}`, '-out', p12Path);
    leaves[name] = { name, keyPath, key: createPrivateKey(await readFile(keyPath)), certificate, chain, p12Path };
  }

  const rsa = leaves.rsa2048;
  const rsaCert = join(dir, 'rsa2048.pem');
  const rsaExtras = join(dir, 'rsa2048-extras.pem');
  const legacy = join(dir, 'legacy.p12');
  await openssl(dir, 'pkcs12', '-export', '-inkey', rsa.keyPath, '-in', rsaCert, '-certfile', rsaExtras, '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-passout', `pass:${password}`, '-out', legacy);
  const noKey = join(dir, 'no-key.p12');
  await openssl(dir, 'pkcs12', '-export', '-nokeys', '-in', rsaCert, '-passout', `pass:${password}`, '-out', noKey);
  const edKey = await makeKey(dir, 'ed25519', 'ed25519');
  const edCert = await selfSigned(dir, 'ed25519', edKey, '/C=VN/CN=Ed25519 signer', false);
  const ed25519 = join(dir, 'ed25519.p12');
  await openssl(dir, 'pkcs12', '-export', '-inkey', edKey, '-in', edCert, '-passout', `pass:${password}`, '-out', ed25519);
  const unicode = join(dir, 'unicode.p12');
  await openssl(dir, 'pkcs12', '-export', '-inkey', rsa.keyPath, '-in', rsaCert, '-certfile', rsaExtras, '-passout', `pass:${unicodePassword}`, '-out', unicode);

  const caFile = join(dir, 'roots.pem');
  await writeFile(caFile, (await readFile(rootRsa, 'utf8')) + (await readFile(rootEc, 'utf8')));

  return {
    dir,
    password,
    caFile,
    leaves,
    p12: { legacy, noKey, ed25519, unicodePassword: unicode },
    unicodePassword,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs `openssl cms -verify` on a detached DER signature; resolves true when openssl accepts it. */
export async function opensslVerifiesDetached(pki: TestPki, signature: Buffer, content: Buffer): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(pki.dir, 'verify-'));
  const sigPath = join(dir, 'sig.der');
  const dataPath = join(dir, 'data.bin');
  await writeFile(sigPath, signature);
  await writeFile(dataPath, content);
  try {
    const { stdout, stderr } = await run('openssl', [
      'cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', dataPath, '-CAfile', pki.caFile, '-purpose', 'any', '-out', '/dev/null',
    ]);
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
