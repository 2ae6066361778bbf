// Stamp templates per signer role (survey unit, commune, land registration office, department):
// the default box of each role on the sheet and the text lines with their {fields}, read from a
// JSON file (config/stamp-templates.json by default). See docs/stamps.md for the format.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MapsignError } from '../errors.js';
import { STAMP_CORNERS, type StampBoxMm, type StampCorner } from './appearance-placement.js';
import type { StampTextLine } from './appearance.js';

/** The values a template's lines may name as {field}. */
export interface StampFields {
  /** The template's label, e.g. "Sở Nông nghiệp và Môi trường". */
  role?: string;
  /** Authority prefix, e.g. "KT. GIÁM ĐỐC" (signing on behalf of) or "TM. ỦY BAN NHÂN DÂN". */
  authority?: string;
  /** The signer's title, e.g. "PHÓ GIÁM ĐỐC". */
  title?: string;
  /** From the certificate's common name unless given. */
  signerName?: string;
  /** From the certificate's organisation unless given ("Ký bởi: …"). */
  organisation?: string;
  /** ISO 8601 in Vietnam time, e.g. 2026-07-15T09:32:10+07:00 (see `formatStampTime`). */
  signingTime?: string;
  /** Dossier code, e.g. 000.00.31.H56-260715-0012. */
  dossierCode?: string;
}

export const STAMP_FIELD_NAMES: ReadonlyArray<keyof StampFields> = ['role', 'authority', 'title', 'signerName', 'organisation', 'signingTime', 'dossierCode'];

export interface StampTemplate {
  /** The role's name shown to people, also the {role} field. */
  label: string;
  corner: StampCorner;
  box: StampBoxMm;
  /** Default {authority} and {title} of the role. */
  authority?: string;
  title?: string;
  /** Lines whose text may name {fields}; a line is left out when a field it names is empty. */
  lines: StampTextLine[];
}

export interface StampTemplates {
  /** Used by --visible without --template. */
  defaults: StampTemplate;
  templates: Record<string, StampTemplate>;
  /** Other names of templates (alias → template name). */
  aliases: Record<string, string>;
  /** Where they were read from. */
  source: string;
}

const FIELD_PATTERN = /\{([A-Za-z]+)\}/g;

