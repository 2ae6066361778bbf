/* global process, performance */
// Child process of bench/sign.bench.ts: signs one file with the built library and prints the
// engine's own wall time and this process's peak RSS as JSON (Node start-up excluded from the time).
// BENCH_LEVEL=B-LT with BENCH_TSA_URL, BENCH_CRL_BASE and BENCH_OCSP_BASE signs at B-LT against
// the development PKI services on loopback. BENCH_STAMP_IMAGES=sig.png,seal.png adds a full
// visible stamp (department template, both images, QR code).
import { readFileSync } from 'node:fs';
import { loadStampTemplates, resolveStampTemplate } from '../dist/src/pdf/index.js';
import { createRevocationChecker, openPkcs12KeySource } from '../dist/src/pki/index.js';
import { createTsaClient, signPdf } from '../dist/src/signing/index.js';

const [input, output, p12, durable, warmUpInput] = process.argv.slice(2);
const env = process.env;
const keySource = await openPkcs12KeySource({ path: p12, password: env.BENCH_P12_PASSWORD });
const level = env.BENCH_LEVEL ?? 'B-B';
const longTerm =
  level === 'B-B'
    ? {}
    : {
        level,
        timestamp: { timestamper: createTsaClient({ url: env.BENCH_TSA_URL }), onUnavailable: 'fail' },
        revocation: {
          checker: createRevocationChecker({
            rewriteUrl: (url) => url.replace('http://127.0.0.1:18080', env.BENCH_CRL_BASE).replace('http://127.0.0.1:18081', env.BENCH_OCSP_BASE),
          }),
        },
      };
if (env.BENCH_STAMP_IMAGES) {
  const [signatureImage, sealImage] = env.BENCH_STAMP_IMAGES.split(',').map((path) => readFileSync(path));
  const template = resolveStampTemplate(await loadStampTemplates(), 'so-nnmt');
  longTerm.stamp = {
    box: template.box,
    corner: template.corner,
    lines: template.lines,
    fields: { authority: template.authority, title: template.title, dossierCode: '000.00.31.H56-260715-0012' },
    signatureImage,
    sealImage,
    qrText: 'https://kiemtra.example.vn/ho-so/000.00.31.H56-260715-0012',
  };
}
if (warmUpInput) {
  // A long-running worker has signed before: load and compile the code paths once on a small sheet.
  await signPdf({ input: warmUpInput, output: `${output}.warm.pdf`, keySource, overwrite: true, durable: false, ...longTerm });
}
const started = performance.now();
await signPdf({ input, output, keySource, overwrite: true, durable: durable === 'durable', ...longTerm });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
