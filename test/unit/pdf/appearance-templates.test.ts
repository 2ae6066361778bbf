import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeStamp, visiblePageSizeMm, type StampPage } from '../../../src/pdf/appearance-placement.js';
import {
  defaultStampTemplatesPath,
  fillStampLines,
  formatStampTime,
  loadStampTemplates,
  parseStampTemplates,
  resolveStampTemplate,
  type StampTemplates,
} from '../../../src/pdf/appearance-templates.js';

const ROLES = ['don-vi-do-dac', 'ubnd-xa', 'van-phong-dang-ky', 'so-nnmt'];
let shipped: StampTemplates;
let dir: string;

beforeAll(async () => {
  shipped = await loadStampTemplates();
  dir = await mkdtemp(join(tmpdir(), 'mapsign-templates-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    defaults: { box: [10, 10, 90, 40], lines: [{ text: '{signerName}' }] },
    templates: { 'so-nnmt': { label: 'Sở' } },
    ...overrides,
  };
}

describe('the shipped stamp templates', () => {
  it('are read from config/stamp-templates.json and name the four signer roles', () => {
    expect(defaultStampTemplatesPath()).toMatch(/config[/\\]stamp-templates\.json$/);
    expect(Object.keys(shipped.templates).sort()).toEqual([...ROLES].sort());
  });

  it('answer to the role names of dossier systems and of the archive with the same four blocks', () => {
    expect(resolveStampTemplate(shipped, 'department')).toBe(resolveStampTemplate(shipped, 'so-nnmt'));
    expect(resolveStampTemplate(shipped, 'survey-unit')).toBe(resolveStampTemplate(shipped, 'don-vi-do-dac'));
    expect(resolveStampTemplate(shipped, 'ubnd-cap-xa')).toBe(resolveStampTemplate(shipped, 'ubnd-xa'));
    expect(resolveStampTemplate(shipped, 'van-phong-dang-ky-dat-dai')).toBe(resolveStampTemplate(shipped, 'van-phong-dang-ky'));
  });

  it('give the four roles non-overlapping boxes in one row along the bottom of an A1 sheet, every rotation', () => {
    for (const rotate of [0, 90, 180, 270] as const) {
      const page: StampPage = { mediaBox: [0, 0, 1684, 2384], cropBox: [0, 0, 1684, 2384], rotate, userUnit: 1 };
      const boxes = ROLES.map((role) => {
        const t = resolveStampTemplate(shipped, role);
        const placement = placeStamp(page, { box: t.box, corner: t.corner });
        expect(placement.isClamped).toBe(false);
        return { ...placement.box, corner: placement.corner };
      });
      expect(new Set(boxes.map((b) => `${b.corner} ${b.y} ${b.height}`)).size).toBe(1);
      const spans = boxes.map((b) => [b.x, b.x + b.width] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThan(spans[i - 1]![1]);
      expect(spans.at(-1)![1]).toBeLessThan(visiblePageSizeMm(page).width);
    }
  });

  it('put the survey unit on the left and the department on the right, in signing order', () => {
    const fromRight = ROLES.map((role) => resolveStampTemplate(shipped, role).box.x);
    expect([...fromRight].sort((a, b) => b - a)).toEqual(fromRight);
  });

  it('carry the authority prefix and title of each role', () => {
    expect(resolveStampTemplate(shipped, 'so-nnmt')).toMatchObject({ authority: 'KT. GIÁM ĐỐC', title: 'PHÓ GIÁM ĐỐC' });
    expect(resolveStampTemplate(shipped, 'ubnd-xa')).toMatchObject({ authority: 'TM. ỦY BAN NHÂN DÂN', title: 'CHỦ TỊCH' });
  });
});

describe('resolveStampTemplate', () => {
  it('returns the defaults without a role and refuses an unknown role naming the known ones', () => {
    expect(resolveStampTemplate(shipped)).toBe(shipped.defaults);
    expect(() => resolveStampTemplate(shipped, 'so-tnmt')).toThrow(expect.objectContaining({ code: 'USAGE_INVALID', message: expect.stringContaining('so-nnmt') }));
  });
});

describe('parseStampTemplates', () => {
  it('fills a template from the defaults', () => {
    const parsed = parseStampTemplates(minimal(), 'test');
    expect(parsed.templates['so-nnmt']).toMatchObject({ label: 'Sở', corner: 'br', box: { x: 10, y: 10, width: 90, height: 40 } });
  });

  it('gives a template other names, by which a role finds the same block', () => {
    const parsed = parseStampTemplates(minimal({ aliases: { department: 'so-nnmt' } }), 'test');
    expect(resolveStampTemplate(parsed, 'department')).toBe(parsed.templates['so-nnmt']);
    expect(Object.keys(parsed.templates)).toEqual(['so-nnmt']);
    expect(() => resolveStampTemplate(parsed, 'commune')).toThrow(/known: so-nnmt, department/);
  });

  it('normalises text to NFC', () => {
    const nfd = 'Nguyễn'.normalize('NFD');
    const parsed = parseStampTemplates(minimal({ templates: { a: { title: nfd, lines: [{ text: `${nfd} {title}` }] } } }), 'test');
    expect(parsed.templates['a']!.title).toBe('Nguyễn');
    expect(parsed.templates['a']!.lines[0]!.text).toBe('Nguyễn {title}');
  });

  it.each([
    ['an unknown field', { templates: { a: { lines: [{ text: '{signer}' }] } } }],
    ['a bad box', { templates: { a: { box: [1, 2, 3] } } }],
    ['a negative box', { templates: { a: { box: [-1, 2, 3, 4] } } }],
    ['a bad corner', { templates: { a: { corner: 'middle' } } }],
    ['an unknown key', { templates: { a: { colour: 'red' } } }],
    ['a bad role name', { templates: { 'Sở NNMT': {} } }],
    ['a wrong version', { version: 2 }],
    ['an alias of no template', { aliases: { department: 'so-tnmt' } }],
    ['an alias that is a template', { aliases: { 'so-nnmt': 'so-nnmt' } }],
    ['a bad weight', { templates: { a: { lines: [{ text: 'x', weight: 'bold' }] } } }],
  ])('refuses %s with CONFIG_INVALID', (_label, overrides) => {
    expect(() => parseStampTemplates(minimal(overrides), 'test')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('refuses a file that is not JSON, naming the file', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ version: 1');
    await expect(loadStampTemplates(path)).rejects.toMatchObject({ code: 'CONFIG_INVALID', details: { source: path } });
    await expect(loadStampTemplates(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('fillStampLines', () => {
  it('fills fields and leaves out the lines that name an empty one', () => {
    const lines = fillStampLines(
      [{ text: '{authority}' }, { text: '{title}' }, { text: 'Ký bởi: {organisation}' }, { text: 'Mã hồ sơ: {dossierCode}' }, { text: 'Bản đồ địa chính' }],
      { authority: 'KT. GIÁM ĐỐC', title: '  ', organisation: 'Sở Nông nghiệp và Môi trường tỉnh Đồng Nai' },
    );
    expect(lines.map((l) => l.text)).toEqual(['KT. GIÁM ĐỐC', 'Ký bởi: Sở Nông nghiệp và Môi trường tỉnh Đồng Nai', 'Bản đồ địa chính']);
  });

  it('keeps each line\'s style', () => {
    const [line] = fillStampLines([{ text: '{signerName}', weight: 'semibold', size: 8, position: 'header' }], { signerName: 'Nguyễn Văn An' });
    expect(line).toEqual({ text: 'Nguyễn Văn An', weight: 'semibold', size: 8, position: 'header' });
  });
});

describe('formatStampTime', () => {
  it('writes ISO 8601 in Vietnam time, +07:00', () => {
    expect(formatStampTime(new Date('2026-07-15T02:32:10Z'))).toBe('2026-07-15T09:32:10+07:00');
    expect(formatStampTime(new Date('2026-07-14T20:00:00.900Z'))).toBe('2026-07-15T03:00:00+07:00');
  });

  it('writes another offset when asked', () => {
    expect(formatStampTime(new Date('2026-07-15T02:32:10Z'), -90)).toBe('2026-07-15T01:02:10-01:30');
  });
});
