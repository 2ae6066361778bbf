// Turns what a user types into a search plan both catalogs execute the same way: exact keys
// (dossier and procedure codes, "tờ 25", "thửa 112", serials, hashes), folded free-text terms
// matched as whole tokens (or prefixes, with a trailing *), filters, a sort and a keyset cursor (docs/archive.md "Search").

import { createHash } from 'node:crypto';
import { MapsignError } from '../errors.js';
import { communeKey, foldVietnamese, tokenize } from './fold.js';
import { isDossierCode, isProcedureCode } from './metadata.js';
import { DOCUMENT_KINDS, SHEET_STATUSES, type DocumentKind, type SheetRecord, type SheetStatus } from './types.js';

export const SEARCH_SORTS = ['archived', 'signed', 'dossier'] as const;

/** `archived`: order of arrival; `signed`: time of the latest signature; `dossier`: dossier code. */
export type SearchSort = (typeof SEARCH_SORTS)[number];

export type SearchOrder = 'asc' | 'desc';

/** A search as callers give it; every field optional. */
export interface SearchQuery {
  /** Free text and exact keys, e.g. "vung tau", "to 25 thua 112", "000.00.31.H56-260715-0012". */
  text?: string;
  /** Commune, with or without its unit word: "Trấn Biên", "phuong tran bien". */
  commune?: string;
  documentKind?: string;
  status?: string;
  /** Words of a signer's name or organisation, matched like free text but only against signers. */
  signer?: string;
  /** Signing time of the latest signature from this day (YYYY-MM-DD, Vietnam time) or instant (ISO 8601). */
  from?: string;
  /** …up to and including this day or instant. */
  to?: string;
  sort?: string;
  order?: string;
  /** Page size, 1 to 100; default 20. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** A position in a sorted result: the sort value and the id of the last row of a page. */
export interface SearchPosition {
  value: number | string;
  id: number;
}

/** A parsed search; the catalogs translate it to SQL, field by field. */
export interface SearchPlan {
  /** Folded tokens, each of which must be a token of the sheet; one ending in `*` is a token prefix. */
  terms: string[];
  /** Like `terms`, matched only against the signers' names and organisations. */
  signerTerms: string[];
  dossierCodes: string[];
  procedureCodes: string[];
  sheetNumbers: string[];
  gridSheetNumbers: string[];
  parcelNumbers: string[];
  parcelIds: string[];
  certificateSerials: string[];
  fileHashes: string[];
  communeKey: string | null;
  documentKind: DocumentKind | null;
  status: SheetStatus | null;
  /** Epoch milliseconds, inclusive. */
  signedFrom: number | null;
  /** Epoch milliseconds, exclusive. */
  signedBefore: number | null;
  sort: SearchSort;
  order: SearchOrder;
  limit: number;
  after: SearchPosition | null;
}

export interface SearchResult {
  items: SheetRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** How the text was understood, for "showing results for …" lines. */
  interpreted: Omit<SearchPlan, 'after' | 'limit'>;
}

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
const MAX_TERMS = 16;
const MIN_PREFIX = 2;
const DAY_MS = 86_400_000;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SERIAL = /^(?:0x)?[0-9a-f]{16,63}$/;
const SERIAL_COLONS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){7,}$/;
const PARCEL_ID = /^(?=.*\d)[0-9a-z]{12}$/;
const GRID = /^\d{5,6}(?:-[0-9a-z]{1,4}){1,3}$/;
const KEY_VALUE = /^[0-9a-z][0-9a-z()./-]{0,63}$/;
const NUMBER_LIKE = /^\d[0-9a-z./-]{0,19}$/;
const PUNCTUATION_EDGES = /^[\s,;:!?"'()[\]{}]+|[\s,;:!?"'()[\]{}]+$/gu;

/** Normalises a certificate serial as the catalogs store it: lower-case hex, no colons, no leading zeros. */
export function normalizeSerial(value: string): string {
  const hex = value.toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  return hex.replace(/^0+(?=.)/, '');
}

/** Normalises an exact key (dossier code, sheet and parcel numbers, grid number): trimmed, lower case. */
export function normalizeKey(value: string): string {
  return value.trim().toLowerCase();
}

function usage(message: string): MapsignError {
  return new MapsignError('USAGE_INVALID', message);
}

function emptyKeys(): Pick<SearchPlan, 'dossierCodes' | 'procedureCodes' | 'sheetNumbers' | 'gridSheetNumbers' | 'parcelNumbers' | 'parcelIds' | 'certificateSerials' | 'fileHashes'> {
  return { dossierCodes: [], procedureCodes: [], sheetNumbers: [], gridSheetNumbers: [], parcelNumbers: [], parcelIds: [], certificateSerials: [], fileHashes: [] };
}

type Keys = ReturnType<typeof emptyKeys>;

const PREFIXES: Record<string, keyof Keys> = {
  dossier: 'dossierCodes',
  hoso: 'dossierCodes',
  procedure: 'procedureCodes',
  tthc: 'procedureCodes',
  sheet: 'sheetNumbers',
  to: 'sheetNumbers',
  grid: 'gridSheetNumbers',
  parcel: 'parcelNumbers',
  thua: 'parcelNumbers',
  parcelid: 'parcelIds',
  serial: 'certificateSerials',
  hash: 'fileHashes',
  sha256: 'fileHashes',
};

function addKey(keys: Keys, field: keyof Keys, raw: string): void {
  const value = field === 'certificateSerials' ? normalizeSerial(raw) : normalizeKey(raw);
  if (!keys[field].includes(value)) keys[field].push(value);
}

/** An exact key a single word stands for, tried before folding. */
function detectKey(word: string): [keyof Keys, string] | null {
  const lower = word.toLowerCase();
  const prefixed = /^([a-z0-9]+):(.+)$/.exec(foldVietnamese(word));
  if (prefixed) {
    const field = PREFIXES[prefixed[1]!];
    const value = field === 'dossierCodes' || field === 'fileHashes' || field === 'certificateSerials' ? word.slice(word.indexOf(':') + 1) : prefixed[2]!;
    if (field && (field === 'certificateSerials' || KEY_VALUE.test(value.toLowerCase()))) return [field, value];
  }
  if (HEX64.test(lower)) return ['fileHashes', lower];
  if (isDossierCode(word)) return ['dossierCodes', word];
  if (isProcedureCode(word)) return ['procedureCodes', word];
  if (GRID.test(lower)) return ['gridSheetNumbers', lower];
  if (PARCEL_ID.test(lower)) return ['parcelIds', lower];
  if (SERIAL.test(lower) || SERIAL_COLONS.test(lower)) return ['certificateSerials', lower];
  return null;
}

/**
 * Splits the text into exact keys and free-text terms. "to 25", "tờ số 25" → sheet 25;
 * "thua 112", "thửa đất số 112" → parcel 112; codes, hashes and serials are recognised by form
 * or by a `key:` prefix (dossier:, procedure:, sheet:, grid:, parcel:, parcelid:, serial:, hash:).
 */
export function parseSearchText(text: string): { terms: string[]; keys: Keys } {
  const keys = emptyKeys();
  const folded: string[] = [];
  for (const rawWord of text.normalize('NFC').split(/\s+/)) {
    const word = rawWord.replace(PUNCTUATION_EDGES, '');
    if (word === '') continue;
    const key = detectKey(word);
    if (key) addKey(keys, key[0], key[1]);
    else folded.push(foldVietnamese(word));
  }
  const rest: string[] = [];
  for (let i = 0; i < folded.length; i++) {
    const word = folded[i]!;
    if (word === 'to' || word === 'thua') {
      let j = i + 1;
      if (word === 'thua' && folded[j] === 'dat') j++;
      if (folded[j] === 'so') j++;
      const value = folded[j];
      if (value !== undefined && NUMBER_LIKE.test(value)) {
        addKey(keys, word === 'to' ? 'sheetNumbers' : 'parcelNumbers', value);
        i = j;
        continue;
      }
    }
    rest.push(word);
  }
  const terms = [...new Set(rest.flatMap((word) => termsOf(word)))];
  return { terms, keys };
}

/**
 * The search terms of a word: its folded tokens, matched as whole tokens (Vietnamese syllables
 * are short: "an" must not find "anh"). A word ending in `*` makes its last token a prefix
 * ("nguy*"), written with the `*` kept, when that token has at least two characters.
 */
export function termsOf(word: string): string[] {
  const tokens = tokenize(word);
  const last = tokens[tokens.length - 1];
  if (word.endsWith('*') && last !== undefined && last.length >= MIN_PREFIX) tokens[tokens.length - 1] = `${last}*`;
  return tokens;
}

function parseInstant(value: string, isEnd: boolean, field: string): number {
  const day = DATE_ONLY.exec(value);
  if (day) {
    const start = Date.parse(`${value}T00:00:00+07:00`);
    if (Number.isNaN(start) || new Date(start + 7 * 3_600_000).toISOString().slice(0, 10) !== value) throw usage(`${field} is not a real date: ${value}`);
    return isEnd ? start + DAY_MS : start;
  }
  if (ISO_INSTANT.test(value)) {
    const instant = Date.parse(value);
    if (!Number.isNaN(instant)) return isEnd ? instant + 1 : instant;
  }
  throw usage(`${field} must be a day YYYY-MM-DD or an ISO 8601 time with its offset, not ${JSON.stringify(value)}`);
}

function pickEnum<T extends string>(value: string | undefined, allowed: readonly T[], field: string): T | null {
  if (value === undefined || value === '') return null;
  if (!(allowed as readonly string[]).includes(value)) throw usage(`${field} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

function fingerprint(plan: Omit<SearchPlan, 'after' | 'limit'>): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('base64url').slice(0, 16);
}

interface CursorBody {
  f: string;
  v: number | string;
  i: number;
}

/** The opaque cursor after `record` for this plan. */
export function encodeCursor(plan: SearchPlan, position: SearchPosition): string {
  const { after: _after, limit: _limit, ...rest } = plan;
  const body: CursorBody = { f: fingerprint(rest), v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeCursor(cursor: string, plan: Omit<SearchPlan, 'after' | 'limit'>): SearchPosition {
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw usage('the cursor is not one this service gave out');
  }
  if (typeof body !== 'object' || body === null || typeof body.i !== 'number' || !Number.isSafeInteger(body.i)) throw usage('the cursor is not one this service gave out');
  if (body.f !== fingerprint(plan)) throw usage('the cursor belongs to another search; start again without it');
  const isNumberSort = plan.sort !== 'dossier';
  if (isNumberSort ? typeof body.v !== 'number' || !Number.isSafeInteger(body.v) : typeof body.v !== 'string') throw usage('the cursor is not one this service gave out');
  return { value: body.v as number | string, id: body.i };
}

/**
 * Validates a query and plans it.
 *
 * @throws MapsignError `USAGE_INVALID` for unknown kinds, statuses or sorts, bad dates, a bad
 *   limit, too many terms, or a cursor of another search.
 */
export function planSearch(query: SearchQuery): SearchPlan {
  const { terms, keys } = parseSearchText(query.text ?? '');
  const signerTerms = query.signer ? [...new Set(query.signer.split(/\s+/).flatMap((word) => termsOf(word)))] : [];
  if (terms.length + signerTerms.length > MAX_TERMS) throw usage(`a search may hold at most ${MAX_TERMS} words`);
  const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw usage(`limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  const sort = pickEnum(query.sort, SEARCH_SORTS, 'sort') ?? 'archived';
  const order = pickEnum(query.order, ['asc', 'desc'] as const, 'order') ?? (sort === 'dossier' ? 'asc' : 'desc');
  const signedFrom = query.from ? parseInstant(query.from, false, 'from') : null;
  const signedBefore = query.to ? parseInstant(query.to, true, 'to') : null;
  const commune = query.commune ? communeKey(query.commune) : null;
  const plan: Omit<SearchPlan, 'after' | 'limit'> = {
    terms,
    signerTerms,
    ...keys,
    communeKey: commune === '' ? null : commune,
    documentKind: pickEnum(query.documentKind, DOCUMENT_KINDS, 'kind'),
    status: pickEnum(query.status, SHEET_STATUSES, 'status'),
    signedFrom,
    signedBefore,
    sort,
    order,
  };
  const after = query.cursor ? decodeCursor(query.cursor, plan) : null;
  return { ...plan, limit, after };
}

/** The value a row is sorted on, as both catalogs store it. */
export function sortValueOf(record: SheetRecord, sort: SearchSort): number | string {
  if (sort === 'archived') return record.id;
  if (sort === 'signed') return record.signedAt === null ? 0 : Date.parse(record.signedAt);
  return normalizeKey(record.metadata.dossierCode);
}

/** Cuts one extra row off a page and makes the cursor for the next one. */
export function finishPage(plan: SearchPlan, rows: SheetRecord[]): SearchResult {
  const { after: _after, limit: _limit, ...interpreted } = plan;
  const hasMore = rows.length > plan.limit;
  const items = hasMore ? rows.slice(0, plan.limit) : rows;
  const last = items[items.length - 1];
  const nextCursor = hasMore && last ? encodeCursor(plan, { value: sortValueOf(last, plan.sort), id: last.id }) : null;
  return { items, nextCursor, interpreted };
}
