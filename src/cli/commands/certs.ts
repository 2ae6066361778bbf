// `mapsign certs check FILE.p12|FILE.pem [--trust DIR] [--json]`: the certificate of a key file (or
// the first of a PEM bundle), its chain to the configured roots, validity, usages and the
// revocation status of each certificate of the path (RFC 5280 §6.1, RFC 6960, RFC 5280 §6.3).

import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { fromSystemError, isMapsignError, MapsignError, type ErrorCode, type ErrorDetails } from '../../errors.js';
import {
  createRevocationChecker,
  decodeCertificates,
  describeCertificate,
  enforceRevocationPolicy,
  loadTrustStore,
  openPkcs12KeySource,
  readTrustConfig,
  REVOCATION_POLICIES,
  validateCertificatePath,
  type CertificateInfo,
  type RevocationPolicy,
  type RevocationStatus,
} from '../../pki/index.js';

interface CertsCheckOptions {
  passwordEnv?: string;
  passwordFile?: string;
  trust?: string;
  revocation: RevocationPolicy;
  at?: string;
  json?: boolean;
}

interface CertificateView {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyUsage: string[] | null;
  extendedKeyUsage: string[] | null;
  isCa: boolean;
}

interface RevocationView {
  subject: string;
  status: string;
  source: string | null;
  url: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  revocationTime: string | null;
  revocationReason: string | null;
  failures: string[];
}

interface CheckReport {
  ok: boolean;
  file: string;
  at: string;
  certificate: CertificateView;
  /** The certificates the file holds, in the order given (key files: signer first). */
  fileChain: CertificateView[];
  /** The validated path to a configured root, or null without --trust or when it failed. */
  path: CertificateView[] | null;
  revocationPolicy: RevocationPolicy | null;
  revocation: RevocationView[];
  warnings: string[];
  error: { code: ErrorCode; message: string; details: ErrorDetails } | null;
}

const PKCS12_NAME = /\.(p12|pfx)$/i;

async function readPassword(options: CertsCheckOptions): Promise<string> {
  if (options.passwordEnv && options.passwordFile) throw new MapsignError('USAGE_INVALID', 'give either --password-env or --password-file, not both');
  if (options.passwordEnv) {
    const value = process.env[options.passwordEnv];
    if (value === undefined) throw new MapsignError('USAGE_INVALID', `environment variable ${options.passwordEnv} is not set`);
    return value;
  }
  if (options.passwordFile) {
    const path = options.passwordFile;
    const content = await readFile(path, 'utf8').catch((error: unknown) => {
      throw fromSystemError(error, path);
    });
    return content.replace(/\r?\n$/, '');
  }
  throw new MapsignError('USAGE_INVALID', 'a PKCS#12 file needs its password: --password-env VAR or --password-file FILE');
}

/** A key file gives its ordered chain; a PEM or DER file its certificates in file order. */
async function readChain(file: string, options: CertsCheckOptions): Promise<Buffer[]> {
  if (PKCS12_NAME.test(file)) {
    const keySource = await openPkcs12KeySource({ path: file, password: await readPassword(options) });
    return keySource.certificateChain();
  }
  const bytes = await readFile(file).catch((error: unknown) => {
    throw fromSystemError(error, file);
  });
  const chain = decodeCertificates(bytes);
  if (chain.length === 0) throw new MapsignError('KEY_MALFORMED', `${file} holds no certificate`, { details: { path: file } });
  return chain;
}

function viewOf(info: CertificateInfo): CertificateView {
  return {
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    keyUsage: info.keyUsage,
    extendedKeyUsage: info.extendedKeyUsage,
    isCa: info.isCa,
  };
}

function viewOfStatus(status: RevocationStatus): RevocationView {
  const iso = (date: Date | null): string | null => date?.toISOString() ?? null;
  return {
    subject: status.subject,
    status: status.status,
    source: status.source,
    url: status.url,
    thisUpdate: iso(status.thisUpdate),
    nextUpdate: iso(status.nextUpdate),
    revocationTime: iso(status.revocationTime),
    revocationReason: status.revocationReason,
    failures: status.failures.map((f) => `${f.source} ${f.url ?? '-'}: ${f.message}`),
  };
}

/** Validity and signing usage of the certificate itself, as signing checks them without trust. */
function checkAlone(info: CertificateInfo, at: Date): void {
  if (at < info.notBefore) throw new MapsignError('CERT_NOT_YET_VALID', `certificate of ${info.subject} is valid only from ${info.notBefore.toISOString()}`);
  if (at > info.notAfter) throw new MapsignError('CERT_EXPIRED', `certificate of ${info.subject} expired on ${info.notAfter.toISOString()}`);
  if (info.keyUsage !== null && !info.keyUsage.includes('digitalSignature') && !info.keyUsage.includes('nonRepudiation')) {
    throw new MapsignError('KEY_USAGE_NOT_ALLOWED', `certificate of ${info.subject} does not allow signing (key usage: ${info.keyUsage.join(', ') || 'none'})`);
  }
}

