// `mapsign verify FILE [--trust DIR] [--offline] [--revocation POLICY] [--json] [--lang vi|en]`:
// validates every signature and prints the report. Trust comes from --trust or TRUST_DIR (with
// TRUST_INTERMEDIATES_DIR); revocation from the file's /DSS and CMS first, then online unless
// --offline. Exit 0 only when every signature is valid and trusted and nothing disallowed changed
// after any of them; otherwise the exit code of the verdict's code (docs/errors.md).

import { Option, type Command } from 'commander';
import { ERROR_CODES, MapsignError } from '../../errors.js';
import { readTrustConfig, REVOCATION_POLICIES, type RevocationPolicy } from '../../pki/index.js';
import { createCertificateValidator, formatReport, verify, type CertificateValidator, type ReportLanguage } from '../../verify/index.js';
import { createProgressBar } from '../output.js';

interface VerifyCommandOptions {
  trust?: string;
  offline?: boolean;
  revocation?: RevocationPolicy;
  json?: boolean;
  lang: ReportLanguage;
  acceptSha1?: boolean;
}

/**
 * The trust hook the options and the environment ask for, or undefined when no roots are
 * configured. Online with soft-fail by default: the file's evidence first, then the responders
 * the certificates name, and an unreachable responder only warns; --offline never goes online
 * and is hard-fail, since a status the file does not carry cannot be established then.
 */
async function buildValidator(options: VerifyCommandOptions): Promise<CertificateValidator | undefined> {
  const config = readTrustConfig(process.env, { trust: options.trust });
  if (config === null) {
    if (options.revocation !== undefined) throw new MapsignError('USAGE_INVALID', '--revocation needs trust roots: give --trust DIR or set TRUST_DIR');
    return undefined;
  }
  const isOffline = options.offline === true;
  return createCertificateValidator({
    // A folder like certs-sample/ also holds CRLs and keys: skip what is not a certificate, as before.
    trust: { roots: config.roots, intermediates: config.intermediates, caIssuers: { isEnabled: !isOffline && (config.caIssuers?.isEnabled ?? false) }, shouldSkipUnreadable: true },
    revocationPolicy: options.revocation ?? (isOffline ? 'hard-fail' : 'soft-fail'),
    isOnlineAllowed: !isOffline,
  });
}

function hintFor(code: string, options: VerifyCommandOptions): string {
  const isVi = options.lang !== 'en';
  if (code === 'TRUST_NOT_CHECKED') return isVi ? ' (hãy chỉ định --trust THƯ_MỤC chứa chứng thư gốc tin cậy)' : ' (give --trust DIR with the trusted root certificates)';
  if (code === 'REVOCATION_UNAVAILABLE') {
    if (options.offline) return isVi ? ' (tệp không mang đủ dữ liệu thu hồi; chạy lại không có --offline để hỏi trực tuyến)' : ' (the file does not carry the revocation data; run again without --offline to ask online)';
    return isVi ? ' (thử lại sau)' : ' (try again later)';
  }
  return '';
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every signature of a signed PDF sheet and print a report (Vietnamese by default)')
    .argument('<file>', 'the signed PDF')
    .option('--trust <dir>', 'folder or bundle of trusted root certificates (PEM or DER); default TRUST_DIR; without either, trust is not checked and the exit code is not 0')
    .option('--offline', 'never go online: revocation only from the file (/DSS, CMS); what the file does not settle is INDETERMINATE/TRY_LATER (exit 75)')
    .addOption(
      new Option('--revocation <policy>', 'when a revocation status cannot be established: hard-fail (INDETERMINATE), soft-fail (pass with a warning), off (do not check); default soft-fail online, hard-fail with --offline').choices([
        ...REVOCATION_POLICIES,
      ]),
    )
    .option('--json', 'print the report as JSON (docs/verify-report.md)')
    .addOption(new Option('--lang <lang>', 'language of the text report').choices(['vi', 'en']).default('vi'))
    .option('--accept-sha1', 'accept SHA-1 digests of legacy signers (mutool) instead of reporting them as too weak')
    .action(async (file: string, options: VerifyCommandOptions) => {
      const trust = await buildValidator(options);
      const progress = createProgressBar(options.lang === 'en' ? 'verifying' : 'đang kiểm tra');
      const report = await verify(file, { trust, isSha1Accepted: options.acceptSha1 === true, onProgress: progress.update });
      progress.finish();
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, options.lang));
      const code = report.verdict.code;
      if (report.verdict.indication === 'PASSED' || code === null) return;
      process.stderr.write(`mapsign: ${code}: ${options.lang === 'en' ? report.verdict.message : ERROR_CODES[code].summaryVi}${hintFor(code, options)}\n`);
      // main() sets the exit code of a command that returns normally to 0, and an error would print a
      // second JSON document after the report: leave with the verdict's exit code once stdout is flushed.
      const exit = new MapsignError(code, report.verdict.message).spec.exit;
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(exit);
    });
}
