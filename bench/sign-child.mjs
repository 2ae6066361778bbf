/* global process, performance */
// Child process of bench/sign.bench.ts: signs one file with the built library and prints the
// engine's own wall time and this process's peak RSS as JSON (Node startup excluded from the time).
import { openPkcs12KeySource } from '../dist/src/pki/index.js';
import { signPdf } from '../dist/src/signing/index.js';

const [input, output, p12, durable, warmUpInput] = process.argv.slice(2);
const keySource = await openPkcs12KeySource({ path: p12, password: process.env.BENCH_P12_PASSWORD });
if (warmUpInput) {
  // A long-running worker has signed before: load and compile the code paths once on a small sheet.
  await signPdf({ input: warmUpInput, output: `${output}.warm.pdf`, keySource, overwrite: true, durable: false });
}
const started = performance.now();
await signPdf({ input, output, keySource, overwrite: true, durable: durable === 'durable' });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
