// `mapsign sign IN.pdf -o OUT.pdf --p12 FILE --password-env VAR`: one PAdES B-B signature,
// appended as an incremental update.

import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { MapsignError, fromSystemError } from '../../errors.js';
import { STAMP_CORNERS, loadStampTemplates, resolveStampTemplate, type StampBoxMm, type StampCorner, type VisibleStampOptions } from '../../pdf/index.js';
import { openPkcs12KeySource, readTrustConfig, REVOCATION_POLICIES, type RevocationPolicy } from '../../pki/index.js';
import { createTsaClient, signPdf, type PadesLevel } from '../../signing/index.js';
import { createProgressBar, formatBytes } from '../output.js';

interface SignCommandOptions {
  output: string;
  p12: string;
  passwordEnv?: string;
  passwordFile?: string;
  page?: string;
  field?: string;
  reason?: string;
  location?: string;
  contact?: string;
  hash: 'sha256' | 'sha384' | 'sha512';
  pss?: boolean;
  force?: boolean;
  fsync: boolean;
  json?: boolean;
  trust?: string;
  revocation?: RevocationPolicy;
  level?: PadesLevel;
  tsa?: string;
  onTsaFailure: 'fail' | 'lower';
  visible?: boolean;
  template?: string;
  templates?: string;
  box?: string;
  corner?: StampCorner;
  signatureImage?: string;
  sealImage?: string;
  qr?: string;
  title?: string;
  authority?: string;
  organisation?: string;
  signerName?: string;
  dossierCode?: string;
}

/** Stamp images are small; a bigger file is a mistake (and would cost memory on every signature). */
const MAX_STAMP_IMAGE_BYTES = 8 * 1024 * 1024;
const STAMP_OPTIONS = ['template', 'templates', 'box', 'corner', 'signatureImage', 'sealImage', 'qr', 'title', 'authority', 'organisation', 'signerName', 'dossierCode'] as const;

async function readPassword(options: SignCommandOptions): Promise<string> {
  if (options.passwordEnv && options.passwordFile) {
    throw new MapsignError('USAGE_INVALID', 'give either --password-env or --password-file, not both');
  }
  if (options.passwordEnv) {
    const value = process.env[options.passwordEnv];
    if (value === undefined) throw new MapsignError('USAGE_INVALID', `environment variable ${options.passwordEnv} is not set`);
    return value;
  }
  if (options.passwordFile) {
    const content = await readFile(options.passwordFile, 'utf8').catch((error: unknown) => {
      throw fromSystemError(error, options.passwordFile!);
    });
    return content.replace(/\r?\n$/, '');
  }
  throw new MapsignError('USAGE_INVALID', 'the PKCS#12 password is needed: --password-env VAR or --password-file FILE');
}

function parsePage(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new MapsignError('USAGE_INVALID', `--page must be a page number from 1, not "${value}"`);
  return Number(value);
}

function parseBox(value: string): StampBoxMm {
  const parts = value.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  if (parts.length !== 4 || parts.some((p) => p === '') || !numbers.every(Number.isFinite)) {
    throw new MapsignError('USAGE_INVALID', `--box must be x,y,width,height in millimetres, not "${value}"`);
  }
  const [x, y, width, height] = numbers as [number, number, number, number];
  if (x < 0 || y < 0 || width <= 0 || height <= 0) throw new MapsignError('USAGE_INVALID', `--box ${value}: x and y must be ≥ 0, width and height > 0`);
  return { x, y, width, height };
}

async function readStampImage(path: string, option: string): Promise<Buffer> {
  const info = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
  if (info.size > MAX_STAMP_IMAGE_BYTES) {
    throw new MapsignError('USAGE_INVALID', `${option} ${path} is ${info.size} bytes; stamp images must be under ${MAX_STAMP_IMAGE_BYTES} bytes`);
  }
  return readFile(path).catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
}

