// npm run bench:verify — verifies a generated A0 sheet of about 1 GB carrying three signatures
// and prints wall time and peak RSS next to one `openssl dgst -sha256` of the same file in the
// same run (best of BENCH_RUNS, `sync` before each run, page cache warm).
// Targets (issue 4): verify ≤ 1.5× the openssl baseline, peak RSS ≤ 150 MB.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPkcs12KeySource } from '../src/pki/index.js';
import { signPdf } from '../src/signing/index.js';
import { makeBenchSheet, makePdf } from '../test/fixtures/make-pdf.js';
import { samplePki } from '../test/fixtures/make-pki.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = process.env['BENCH_DIR'] ?? join(root, 'bench', 'out');
const sizeMiB = Number(process.env['BENCH_VERIFY_MIB'] ?? 1024);
const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const child = join(root, 'bench', 'verify-child.ts');
const pki = samplePki();

interface Measure {
  seconds: number;
  peakRssMiB: number;
}

function timed(command: string, args: string[]): { stdout: string; seconds: number } {
  execFileSync('sync');
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { stdout: result.stdout, seconds };
}

async function signThreeTimes(input: string, output: string): Promise<void> {
  const keys = [pki.p12.staffRsa, pki.p12.staffEc, pki.p12.departmentSeal];
  let current = input;
  for (const [i, p12] of keys.entries()) {
    const next = `${output}.${i + 1}.tmp`;
    const keySource = await openPkcs12KeySource({ path: p12, password: pki.password });
    process.stderr.write(`signing ${i + 1}/3 …\n`);
    await signPdf({ input: current, output: next, keySource, overwrite: true, durable: false });
    if (current !== input) await rm(current);
    current = next;
  }
  await rename(current, output);
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const sheet = join(outDir, `sheet-a0-${sizeMiB}MiB.pdf`);
  const signed = join(outDir, `sheet-a0-${sizeMiB}MiB-3sig.pdf`);
  if (!existsSync(signed)) {
    if (!existsSync(sheet)) {
      process.stderr.write(`generating ${sheet} …\n`);
      await makeBenchSheet(sheet, sizeMiB);
    }
    await signThreeTimes(sheet, signed);
  }
  const warmUp = join(outDir, 'verify-warm-up.pdf');
  if (!existsSync(warmUp)) {
    await makePdf(`${warmUp}.in`, {});
    await signPdf({ input: `${warmUp}.in`, output: warmUp, keySource: await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password }), overwrite: true });
    await rm(`${warmUp}.in`);
  }
  const bytes = (await stat(signed)).size;
  const baseline: Measure[] = [];
  const engine: Measure[] = [];
  let last: { signatures: number; intact: boolean } = { signatures: 0, intact: false };
  for (let i = 0; i < runs; i++) {
    baseline.push({ seconds: timed('openssl', ['dgst', '-sha256', signed]).seconds, peakRssMiB: 0 });
    const run = timed('node', ['--import', 'tsx', child, signed, warmUp]);
    const measured = JSON.parse(run.stdout) as Measure & { signatures: number; intact: boolean };
    engine.push(measured);
    last = measured;
  }
  const best = (list: Measure[]): number => Math.min(...list.map((m) => m.seconds));
  const floor = best(baseline);
  const time = best(engine);
  const peak = Math.max(...engine.map((m) => m.peakRssMiB));
  const isOk = time <= 1.5 * floor && peak <= 150 && last.signatures === 3 && last.intact;
  process.stdout.write(
    [
      `mapsign bench:verify — best of ${runs} runs; page cache warm; \`sync\` before each run;`,
      'verify timed inside a process that has verified a small sheet first (Node start-up excluded)',
      '',
      `${(bytes / 2 ** 20).toFixed(0)} MiB A0 sheet, ${last.signatures} signatures (${last.intact ? 'all intact' : 'NOT ALL INTACT'})`,
      `  openssl dgst -sha256                  ${floor.toFixed(2)} s`,
      `  verify (3 signatures, one pass)       ${time.toFixed(2)} s  ${(time / floor).toFixed(2)}× openssl   (target ≤ 1.5×)`,
      `  peak RSS                              ${peak.toFixed(0)} MB  (target ≤ 150)`,
      `  ${isOk ? 'OK' : 'MISSED'}`,
      '',
    ].join('\n'),
  );
  if (!isOk) process.exitCode = 1;
}

await main();
