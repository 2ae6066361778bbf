// `mapsign sign --visible`: role templates, the stamp options over them, templates from a file
// or MAPSIGN_STAMP_TEMPLATES, and the refusals (stamp off the page, options without --visible).

import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSealPng, makeSignaturePng } from '../fixtures/make-images.js';
import { makePdf } from '../fixtures/make-pdf.js';
import { samplePki } from '../fixtures/make-pki.js';
import { mapsign } from '../support/cli.js';
import { pdfsig, runCommand } from '../support/verifiers.js';

const pki = samplePki();
const env = { P12_PASSWORD: pki.password };
let dir: string;
let sheet: string;
let signatureImage: string;
let sealImage: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mapsign-stamp-cli-'));
  sheet = join(dir, 'sheet.pdf');
  await makePdf(sheet, { pageSize: 'A1', rotate: 90 });
  signatureImage = join(dir, 'signature.png');
  sealImage = join(dir, 'seal.png');
  await writeFile(signatureImage, makeSignaturePng());
  await writeFile(sealImage, makeSealPng());
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function signArgs(output: string, ...extra: string[]): string[] {
  return ['sign', sheet, '-o', output, '--p12', pki.p12.staffRsa, '--password-env', 'P12_PASSWORD', ...extra];
}

async function rawText(path: string): Promise<string> {
  const result = await runCommand('pdftotext', ['-raw', '-enc', 'UTF-8', path, '-']);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('mapsign sign --visible', () => {
  it('draws the role template with the options given over it, in a signature that pdfsig accepts', async () => {
    const output = join(dir, 'ubnd.pdf');
    const result = await mapsign(
      signArgs(output, '--visible', '--template', 'ubnd-xa', '--title', 'PHÓ CHỦ TỊCH', '--organisation', 'UBND Phường Trấn Biên', '--signature-image', signatureImage, '--seal-image', sealImage, '--qr', 'https://kiemtra.example.vn/x', '--dossier-code', '000.00.31.H56-260715-0012'),
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/stamp\s+98 × 46 mm at 214,10 mm from br/);
    const text = await rawText(output);
    expect(text).toContain('TM. ỦY BAN NHÂN DÂN\nPHÓ CHỦ TỊCH\nNguyễn Văn An\nKý bởi: UBND Phường Trấn Biên\nThời gian ký: ');
    expect(text).toContain('Mã hồ sơ: 000.00.31.H56-260715-0012');
    const sig = await pdfsig(output);
    expect(sig.signatures.map((s) => s.isValid), sig.output).toEqual([true]);
  });

  it('places a --box measured from a --corner, and reports it in --json', async () => {
    const output = join(dir, 'box.pdf');
    const result = await mapsign(signArgs(output, '--visible', '--box', '20,15,80,35', '--corner', 'tl', '--json'), env);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { stamp: { box: object; corner: string; isClamped: boolean } };
    expect(json.stamp).toMatchObject({ box: { x: 20, y: 15, width: 80, height: 35 }, corner: 'tl', isClamped: false });
  });

  it('reads templates from --templates, over MAPSIGN_STAMP_TEMPLATES', async () => {
    const custom = (title: string): string =>
      JSON.stringify({
        version: 1,
        defaults: { box: [5, 5, 90, 40], lines: [{ text: '{title}', position: 'header' }, { text: '{signerName}' }] },
        templates: { 'to-do-dac': { label: 'Tổ đo đạc', box: [30, 30, 90, 40], title } },
      });
    const fromEnv = join(dir, 'env-templates.json');
    const fromOption = join(dir, 'option-templates.json');
    await writeFile(fromEnv, custom('TỔ TRƯỞNG (môi trường)'));
    await writeFile(fromOption, custom('TỔ TRƯỞNG (tham số)'));
    const viaEnv = join(dir, 'via-env.pdf');
    const viaOption = join(dir, 'via-option.pdf');
    expect((await mapsign(signArgs(viaEnv, '--visible', '--template', 'to-do-dac'), { ...env, MAPSIGN_STAMP_TEMPLATES: fromEnv })).code).toBe(0);
    expect((await mapsign(signArgs(viaOption, '--visible', '--template', 'to-do-dac', '--templates', fromOption), { ...env, MAPSIGN_STAMP_TEMPLATES: fromEnv })).code).toBe(0);
    expect(await rawText(viaEnv)).toContain('TỔ TRƯỞNG (môi trường)\nNguyễn Văn An');
    expect(await rawText(viaOption)).toContain('TỔ TRƯỞNG (tham số)\nNguyễn Văn An');
  });

  it('refuses a stamp bigger than the page with STAMP_OFF_PAGE (exit 65) and leaves no output', async () => {
    const output = join(dir, 'off-page.pdf');
    const result = await mapsign(signArgs(output, '--visible', '--box', '10,10,100,700'), env);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('STAMP_OFF_PAGE');
    expect(await exists(output)).toBe(false);
  });

  it('refuses stamp options without --visible, an unknown role and a bad --box as usage errors (exit 64)', async () => {
    const output = join(dir, 'usage.pdf');
    for (const extra of [['--template', 'so-nnmt'], ['--visible', '--template', 'so-tnmt'], ['--visible', '--box', '10,10,90']]) {
      const result = await mapsign(signArgs(output, ...extra), env);
      expect(result.code, extra.join(' ')).toBe(64);
      expect(result.stderr).toContain('USAGE_INVALID');
    }
    expect(await exists(output)).toBe(false);
  });

  it('refuses a signature image that is not a PNG', async () => {
    const output = join(dir, 'bad-image.pdf');
    const notPng = join(dir, 'signature.jpg');
    await writeFile(notPng, (await readFile(signatureImage)).subarray(8));
    const result = await mapsign(signArgs(output, '--visible', '--signature-image', notPng), env);
    expect(result.code).toBe(64);
    expect(await exists(output)).toBe(false);
  });
});