/** The visible stamp from --visible and its options: the role's template, then the options over it. */
async function readStampOptions(options: SignCommandOptions): Promise<VisibleStampOptions | undefined> {
  if (!options.visible) {
    const given = STAMP_OPTIONS.filter((key) => options[key] !== undefined);
    if (given.length > 0) throw new MapsignError('USAGE_INVALID', `stamp options (${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}) need --visible`);
    return undefined;
  }
  const templates = await loadStampTemplates(options.templates ?? process.env['MAPSIGN_STAMP_TEMPLATES'] ?? undefined);
  const template = resolveStampTemplate(templates, options.template);
  return {
    box: options.box ? parseBox(options.box) : template.box,
    corner: options.corner ?? template.corner,
    lines: template.lines,
    fields: {
      role: template.label || undefined,
      authority: options.authority ?? template.authority,
      title: options.title ?? template.title,
      signerName: options.signerName,
      organisation: options.organisation,
      dossierCode: options.dossierCode,
    },
    signatureImage: options.signatureImage ? await readStampImage(options.signatureImage, '--signature-image') : undefined,
    sealImage: options.sealImage ? await readStampImage(options.sealImage, '--seal-image') : undefined,
    qrText: options.qr,
  };
}

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description('sign a PDF sheet (PAdES B-B), appending an incremental update')
    .argument('<input>', 'the PDF to sign')
    .requiredOption('-o, --output <file>', 'where to write the signed PDF')
    .requiredOption('--p12 <file>', 'PKCS#12 file with the signing key and certificate chain')
    .option('--password-env <var>', 'environment variable holding the PKCS#12 password')
    .option('--password-file <file>', 'file holding the PKCS#12 password')
    .option('--page <n>', 'page for the signature widget (default: last page)')
    .option('--field <name>', 'signature field name (default: SignatureN; an empty signature field of that name is filled)')
    .option('--reason <text>', 'reason for signing')
    .option('--location <text>', 'location of signing')
    .option('--contact <text>', 'contact information of the signer')
    .addOption(new Option('--hash <alg>', 'digest algorithm').choices(['sha256', 'sha384', 'sha512']).default('sha256'))
    .option('--pss', 'sign with RSA-PSS instead of PKCS#1 v1.5 (RSA keys)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--no-fsync', 'do not force the output to disk before renaming it (faster, not crash-safe)')
    .option('--json', 'print the result as JSON')
    .option('--trust <dir>', 'validate the signer against the roots in this folder or PEM bundle, and check revocation (default: $TRUST_DIR)')
    .addOption(new Option('--revocation <policy>', 'with --trust: refuse when revocation cannot be checked (hard-fail, default), tolerate it (soft-fail), or skip it (off)').choices([...REVOCATION_POLICIES]))
    .addOption(new Option('--level <level>', 'PAdES level (default: B-B, or B-T with --tsa)').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']))
    .option('--tsa <url>', 'RFC 3161 time-stamping authority for B-T and above (default: $TSA_URL)')
    .addOption(new Option('--on-tsa-failure <policy>', 'when the TSA cannot be reached: fail, or sign at B-B and say so').choices(['fail', 'lower']).default('fail'))
    .option('--visible', 'draw a visible stamp on the widget (see docs/stamps.md)')
    .option('--template <role>', 'stamp template of the signer role: don-vi-do-dac, ubnd-xa, van-phong-dang-ky, so-nnmt, … (default: the defaults)')
    .option('--templates <file>', 'stamp templates JSON (default: $MAPSIGN_STAMP_TEMPLATES, else config/stamp-templates.json)')
    .option('--box <x,y,w,h>', 'stamp box in millimetres from --corner (default: the template\'s)')
    .addOption(new Option('--corner <corner>', 'page corner the box is measured from, as the page is displayed').choices([...STAMP_CORNERS]))
    .option('--signature-image <png>', 'PNG of the signer\'s signature (transparent background)')
    .option('--seal-image <png>', 'PNG of the organisation\'s seal, drawn over the signature\'s left third')
    .option('--qr <url>', 'QR code with this verification URL')
    .option('--authority <text>', 'authority prefix, e.g. "KT. GIÁM ĐỐC" (default: the template\'s)')
    .option('--title <text>', 'the signer\'s title, e.g. "PHÓ GIÁM ĐỐC" (default: the template\'s)')
    .option('--signer-name <text>', 'name on the stamp (default: the certificate\'s common name)')
    .option('--organisation <text>', '"Ký bởi" organisation (default: the certificate\'s organisation)')
    .option('--dossier-code <code>', 'dossier code shown on the stamp, e.g. 000.00.31.H56-260715-0012')
    .action(async (input: string, options: SignCommandOptions) => {
      const tsaUrl = options.tsa ?? process.env['TSA_URL'];
      const password = await readPassword(options);
      const keySource = await openPkcs12KeySource({ path: options.p12, password, scheme: options.pss ? 'rsa-pss' : undefined });
      const trustConfig = readTrustConfig(process.env, { trust: options.trust });
      const stamp = await readStampOptions(options);
      const progress = createProgressBar('signing');
      const result = await signPdf({
        input,
        output: options.output,
        keySource,
        hashAlgorithm: options.hash,
        pageNumber: parsePage(options.page),
        fieldName: options.field,
        reason: options.reason,
        location: options.location,
        contactInfo: options.contact,
        overwrite: options.force === true,
        durable: options.fsync,
        onProgress: progress.update,
        trust: trustConfig ?? undefined,
        revocation: options.revocation ? { policy: options.revocation } : undefined,
        level: options.level,
        timestamp: tsaUrl ? { timestamper: createTsaClient({ url: tsaUrl }), onUnavailable: options.onTsaFailure } : undefined,
        stamp,
      }).finally(() => progress.finish());
      for (const warning of result.signer.trust?.warnings ?? []) process.stderr.write(`mapsign: warning: ${warning}\n`);
      if (result.stamp?.isClamped) process.stderr.write(`mapsign: warning: the stamp box ran past the page edge and was moved to ${result.stamp.box.x},${result.stamp.box.y} mm from ${result.stamp.corner}\n`);
      if (result.loweredBecause) process.stderr.write(`mapsign: warning: signed at PAdES B-B only: ${result.loweredBecause}\n`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        [
          `signed ${input} -> ${result.output}`,
          `  field     ${result.fieldName} (page ${result.pageNumber})`,
          `  signer    ${result.signer.subject}`,
          `  issuer    ${result.signer.issuer}`,
          `  level     PAdES ${result.level}, ${result.hashAlgorithm}${result.timestampTime ? `, time-stamped ${result.timestampTime}` : ''}`,
          ...(result.stamp
            ? [`  stamp     ${result.stamp.box.width} × ${result.stamp.box.height} mm at ${result.stamp.box.x},${result.stamp.box.y} mm from ${result.stamp.corner}`]
            : []),
          `  size      ${formatBytes(result.size)}`,
          `  sha256    ${result.sha256}`,
        ].join('\n') + '\n',
      );
    });
}
