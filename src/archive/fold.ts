// Folding of Vietnamese text for search (DOMAIN.md "Search"): lower case, strip combining
// marks, map đ/Đ to d (Unicode does not decompose đ), NFC. The original text is kept for display.

const ASCII = /^[\x00-\x7f]*$/;
const ASCII_SEPARATORS = /[^a-z0-9]+/;
const COMBINING_MARKS = /\p{M}/gu;
const D_WITH_STROKE = /đ/g;
const TOKEN = /[\p{L}\p{N}]+/gu;
const tokenCache = new Map<string, readonly string[]>();
const MAX_CACHED = 50_000;
const MAX_CACHED_LENGTH = 200;
const COMMUNE_UNIT_PREFIX = /^(?:phuong|xa|thi tran|dac khu)\s+/;

/**
 * Folds text the way users type it: "Vũng Tàu" → "vung tau", "ĐỒNG NAI" → "dong nai".
 * Lower-casing comes first because it can itself produce combining marks (İ → i + U+0307).
 */
export function foldVietnamese(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  return text.toLowerCase().normalize('NFD').replace(COMBINING_MARKS, '').replace(D_WITH_STROKE, 'd').normalize('NFC');
}

/**
 * The search tokens of a text: folded runs of letters and digits, in order, without repeats.
 * Both catalogs index exactly these tokens (SQLite FTS5 with the `ascii` tokenizer over the
 * space-joined tokens, PostgreSQL `array_to_tsvector`), so both match the same rows.
 */
export function tokenize(text: string): string[] {
  if (ASCII.test(text)) return splitAsciiTokens(text.toLowerCase());
  const cached = tokenCache.get(text);
  if (cached) return [...cached];
  const seen = new Set<string>();
  for (const match of foldVietnamese(text).matchAll(TOKEN)) seen.add(match[0]);
  const tokens = [...seen];
  // Vietnamese names of places, organisations and people repeat across sheets: fold them once.
  if (text.length <= MAX_CACHED_LENGTH) {
    if (tokenCache.size >= MAX_CACHED) tokenCache.clear();
    tokenCache.set(text, tokens);
  }
  return [...tokens];
}

/** In ASCII, letters and digits are [a-z0-9] once lower-cased: a split does what TOKEN does. */
function splitAsciiTokens(lower: string): string[] {
  const seen = new Set<string>();
  for (const part of lower.split(ASCII_SEPARATORS)) if (part !== '') seen.add(part);
  return [...seen];
}

/** Tokens of several texts joined by single spaces, without repeats. */
export function tokenText(texts: ReadonlyArray<string | null | undefined>): string {
  const seen = new Set<string>();
  for (const text of texts) if (text) for (const token of tokenize(text)) seen.add(token);
  return [...seen].join(' ');
}

/**
 * The key a commune is filtered on: folded, spaces collapsed, and the unit word ("Phường",
 * "Xã", "Thị trấn", "Đặc khu") dropped, so "--commune tran bien" finds "Phường Trấn Biên".
 */
export function communeKey(commune: string): string {
  return foldVietnamese(commune).replace(/[^\p{L}\p{N}]+/gu, ' ').trim().replace(COMMUNE_UNIT_PREFIX, '');
}