/** The templates shipped with mapsign: config/stamp-templates.json next to src/ (or dist/src/). */
export function defaultStampTemplatesPath(): string {
  const candidates = ['../../config/stamp-templates.json', '../../../config/stamp-templates.json'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

function invalid(source: string, message: string): never {
  throw new MapsignError('CONFIG_INVALID', `stamp templates ${source}: ${message}`, { details: { source } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, where: string, source: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(source, `${where} must be a string`);
  return value.normalize('NFC');
}

function parseBox(value: unknown, where: string, source: string): StampBoxMm {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    invalid(source, `${where}.box must be [x, y, width, height] in millimetres`);
  }
  const [x, y, width, height] = value as [number, number, number, number];
  if (x < 0 || y < 0 || width <= 0 || height <= 0) invalid(source, `${where}.box needs x, y ≥ 0 and a positive width and height`);
  return { x, y, width, height };
}

function parseLine(value: unknown, where: string, source: string): StampTextLine {
  if (!isRecord(value) || typeof value['text'] !== 'string') invalid(source, `${where} must be an object with a "text"`);
  for (const key of Object.keys(value)) {
    if (!['text', 'weight', 'align', 'size', 'position'].includes(key)) invalid(source, `${where} has an unknown key "${key}"`);
  }
  for (const match of value['text'].matchAll(FIELD_PATTERN)) {
    if (!STAMP_FIELD_NAMES.includes(match[1] as keyof StampFields)) {
      invalid(source, `${where} names an unknown field {${match[1]}}; known: ${STAMP_FIELD_NAMES.map((f) => `{${f}}`).join(', ')}`);
    }
  }
  const line: StampTextLine = { text: value['text'].normalize('NFC') };
  const { weight, align, size, position } = value;
  if (weight !== undefined) {
    if (weight !== 'regular' && weight !== 'semibold') invalid(source, `${where}.weight must be "regular" or "semibold"`);
    line.weight = weight;
  }
  if (align !== undefined) {
    if (align !== 'left' && align !== 'center') invalid(source, `${where}.align must be "left" or "center"`);
    line.align = align;
  }
  if (size !== undefined) {
    if (typeof size !== 'number' || !(size > 0 && size <= 72)) invalid(source, `${where}.size must be a font size in points`);
    line.size = size;
  }
  if (position !== undefined) {
    if (position !== 'header' && position !== 'footer') invalid(source, `${where}.position must be "header" or "footer"`);
    line.position = position;
  }
  return line;
}

function parseTemplate(value: unknown, where: string, source: string, base: StampTemplate | undefined): StampTemplate {
  if (!isRecord(value)) invalid(source, `${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!['label', 'corner', 'box', 'authority', 'title', 'lines'].includes(key)) invalid(source, `${where} has an unknown key "${key}"`);
  }
  const corner = value['corner'] ?? base?.corner ?? 'br';
  if (!STAMP_CORNERS.includes(corner as StampCorner)) invalid(source, `${where}.corner must be one of ${STAMP_CORNERS.join(', ')}`);
  const box = value['box'] === undefined ? base?.box : parseBox(value['box'], where, source);
  if (!box) invalid(source, `${where} has no box`);
  let lines = base?.lines;
  if (value['lines'] !== undefined) {
    if (!Array.isArray(value['lines'])) invalid(source, `${where}.lines must be an array`);
    lines = value['lines'].map((line, i) => parseLine(line, `${where}.lines[${i}]`, source));
  }
  if (!lines) invalid(source, `${where} has no lines`);
  return {
    label: optionalString(value['label'], `${where}.label`, source) ?? base?.label ?? '',
    corner: corner as StampCorner,
    box,
    authority: optionalString(value['authority'], `${where}.authority`, source) ?? base?.authority,
    title: optionalString(value['title'], `${where}.title`, source) ?? base?.title,
    lines,
  };
}

/** Checks a parsed JSON document and fills each template's missing keys from "defaults". */
export function parseStampTemplates(json: unknown, source: string): StampTemplates {
  if (!isRecord(json)) invalid(source, 'the file must hold a JSON object');
  if (json['version'] !== 1) invalid(source, '"version" must be 1');
  const defaults = parseTemplate(json['defaults'], 'defaults', source, undefined);
  const templates: Record<string, StampTemplate> = {};
  const entries = json['templates'];
  if (!isRecord(entries)) invalid(source, '"templates" must be an object of role → template');
  for (const [role, value] of Object.entries(entries)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(role)) invalid(source, `role name "${role}" must be lower-case letters, digits and hyphens`);
    templates[role] = parseTemplate(value, `templates.${role}`, source, defaults);
  }
  // Other names of the same roles (a dossier system's "department", the archive's role names):
  // a signing request's role or `--template` may use either, and gets the same block.
  const aliases = json['aliases'] ?? {};
  if (!isRecord(aliases)) invalid(source, '"aliases" must be an object of other name → template');
  for (const [alias, target] of Object.entries(aliases)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(alias)) invalid(source, `alias "${alias}" must be lower-case letters, digits and hyphens`);
    if (templates[alias] !== undefined) invalid(source, `alias "${alias}" is already a template`);
    if (typeof target !== 'string' || !Object.hasOwn(templates, target)) invalid(source, `alias "${alias}" names no template (${JSON.stringify(target)})`);
  }
  return { defaults, templates, aliases: aliases as Record<string, string>, source };
}

/** Reads stamp templates from `path`, or the shipped ones. */
export async function loadStampTemplates(path: string = defaultStampTemplatesPath()): Promise<StampTemplates> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MapsignError('CONFIG_INVALID', `stamp templates ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      details: { source: path },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    invalid(path, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseStampTemplates(json, path);
}

/** The template of `role`, or the defaults when no role is given. */
export function resolveStampTemplate(templates: StampTemplates, role?: string): StampTemplate {
  if (role === undefined) return templates.defaults;
  const template = templates.templates[templates.aliases[role] ?? role];
  if (!template) {
    throw new MapsignError('USAGE_INVALID', `no stamp template "${role}" in ${templates.source}; known: ${stampTemplateNames(templates).join(', ')}`, {
      details: { template: role, known: stampTemplateNames(templates) },
    });
  }
  return template;
}

/** The names a role's template may be asked by: the templates' and their aliases. */
export function stampTemplateNames(templates: Pick<StampTemplates, 'templates' | 'aliases'>): string[] {
  return [...Object.keys(templates.templates), ...Object.keys(templates.aliases)];
}

/** Fills the {fields} of each line; a line naming a field without a value is left out. */
export function fillStampLines(lines: readonly StampTextLine[], fields: StampFields): StampTextLine[] {
  const filled: StampTextLine[] = [];
  for (const line of lines) {
    let isComplete = true;
    const text = line.text.replace(FIELD_PATTERN, (whole, field: string) => {
      const value = STAMP_FIELD_NAMES.includes(field as keyof StampFields) ? fields[field as keyof StampFields] : undefined;
      if (value === undefined || value.trim() === '') {
        isComplete = false;
        return '';
      }
      return value;
    });
    if (isComplete && text.trim() !== '') filled.push({ ...line, text: text.normalize('NFC') });
  }
  return filled;
}

/** ISO 8601 with the offset, in Vietnam time by default: 2026-07-15T09:32:10+07:00. */
export function formatStampTime(date: Date, utcOffsetMinutes = 7 * 60): string {
  const local = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const sign = utcOffsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(utcOffsetMinutes);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
