// Signs one file in its own process and prints the result with this process's peak RSS, so a
// test can measure the memory of signing without the test runner's own.
import { openPkcs12KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';

const [input, output, p12] = process.argv.slice(2) as [string, string, string];
const keySource = await openPkcs12KeySource({ path: p12, password: process.env['SIGN_CHILD_PASSWORD'] ?? '' });
const result = await signPdf({ input, output, keySource, overwrite: true });
process.stdout.write(`${JSON.stringify({ size: result.size, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
