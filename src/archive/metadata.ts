// Validation of the sheet metadata contract (docs/archive.md): every field checked by hand,
// unknown fields refused, Vietnamese text kept exactly as given (folding is for search only).

import { MapsignError } from '../errors.js';
import { DOCUMENT_KINDS, PAPER_SIZES, type DocumentKind, type PaperSize, type SheetMetadata } from './types.js';

const DOSSIER_CODE = /^([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)-(\d{2})(\d{2})(\d{2})-(\d{4})$/;
const PROCEDURE_CODE = /^\d{1,2}\.\d{6}$/;
const PROCEDURE_SUFFIX = /^[0-9A-Za-z]{1,10}$/;
const SHEET_NUMBER = /^[0-9A-Za-z][0-9A-Za-z./-]{0,19}$/;
const GRID_SHEET_NUMBER = /^[0-9A-Za-z][0-9A-Za-z()./-]{0,39}$/;
const PARCEL_NUMBER = /^[0-9A-Za-z][0-9A-Za-z./-]{0,15}$/;
const PARCEL_ID = /^[0-9A-Za-z]{12}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_TEXT = 300;
const MAX_PARCELS = 10_000;
const MIN_SCALE = 100;
const MAX_SCALE = 100_000;

const REQUIRED = ['dossierCode', 'procedureCode', 'procedureSuffix', 'documentKind', 'province', 'commune', 'sheetNumber', 'parcelNumbers', 'scale', 'paperSize', 'surveyUnit'] as const;
const OPTIONAL = ['decisionRef', 'legacyDistrict', 'gridSheetNumber', 'parcelIds'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL]);

/** Whether `value` is a dossier code `<agency code>-<YYMMDD>-<4 digits>` with a real date. */
export function isDossierCode(value: string): boolean {
  const match = DOSSIER_CODE.exec(value);
  if (!match) return false;
  const [, , yy, mm, dd] = match;
  const date = new Date(Date.UTC(2000 + Number(yy), Number(mm) - 1, Number(dd)));
  return date.getUTCMonth() === Number(mm) - 1 && date.getUTCDate() === Number(dd);
}

/** Whether `value` looks like a national procedure code such as `1.013823`. */
export function isProcedureCode(value: string): boolean {
  return PROCEDURE_CODE.test(value);
}

class Problems {
  readonly list: string[] = [];
  add(field: string, problem: string): void {
    this.list.push(`${field}: ${problem}`);
  }
}

function readText(input: Record<string, unknown>, field: string, problems: Problems, isOptional: boolean, pattern?: RegExp, hint?: string): string | null {
  const value = input[field];
  if (value === undefined || value === null) {
    if (!isOptional) problems.add(field, 'is required');
    return null;
  }
  if (typeof value !== 'string') {
    problems.add(field, `must be a string, not ${JSON.stringify(value)}`);
    return null;
  }
  if (value.trim() === '') problems.add(field, 'must not be empty');
  else if (value.length > MAX_TEXT) problems.add(field, `must be at most ${MAX_TEXT} characters`);
  else if (CONTROL.test(value)) problems.add(field, 'must not contain control characters');
  else if (pattern && !pattern.test(value)) problems.add(field, `${JSON.stringify(value)} ${hint ?? 'has the wrong form'}`);
  return value;
}

function readList(input: Record<string, unknown>, field: string, problems: Problems, isOptional: boolean, pattern: RegExp, hint: string): string[] {
  const value = input[field];
  if (value === undefined || value === null) {
    if (!isOptional) problems.add(field, 'is required (an empty list is fine)');
    return [];
  }
  if (!Array.isArray(value)) {
    problems.add(field, 'must be a list of strings');
    return [];
  }
  if (value.length > MAX_PARCELS) problems.add(field, `must hold at most ${MAX_PARCELS} entries`);
  const result: string[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string' || !pattern.test(item)) problems.add(`${field}[${index}]`, `${JSON.stringify(item)} ${hint}`);
    else if (result.includes(item)) problems.add(`${field}[${index}]`, `${JSON.stringify(item)} is repeated`);
    else result.push(item);
  });
  return result;
}