async function buildReport(file: string, options: CertsCheckOptions): Promise<CheckReport> {
  const at = options.at === undefined ? new Date() : new Date(options.at);
  if (Number.isNaN(at.getTime())) throw new MapsignError('USAGE_INVALID', `--at must be an ISO 8601 time, not "${options.at}"`);
  const chain = await readChain(file, options);
  const infos = chain.map(describeCertificate);
  const certificate = infos[0] as CertificateInfo;
  const trustConfig = readTrustConfig(process.env, { trust: options.trust });
  const report: CheckReport = {
    ok: false,
    file,
    at: at.toISOString(),
    certificate: viewOf(certificate),
    fileChain: infos.map(viewOf),
    path: null,
    revocationPolicy: trustConfig ? options.revocation : null,
    revocation: [],
    warnings: [],
    error: null,
  };
  try {
    checkAlone(certificate, at);
    if (trustConfig !== null) {
      const trustStore = await loadTrustStore(trustConfig);
      const path = await validateCertificatePath({ certificate: chain[0] as Buffer, intermediates: chain.slice(1), trustStore, at, purpose: 'document-signing' });
      report.path = path.infos.map(viewOf);
      if (options.revocation !== 'off') {
        const statuses = await createRevocationChecker().checkPath(path.certificates);
        report.revocation = statuses.map(viewOfStatus);
        report.warnings = enforceRevocationPolicy(statuses, options.revocation);
      }
    } else {
      report.warnings.push('no trust roots configured (--trust or TRUST_DIR): the path and revocation were not checked');
    }
    report.ok = true;
  } catch (error) {
    if (!isMapsignError(error)) throw error;
    report.error = error.toJSON();
  }
  return report;
}

function formatReport(report: CheckReport): string {
  const usage = (list: string[] | null): string => (list === null ? '(any)' : list.join(', ') || '(none)');
  const c = report.certificate;
  const lines = [
    `certificate   ${c.subject}`,
    `  issuer      ${c.issuer}`,
    `  serial      ${c.serialNumber}`,
    `  valid       ${c.notBefore} to ${c.notAfter}`,
    `  key usage   ${usage(c.keyUsage)}`,
    `  ext. usage  ${usage(c.extendedKeyUsage)}`,
  ];
  if (report.path !== null) {
    lines.push('path to a configured root:');
    report.path.forEach((cert, i) => {
      const status = report.revocation[i];
      const isAnchor = i === (report.path?.length ?? 0) - 1;
      const revocation = isAnchor
        ? 'trust anchor'
        : status
          ? `${status.status}${status.source ? ` (${status.source}, next update ${status.nextUpdate ?? '-'})` : ''}${status.revocationTime ? `, revoked ${status.revocationTime} (${status.revocationReason ?? 'unspecified'})` : ''}`
          : 'revocation not checked';
      lines.push(`  ${i}  ${cert.subject}`, `       valid to ${cert.notAfter}; ${revocation}`);
      for (const failure of status?.status === 'good' ? [] : (status?.failures ?? [])) lines.push(`       ${failure}`);
    });
  } else {
    lines.push('certificates in the file:', ...report.fileChain.map((cert, i) => `  ${i}  ${cert.subject}`));
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push(report.ok ? 'result: OK' : `result: ${report.error?.code ?? 'FAILED'}: ${report.error?.message ?? ''}`);
  return `${lines.join('\n')}\n`;
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('inspect and check certificates and key files');
  certs
    .command('check')
    .description('print the chain, validity, usages and revocation status of a certificate (.p12/.pfx or PEM/DER)')
    .argument('<file>', 'PKCS#12 key file, or PEM/DER certificates (the first is checked, the others help build the path)')
    .option('--password-env <var>', 'environment variable holding the PKCS#12 password')
    .option('--password-file <file>', 'file holding the PKCS#12 password')
    .option('--trust <dir>', 'roots to validate the path against: a folder or PEM bundle (default: $TRUST_DIR)')
    .addOption(new Option('--revocation <policy>', 'when the revocation status cannot be established').choices([...REVOCATION_POLICIES]).default('hard-fail'))
    .option('--at <time>', 'check validity at this ISO 8601 time instead of now')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: CertsCheckOptions) => {
      const report = await buildReport(file, options);
      if (options.json && report.ok) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (!options.json) process.stdout.write(formatReport(report));
      if (report.error !== null) {
        // The exit code comes from the error's code; in JSON mode the error object is the output.
        throw new MapsignError(report.error.code, report.error.message, {
          details: { ...report.error.details, path: report.path?.map((c) => c.subject) ?? [], revocation: report.revocation.map((r) => `${r.subject}: ${r.status}`) },
        });
      }
    });
}
