// npm run bench:sign — signs generated A0 sheets of about 100 MB and 1 GB and prints wall time
// and peak RSS next to the floor measured in the same run on the same file: one read, SHA-256
// by OpenSSL and one write (`tee OUT < IN | openssl dgst -sha256`). Because mapsign forces its
// output to disk before renaming it, it is also compared with that floor plus `sync OUT`; and at
// B-LT, with a TSA, an OCSP responder and CRLs of the development PKI on loopback.
// Targets (issues 2 and 3): wall time ≤ 1.5× the floor, peak RSS ≤ 150 MB at every size.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDevPki } from '../src/pki/index.js';
import { writeFile } from 'node:fs/promises';
import { makeSealPng, makeSignaturePng } from '../test/fixtures/make-images.js';
import { makeBenchSheet } from '../test/fixtures/make-pdf.js';
import { samplePki } from '../test/fixtures/make-pki.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env['BENCH_DIR'] ?? join(root, 'bench', 'out');
const sizesMiB = (process.env['BENCH_SIZES_MIB'] ?? '100,1024').split(',').map(Number);
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const child = join(root, 'bench', 'sign-child.mjs');
const pki = samplePki();
const baseEnv: NodeJS.ProcessEnv = { ...process.env, BENCH_P12_PASSWORD: pki.password };

interface Measure {
  seconds: number;
  peakRssMiB: number;
}

let outputPath = '';
let warmUpInput = '';

/** Every measurement starts with no output file (replacing a 1 GB file costs ext4 a lot) and no dirty pages. */
function settle(): void {
  rmSync(outputPath, { force: true });
  execFileSync('sync');
}

/** Runs a command asynchronously, so the development PKI served by this process keeps answering. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<{ stdout: string; stderr: string; seconds: number }> {
  settle();
  const started = process.hrtime.bigint();
  const { stdout, stderr } = await promisify(execFile)(command, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return { stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function shell(script: string): Promise<Measure> {
  return { seconds: (await run('bash', ['-c', script])).seconds, peakRssMiB: 0 };
}

/** signPdf in a child process that has signed a small sheet first, as a queue worker has. */
async function engine(input: string, output: string, mode: 'durable' | 'fast', env: NodeJS.ProcessEnv = baseEnv): Promise<Measure> {
  return JSON.parse((await run('node', [child, input, output, pki.p12.staffRsa, mode, warmUpInput], env)).stdout) as Measure;
}

