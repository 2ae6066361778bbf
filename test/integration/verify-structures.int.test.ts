// verify over every file structure signPdf handles: classic tables, cross-reference streams,
// hybrid and linearized files, junk after %%EOF, no end-of-line, indirect forms, rotated pages.
// Signed twice, each must pass, with only allowed changes after the first signature.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs12KeySource, type KeySource } from '../../src/pki/index.js';
import { signPdf } from '../../src/signing/index.js';
import { createTrustValidatorFromDirectory, verify, type CertificateValidator } from '../../src/verify/index.js';
import { makePdf, type MakePdfOptions } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';

const pki = samplePki();
let dir: string;
let keys: KeySource[];
let trust: CertificateValidator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-verify-structures-'));
  keys = [
    await openPkcs12KeySource({ path: pki.p12.staffRsa, password: pki.password }),
    await openPkcs12KeySource({ path: pki.p12.staffEc, password: pki.password }),
  ];
  trust = await createTrustValidatorFromDirectory(pki.dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const structures: Array<[string, MakePdfOptions]> = [
  ['a classic cross-reference table', {}],
  ['cross-reference streams with object streams', { xref: 'stream' }],
  ['a hybrid-reference file', { hybrid: true }],
  ['a linearized file', { pages: 3, linearized: true }],
  ['an indirect AcroForm and indirect page /Annots', { acroForm: 'text-field', acroFormIndirect: true, annotsIndirect: true }],
  ['an empty signature field', { acroForm: 'empty-signature-field' }],
  ['an inherited /MediaBox and /Rotate', { inheritedMediaBox: true, rotate: 270 }],
  ['junk after %%EOF', { trailingJunk: true }],
  ['no end-of-line after the final %%EOF', { noFinalEol: true }],
  ['no /Info and no /ID', { withInfo: false }],
];

describe('verify over every file structure', () => {
  it.each(structures)('passes %s signed twice', async (label, options) => {
    const input = join(dir, `${label.replace(/\W+/g, '-')}.pdf`);
    await makePdf(input, options);
    await signPdf({ input, output: `${input}.1.pdf`, keySource: keys[0]! });
    await signPdf({ input: `${input}.1.pdf`, output: `${input}.2.pdf`, keySource: keys[1]! });
    const report = await verify(`${input}.2.pdf`, { trust });
    const problems = report.signatures.flatMap((s) => s.errors.map((e) => `${s.index}: ${e.message}`));
    expect(problems).toEqual([]);
    expect(report.verdict.indication).toBe('PASSED');
    expect(report.signatures.map((s) => s.indication)).toEqual(['PASSED', 'PASSED']);
    expect(report.findings.filter((f) => f.affectsSignatures)).toEqual([]);
  });
});
