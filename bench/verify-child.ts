// Child process of bench/verify.bench.ts: verifies one file with the library and prints the
// engine's wall time and this process's peak RSS as JSON (Node start-up excluded from the time).
import { verify } from '../src/verify/index.js';

const [input, warmUp] = process.argv.slice(2);
if (warmUp) await verify(warmUp);
const started = performance.now();
const report = await verify(input!);
const seconds = (performance.now() - started) / 1000;
const intact = report.signatures.every((s) => s.integrity.isDigestValid === true && s.integrity.isSignatureValid === true);
process.stdout.write(`${JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, signatures: report.signatures.length, intact })}\n`);
