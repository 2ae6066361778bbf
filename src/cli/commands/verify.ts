// `mapsign verify FILE [--trust DIR] [--json] [--lang vi|en]`: validates every signature and
// prints the report. Exit 0 only when every signature is valid and trusted and nothing disallowed
// changed after any of them; otherwise the exit code of the verdict's code (docs/errors.md).

import { Option, type Command } from 'commander';
import { ERROR_CODES, MapsignError } from '../../errors.js';
import { createTrustValidatorFromDirectory, formatReport, verify, type ReportLanguage } from '../../verify/index.js';
import { createProgressBar } from '../output.js';

interface VerifyCommandOptions {
  trust?: string;
  json?: boolean;
  lang: ReportLanguage;
  acceptSha1?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every signature of a signed PDF sheet and print a report (Vietnamese by default)')
    .argument('<file>', 'the signed PDF')
    .option('--trust <dir>', 'folder of trusted root certificates (PEM or DER, *.pem *.crt *.cer); without it trust is not checked and the exit code is not 0')
    .option('--json', 'print the report as JSON (docs/verify-report.md)')
    .addOption(new Option('--lang <lang>', 'language of the text report').choices(['vi', 'en']).default('vi'))
    .option('--accept-sha1', 'accept SHA-1 digests of legacy signers (mutool) instead of reporting them as too weak')
    .action(async (file: string, options: VerifyCommandOptions) => {
      const trust = options.trust === undefined ? undefined : await createTrustValidatorFromDirectory(options.trust);
      const progress = createProgressBar(options.lang === 'en' ? 'verifying' : 'đang kiểm tra');
      const report = await verify(file, { trust, isSha1Accepted: options.acceptSha1 === true, onProgress: progress.update });
      progress.finish();
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, options.lang));
      const code = report.verdict.code;
      if (report.verdict.indication === 'PASSED' || code === null) return;
      const hint = code === 'TRUST_NOT_CHECKED' && options.lang !== 'en' ? ' (hãy chỉ định --trust THƯ_MỤC chứa chứng thư gốc tin cậy)' : '';
      process.stderr.write(`mapsign: ${code}: ${options.lang === 'en' ? report.verdict.message : ERROR_CODES[code].summaryVi}${hint}\n`);
      // main() sets the exit code of a command that returns normally to 0, and an error would print a
      // second JSON document after the report: leave with the verdict's exit code once stdout is flushed.
      const exit = new MapsignError(code, report.verdict.message).spec.exit;
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(exit);
    });
}