/**
 * Checks raw JSON against the metadata contract and returns it typed. Optional fields
 * (`decisionRef`, `legacyDistrict`, `gridSheetNumber`, `parcelIds`) may be absent or null.
 *
 * @throws MapsignError `ARCHIVE_METADATA_INVALID` listing every problem in `details.problems`.
 */
export function validateSheetMetadata(input: unknown): SheetMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MapsignError('ARCHIVE_METADATA_INVALID', 'sheet metadata must be a JSON object', { details: { problems: ['must be a JSON object'] } });
  }
  const raw = input as Record<string, unknown>;
  const problems = new Problems();
  for (const key of Object.keys(raw)) if (!KNOWN.has(key)) problems.add(key, 'is not a field of the sheet metadata');

  const dossierCode = readText(raw, 'dossierCode', problems, false);
  if (dossierCode !== null && typeof dossierCode === 'string' && dossierCode.trim() !== '' && !isDossierCode(dossierCode)) {
    problems.add('dossierCode', `${JSON.stringify(dossierCode)} must look like <agency code>-<YYMMDD>-<4 digits>, e.g. 000.00.31.H56-260715-0012`);
  }
  const procedureCode = readText(raw, 'procedureCode', problems, false, PROCEDURE_CODE, 'must look like 1.013823');
  const procedureSuffix = readText(raw, 'procedureSuffix', problems, false, PROCEDURE_SUFFIX, 'must be letters and digits, e.g. H56');
  const decisionRef = readText(raw, 'decisionRef', problems, true);
  const documentKind = readText(raw, 'documentKind', problems, false);
  if (documentKind !== null && !(DOCUMENT_KINDS as readonly string[]).includes(documentKind)) {
    problems.add('documentKind', `${JSON.stringify(documentKind)} must be one of ${DOCUMENT_KINDS.join(', ')}`);
  }
  const province = readText(raw, 'province', problems, false);
  const commune = readText(raw, 'commune', problems, false);
  const legacyDistrict = readText(raw, 'legacyDistrict', problems, true);
  const sheetNumber = readText(raw, 'sheetNumber', problems, false, SHEET_NUMBER, 'must be a sheet number such as 25');
  const gridSheetNumber = readText(raw, 'gridSheetNumber', problems, true, GRID_SHEET_NUMBER, 'must be a grid sheet number such as 579576-1-a');
  const parcelNumbers = readList(raw, 'parcelNumbers', problems, false, PARCEL_NUMBER, 'must be a parcel number such as 112');
  const parcelIds = readList(raw, 'parcelIds', problems, true, PARCEL_ID, 'must be a 12-character parcel identifier');
  const scale = raw['scale'];
  if (scale === undefined) problems.add('scale', 'is required');
  else if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    problems.add('scale', `${JSON.stringify(scale)} must be the scale denominator, a whole number from ${MIN_SCALE} to ${MAX_SCALE} (1:1000 → 1000)`);
  }
  const paperSize = readText(raw, 'paperSize', problems, false);
  if (paperSize !== null && !(PAPER_SIZES as readonly string[]).includes(paperSize)) {
    problems.add('paperSize', `${JSON.stringify(paperSize)} must be one of ${PAPER_SIZES.join(', ')}`);
  }
  const surveyUnit = readText(raw, 'surveyUnit', problems, false);

  if (problems.list.length > 0) {
    throw new MapsignError('ARCHIVE_METADATA_INVALID', `sheet metadata is invalid: ${problems.list.join('; ')}`, { details: { problems: problems.list } });
  }
  return {
    dossierCode: dossierCode!,
    procedureCode: procedureCode!,
    procedureSuffix: procedureSuffix!,
    decisionRef,
    documentKind: documentKind as DocumentKind,
    province: province!,
    commune: commune!,
    legacyDistrict,
    sheetNumber: sheetNumber!,
    gridSheetNumber,
    parcelNumbers,
    parcelIds,
    scale: scale as number,
    paperSize: paperSize as PaperSize,
    surveyUnit: surveyUnit!,
  };
}

/** Names of the fields whose values differ between two metadata records. */
export function diffMetadata(before: SheetMetadata, after: SheetMetadata): string[] {
  return (Object.keys(after) as Array<keyof SheetMetadata>).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}
