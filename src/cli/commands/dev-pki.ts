// `mapsign dev-pki`: runs, in the foreground until SIGINT or SIGTERM, the CRL server, OCSP
// responder and TSA that the sample certificates in certs-sample/ point to. Development only.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { MapsignError } from '../../errors.js';
import { DEV_PKI_PORTS, startDevPki } from '../../pki/index.js';

interface DevPkiOptions {
  dir?: string;
  crlPort: string;
  ocspPort: string;
  tsaPort: string;
  ocspMinutes: string;
  crlHours: string;
}

/** certs-sample/ in the working folder, else the one of this installation (src/ or dist/src/). */
function findSamplePki(): string {
  const local = resolve('certs-sample');
  if (existsSync(join(local, 'issuing-ca-index.txt'))) return local;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'certs-sample');
    if (existsSync(join(candidate, 'issuing-ca-index.txt'))) return candidate;
  }
  throw new MapsignError('INPUT_NOT_FOUND', 'no certs-sample folder found; give one with --dir');
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MapsignError('USAGE_INVALID', `--${name} must be a port number, not "${value}"`);
  return port;
}

function parsePositive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new MapsignError('USAGE_INVALID', `--${name} must be a whole number from 1, not "${value}"`);
  return n;
}

export function registerDevPki(program: Command): void {
  program
    .command('dev-pki')
    .description('serve the sample PKI (CRLs, OCSP, TSA) on loopback until stopped — for development only')
    .option('--dir <folder>', 'PKI folder laid out like certs-sample/ (default: certs-sample)')
    .option('--crl-port <port>', 'CRL and CA certificate server', String(DEV_PKI_PORTS.crl))
    .option('--ocsp-port <port>', 'openssl ocsp responder', String(DEV_PKI_PORTS.ocsp))
    .option('--tsa-port <port>', 'RFC 3161 time-stamping authority', String(DEV_PKI_PORTS.tsa))
    .option('--ocsp-minutes <n>', 'nextUpdate of OCSP answers, in minutes', '5')
    .option('--crl-hours <n>', 'nextUpdate of the CRLs, in hours (reissued at half of it)', '24')
    .action(async (options: DevPkiOptions) => {
      const pkiDir = options.dir ? resolve(options.dir) : findSamplePki();
      const pki = await startDevPki({
        pkiDir,
        ports: { crl: parsePort(options.crlPort, 'crl-port'), ocsp: parsePort(options.ocspPort, 'ocsp-port'), tsa: parsePort(options.tsaPort, 'tsa-port') },
        ocspNextUpdateMinutes: parsePositive(options.ocspMinutes, 'ocsp-minutes'),
        crlHours: parsePositive(options.crlHours, 'crl-hours'),
      });
      process.stdout.write(
        [
          `mapsign dev-pki: serving ${pkiDir}`,
          `  CRLs            ${pki.crl.url}/crl/issuing-ca.crl, ${pki.crl.url}/crl/root-ca.crl${pki.isRootCrlFresh ? '' : ' (committed root CRL: no root-ca.key)'}`,
          `  CA certificates ${pki.crl.url}/ca/issuing-ca.cer, ${pki.crl.url}/ca/root-ca.cer`,
          `  OCSP            ${pki.ocsp.url}`,
          `  TSA             ${pki.tsa.url}`,
          'stop with Ctrl-C (SIGINT) or SIGTERM',
          '',
        ].join('\n'),
      );
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stdout.write(`mapsign dev-pki: ${signal}, stopping\n`);
          void pki.stop().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
