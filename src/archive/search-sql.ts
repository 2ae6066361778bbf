// One SQL shape for a search plan, shared by both catalogs so that filters, keys, sort and
// cursor mean the same in each; only the free-text match and the placeholders differ. Free text
// is answered one of two ways with the same rows: the text index drives (rare words), or the
// sort order is walked through the filters' indexes checking the text per row (frequent words).

import { pageSize } from './catalog.js';
import type { SearchPlan } from './search.js';

export type SqlParam = string | number;

/** What a catalog contributes: its placeholders, its text index and its per-row text check. */
export interface SearchDialect {
  /** Adds a parameter to `params` and returns its placeholder (`?` or `$n`). */
  param(params: SqlParam[], value: SqlParam): string;
  /** FROM clause, WHERE conditions and id expression when the text index drives the query. */
  textIndexMatch(params: SqlParam[], terms: string[], signerTerms: string[]): { from: string; where: string[]; idExpr: string };
  /** Conditions checking the terms on the row `s` itself, without the text index. */
  textRowCheck(params: SqlParam[], terms: string[], signerTerms: string[]): string[];
  /** Extra columns of `sheets s` that `textRowCheck` reads. */
  readonly textColumns: string;
  /** Extra columns of each result row (computed for the rows of the page only), e.g. its signatures. */
  readonly resultColumns?: string;
}

export const SHEET_COLUMNS = 's.id, s.public_code, s.metadata, s.status, s.revision, s.sha256, s.size, s.signed_at, s.archived_at, s.updated_at';

function resultColumns(dialect: SearchDialect): string {
  return dialect.resultColumns ? `${SHEET_COLUMNS}, ${dialect.resultColumns}` : SHEET_COLUMNS;
}

function filterConditions(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[]): string[] {
  const p = (value: SqlParam): string => dialect.param(params, value);
  const where: string[] = [];
  for (const value of plan.dossierCodes) where.push(`s.dossier_key = ${p(value)}`);
  for (const value of plan.procedureCodes) where.push(`s.procedure_code = ${p(value)}`);
  for (const value of plan.sheetNumbers) where.push(`s.sheet_number_key = ${p(value)}`);
  for (const value of plan.gridSheetNumbers) where.push(`s.grid_key = ${p(value)}`);
  // Parcel rows carry their sheet's number, so "tờ 25 thửa 112" is one index range, not two lists.
  const parcel = (kind: string, value: string): string => {
    // Placeholders are taken in the order they appear in the SQL (SQLite's ? are positional).
    const valueSql = p(value);
    const onSheet = plan.sheetNumbers.length === 1 ? ` AND p.sheet_number_key = ${p(plan.sheetNumbers[0]!)}` : '';
    return `s.id IN (SELECT p.sheet_id FROM sheet_parcels p WHERE p.kind = '${kind}' AND p.value = ${valueSql}${onSheet})`;
  };
  for (const value of plan.parcelNumbers) where.push(parcel('number', value));
  for (const value of plan.parcelIds) where.push(parcel('id', value));
  for (const value of plan.certificateSerials) where.push(`s.id IN (SELECT g.sheet_id FROM signatures g WHERE g.serial_key = ${p(value)})`);
  for (const value of plan.fileHashes) where.push(`s.id IN (SELECT r.sheet_id FROM revisions r WHERE r.sha256 = ${p(value)})`);
  if (plan.communeKey !== null) where.push(`s.commune_key = ${p(plan.communeKey)}`);
  if (plan.documentKind !== null) where.push(`s.document_kind = ${p(plan.documentKind)}`);
  if (plan.status !== null) where.push(`s.status = ${p(plan.status)}`);
  if (plan.signedFrom !== null) where.push(`s.signed_at >= ${p(plan.signedFrom)}`);
  if (plan.signedBefore !== null) where.push(`s.signed_at < ${p(plan.signedBefore)}`);
  return where;
}

/** ORDER BY and the cursor condition for the plan's sort, on `idExpr` for the archived order. */
function ordering(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[], idExpr: string): { orderBy: string; after: string | null } {
  const direction = plan.order === 'asc' ? 'ASC' : 'DESC';
  const comparison = plan.order === 'asc' ? '>' : '<';
  if (plan.sort === 'archived') {
    return { orderBy: `${idExpr} ${direction}`, after: plan.after ? `${idExpr} ${comparison} ${dialect.param(params, plan.after.id)}` : null };
  }
  const column = plan.sort === 'signed' ? 's.signed_at' : 's.dossier_key';
  return {
    orderBy: `${column} ${direction}, s.id ${direction}`,
    after: plan.after ? `(${column}, s.id) ${comparison} (${dialect.param(params, plan.after.value)}, ${dialect.param(params, plan.after.id)})` : null,
  };
}

