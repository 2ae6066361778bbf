#!/usr/bin/env node
// The `mapsign` command. Each verb lives in commands/<verb>.ts; errors become the exit codes of
// the code table in src/errors.ts.

import { Command, CommanderError } from 'commander';
import { registerArchive } from './commands/archive.js';
import { registerAudit } from './commands/audit.js';
import { registerCerts } from './commands/certs.js';
import { registerDevPki } from './commands/dev-pki.js';
import { registerExtend } from './commands/extend.js';
import { registerInspect } from './commands/inspect.js';
import { registerKeys } from './commands/keys.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerSign } from './commands/sign.js';
import { registerVerify } from './commands/verify.js';
import { registerWorker } from './commands/worker.js';
import { reportError } from './output.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('mapsign')
    .description('PAdES signing, verification and archive of large-format cadastral map sheets')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerSign(program);
  registerInspect(program);
  registerArchive(program);
  registerSearch(program);
  registerAudit(program);
  registerCerts(program);
  registerDevPki(program);
  registerExtend(program);
  registerVerify(program);
  registerServe(program);
  registerWorker(program);
  registerKeys(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 64;
    }
    return reportError(error, program.opts<{ json?: boolean }>().json === true || argv.includes('--json'));
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mapsign: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  },
);
