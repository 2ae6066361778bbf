// npm run bench:sign — signs generated A0 sheets of about 100 MB and 1 GB with the built CLI and
// prints wall time and peak RSS next to the floor measured in the same run: one read, SHA-256
// by OpenSSL and one write of the same file (`tee OUT < IN | openssl dgst -sha256`).
// Targets (issue 2): wall time ≤ 1.5× the floor, peak RSS ≤ 150 MB at every size.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchSheet } from '../test/fixtures/make-pdf.js';
import { samplePki } from '../test/fixtures/make-pki.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env['BENCH_DIR'] ?? join(root, 'bench', 'out');
const sizesMiB = (process.env['BENCH_SIZES_MIB'] ?? '100,1024').split(',').map(Number);
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const hasGnuTime = existsSync('/usr/bin/time');

interface Measure {
  seconds: number;
  peakRssMiB: number | null;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const wrapped = hasGnuTime ? ['/usr/bin/time', ['-f', '__TIME__ %e %M', command, ...args]] as const : [command, args] as const;
  const started = process.hrtime.bigint();
  const result = spawnSync(wrapped[0], wrapped[1], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const match = /__TIME__ [\d.]+ (\d+)/.exec(result.stderr);
  return { seconds, peakRssMiB: match ? Number(match[1]) / 1024 : null };
}

function best(measures: Measure[]): Measure {
  return measures.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

async function main(): Promise<void> {
  if (!existsSync(cli)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  await mkdir(outDir, { recursive: true });
  const pki = samplePki();
  const rows: string[] = [];
  let isWithinTargets = true;
  for (const sizeMiB of sizesMiB) {
    const input = join(outDir, `sheet-a0-${sizeMiB}MiB.pdf`);
    if (!existsSync(input)) {
      process.stderr.write(`generating ${input} …\n`);
      await makeBenchSheet(input, sizeMiB);
    }
    const bytes = (await stat(input)).size;
    const floorOut = join(outDir, 'floor.out');
    const signedOut = join(outDir, 'signed.pdf');
    const floors: Measure[] = [];
    const signs: Measure[] = [];
    for (let i = 0; i < runs; i++) {
      floors.push(timed('bash', ['-c', `tee "${floorOut}" < "${input}" | openssl dgst -sha256 > /dev/null`]));
      await rm(floorOut, { force: true });
      signs.push(
        timed('node', [cli, 'sign', input, '-o', signedOut, '--force', '--p12', pki.p12.staffRsa, '--password-env', 'BENCH_P12_PASSWORD', '--json'], {
          ...process.env,
          BENCH_P12_PASSWORD: pki.password,
        }),
      );
      await rm(signedOut, { force: true });
    }
    const floor = best(floors);
    const sign = best(signs);
    const peak = Math.max(...signs.map((s) => s.peakRssMiB ?? 0));
    const ratio = sign.seconds / floor.seconds;
    const isOk = ratio <= 1.5 && (peak === 0 || peak <= 150);
    isWithinTargets &&= isOk;
    rows.push(
      `${(bytes / 2 ** 20).toFixed(0).padStart(6)} MiB | floor ${floor.seconds.toFixed(2)} s | mapsign sign ${sign.seconds.toFixed(2)} s (${ratio.toFixed(2)}× floor, target ≤ 1.5×) | ` +
        `peak RSS ${peak ? peak.toFixed(0) : '?'} MB (target ≤ 150) | ${(bytes / 2 ** 20 / sign.seconds).toFixed(0)} MiB/s | ${isOk ? 'OK' : 'MISSED'}`,
    );
    process.stdout.write(`${rows.at(-1)}\n`);
  }
  process.stdout.write(`\nbest of ${runs} runs each, page cache warm, same machine and run\n`);
  if (!isWithinTargets) process.exitCode = 1;
}

await main();