function whereSql(conditions: string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** The text index drives: every match is found, then filtered and sorted. */
export function buildTextFirstSql(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[]): string {
  const hasText = plan.terms.length > 0 || plan.signerTerms.length > 0;
  const match = hasText ? dialect.textIndexMatch(params, plan.terms, plan.signerTerms) : { from: 'sheets s', where: [], idExpr: 's.id' };
  const conditions = [...match.where, ...filterConditions(plan, dialect, params)];
  const { orderBy, after } = ordering(plan, dialect, params, match.idExpr);
  if (after) conditions.push(after);
  return `SELECT ${resultColumns(dialect)} FROM ${match.from} ${whereSql(conditions)} ORDER BY ${orderBy} LIMIT ${dialect.param(params, pageSize(plan))}`;
}

/** The first `budget` rows of the sort order that pass the filters, with the text columns. */
export function buildWalkSql(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[], budget: number, columns = `${SHEET_COLUMNS}, s.dossier_key`): string {
  const conditions = filterConditions(plan, dialect, params);
  const { orderBy, after } = ordering(plan, dialect, params, 's.id');
  if (after) conditions.push(after);
  return `SELECT ${columns}, ${dialect.textColumns} FROM sheets s ${whereSql(conditions)} ORDER BY ${orderBy} LIMIT ${dialect.param(params, budget)}`;
}

/** The walk in SQL: the text checked on each row of the walk, stopping at a full page. */
export function buildWindowSql(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[], budget: number): string {
  const innerSql = buildWalkSql(plan, dialect, params, budget);
  const check = dialect.textRowCheck(params, plan.terms, plan.signerTerms);
  const outer = ordering({ ...plan, after: null }, dialect, params, 's.id');
  return `SELECT ${resultColumns(dialect)} FROM (${innerSql}) s ${whereSql(check)} ORDER BY ${outer.orderBy} LIMIT ${dialect.param(params, pageSize(plan))}`;
}

/** How many rows pass the filters, counting no further than `budget`. */
export function buildWalkCountSql(plan: SearchPlan, dialect: SearchDialect, params: SqlParam[], budget: number): string {
  const conditions = filterConditions(plan, dialect, params);
  const { after } = ordering(plan, dialect, params, 's.id');
  if (after) conditions.push(after);
  return `SELECT count(*) AS n FROM (SELECT 1 FROM sheets s ${whereSql(conditions)} LIMIT ${dialect.param(params, budget)}) w`;
}

/** How a catalog runs the two ways of answering a text search. */
export interface SearchBackend<Row> {
  /** Rows holding each term (prefix terms: the sum over the terms they cover), and the number of sheets. */
  countTermDocs(terms: readonly string[]): Promise<{ total: number; docs: number[] }>;
  /**
   * Walks at most `budget` rows of the sort order through the filters, checking the text on
   * each; `isComplete` when a page (limit + 1 rows) was found or the filters left no more rows.
   */
  walk(plan: SearchPlan, budget: number): Promise<{ rows: Row[]; isComplete: boolean }>;
  /** Everything through the text index, then filtered and sorted. */
  textFirst(plan: SearchPlan): Promise<Row[]>;
  /** Whether the text index returns rows in the plan's order, so that a page stops it early. */
  isTextIndexOrdered(plan: SearchPlan): boolean;
}

/** Whether the plan has no filter or exact key besides the text (a cursor is not a filter). */
export function hasOnlyText(plan: SearchPlan): boolean {
  return (
    plan.dossierCodes.length + plan.procedureCodes.length + plan.sheetNumbers.length + plan.gridSheetNumbers.length + plan.parcelNumbers.length +
      plan.parcelIds.length + plan.certificateSerials.length + plan.fileHashes.length === 0 &&
    plan.communeKey === null &&
    plan.documentKind === null &&
    plan.status === null &&
    plan.signedFrom === null &&
    plan.signedBefore === null
  );
}

/** When each way is taken; tests force one or the other, results never depend on it. */
export interface SearchTuning {
  /** Below this many sheets holding the rarest term, the text index is always the cheaper way. */
  textFirstMaxDocs: number;
  /** Rows a walk looks at, at least (it looks at up to half the sheets holding the rarest term). */
  minWalk: number;
  /** Use the text index when it yields rows in the plan's order (SQLite FTS5 by rowid). */
  useOrderedTextIndex: boolean;
}

export const DEFAULT_SEARCH_TUNING: SearchTuning = { textFirstMaxDocs: 5000, minWalk: 3000, useOrderedTextIndex: true };

/**
 * Runs a plan. Without free text, one query. With free text, the cost of the two ways is
 * guessed from how many sheets hold each term: a rare term lets the text index drive; frequent
 * terms walk the sort order first (a page is usually found within a few hundred rows), for at
 * most half as many rows as the text index would return, and fall back to the text index when
 * the walk did not fill a page. Either way the rows are exactly the same.
 */
export async function runSearch<Row>(plan: SearchPlan, backend: SearchBackend<Row>, tuning: SearchTuning = DEFAULT_SEARCH_TUNING): Promise<Row[]> {
  const terms = [...plan.terms, ...plan.signerTerms];
  if (terms.length === 0 || (tuning.useOrderedTextIndex && backend.isTextIndexOrdered(plan))) return backend.textFirst(plan);
  const { docs } = await backend.countTermDocs(terms);
  const rarest = Math.min(...docs);
  if (rarest <= tuning.textFirstMaxDocs) return backend.textFirst(plan);
  const walked = await backend.walk(plan, Math.max(tuning.minWalk, Math.ceil(rarest / 2)));
  if (walked.isComplete) return walked.rows;
  return backend.textFirst(plan);
}

/** The text checked in memory on a walked row, exactly as the SQL checks do it. */
export function hasTokens(paddedTokens: string, terms: readonly string[]): boolean {
  return terms.every((term) => (term.endsWith('*') ? paddedTokens.includes(` ${term.slice(0, -1)}`) : paddedTokens.includes(` ${term} `)));
}