async function cliRun(input: string, output: string): Promise<Measure> {
  const args = [cli, 'sign', input, '-o', output, '--force', '--p12', pki.p12.staffRsa, '--password-env', 'BENCH_P12_PASSWORD', '--json'];
  if (spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status !== 0) return { seconds: (await run('node', args)).seconds, peakRssMiB: 0 };
  const result = await run('/usr/bin/time', ['-f', '__RSS__ %M', 'node', ...args]);
  return { seconds: result.seconds, peakRssMiB: Number(/__RSS__ (\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024 };
}

function best(measures: Measure[]): Measure {
  return measures.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

const f = (s: number): string => `${s.toFixed(2)} s`;

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  await mkdir(outDir, { recursive: true });
  warmUpInput = join(outDir, 'warm-up.pdf');
  if (!existsSync(warmUpInput)) await makeBenchSheet(warmUpInput, 1);
  const devPki = await startDevPki({ pkiDir: pki.dir, ports: { crl: 0, ocsp: 0, tsa: 0 } });
  const longTermEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    BENCH_LEVEL: 'B-LT',
    BENCH_TSA_URL: devPki.tsa.url,
    BENCH_CRL_BASE: devPki.crl.url,
    BENCH_OCSP_BASE: devPki.ocsp.url,
  };
  const signatureImage = join(outDir, 'signature.png');
  const sealImage = join(outDir, 'seal.png');
  await writeFile(signatureImage, makeSignaturePng());
  await writeFile(sealImage, makeSealPng());
  const visibleEnv: NodeJS.ProcessEnv = { ...baseEnv, BENCH_STAMP_IMAGES: `${signatureImage},${sealImage}` };
  let isWithinTargets = true;
  process.stdout.write(
    `mapsign bench:sign — best of ${runs} runs; page cache warm; output removed and \`sync\` before each run;\n` +
      'signPdf timed inside a worker process that has signed once before (Node start-up and first-call compilation excluded)\n\n',
  );
  try {
    for (const sizeMiB of sizesMiB) {
      const input = join(outDir, `sheet-a0-${sizeMiB}MiB.pdf`);
      if (!existsSync(input)) {
        process.stderr.write(`generating ${input} …\n`);
        await makeBenchSheet(input, sizeMiB);
      }
      const bytes = (await stat(input)).size;
      outputPath = join(outDir, 'out.pdf');
      const m = { floor: [] as Measure[], floorSync: [] as Measure[], fast: [] as Measure[], durable: [] as Measure[], longTerm: [] as Measure[], visible: [] as Measure[], cli: [] as Measure[] };
      for (let i = 0; i < runs; i++) {
        m.floor.push(await shell(`tee "${outputPath}" < "${input}" | openssl dgst -sha256 > /dev/null`));
        m.floorSync.push(await shell(`tee "${outputPath}" < "${input}" | openssl dgst -sha256 > /dev/null && sync "${outputPath}"`));
        m.fast.push(await engine(input, outputPath, 'fast'));
        m.durable.push(await engine(input, outputPath, 'durable'));
        m.longTerm.push(await engine(input, outputPath, 'durable', longTermEnv));
        m.visible.push(await engine(input, outputPath, 'durable', visibleEnv));
        m.cli.push(await cliRun(input, outputPath));
      }
      const floor = best(m.floor).seconds;
      const floorSync = best(m.floorSync).seconds;
      const fast = best(m.fast).seconds;
      const durable = best(m.durable).seconds;
      const longTerm = best(m.longTerm).seconds;
      const visible = best(m.visible).seconds;
      const cliTime = best(m.cli).seconds;
      const peakOf = (measures: Measure[]): number => Math.max(...measures.map((x) => x.peakRssMiB));
      const peak = Math.max(...[m.fast, m.durable, m.longTerm, m.visible, m.cli].map(peakOf));
      const rss = (measures: Measure[]): string => `  peak RSS ${peakOf(measures).toFixed(0)} MB`;
      const isOk = fast <= 1.5 * floor && durable <= 1.5 * floorSync && longTerm <= 1.5 * floorSync && visible <= 1.5 * floorSync && peak <= 150;
      isWithinTargets &&= isOk;
      process.stdout.write(
        [
          `${(bytes / 2 ** 20).toFixed(0)} MiB A0 sheet`,
          `  floor (tee | openssl dgst)            ${f(floor)}`,
          `  signPdf B-B, no fsync                 ${f(fast)}  ${(fast / floor).toFixed(2)}× floor       (target ≤ 1.5×)${rss(m.fast)}`,
          `  floor + sync OUT                      ${f(floorSync)}`,
          `  signPdf B-B, fsync (default)          ${f(durable)}  ${(durable / floorSync).toFixed(2)}× floor+sync  (target ≤ 1.5×)${rss(m.durable)}`,
          `  signPdf B-LT, fsync, TSA+OCSP+CRL     ${f(longTerm)}  ${(longTerm / floorSync).toFixed(2)}× floor+sync  (target ≤ 1.5×)${rss(m.longTerm)}`,
          `  signPdf B-B --visible stamp, fsync    ${f(visible)}  ${(visible / floorSync).toFixed(2)}× floor+sync  (target ≤ 1.5×)${rss(m.visible)}`,
          `  mapsign sign CLI, end to end          ${f(cliTime)}  (cold process: Node start-up and first-call compilation included)${rss(m.cli)}`,
          `  peak RSS, all runs                    ${peak.toFixed(0)} MB  (target ≤ 150)`,
          `  ${isOk ? 'OK' : 'MISSED'}`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await devPki.stop();
    await rm(join(outDir, 'out.pdf'), { force: true });
    await rm(join(outDir, 'out.pdf.warm.pdf'), { force: true });
  }
  if (!isWithinTargets) process.exitCode = 1;
}

await main();
