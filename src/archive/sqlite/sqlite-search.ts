// How the SQLite catalog searches: FTS5 query text, the per-row token check (instr over the
// stored token strings, padded with spaces), and the dialect the shared search SQL uses.

import type { SheetRow } from '../rows.js';
import type { SearchDialect, SqlParam } from '../search-sql.js';

/** FTS5 query text: whole tokens quoted, prefixes as "tok"*, signer terms under a column filter. */
export function toFtsQuery(terms: readonly string[], signerTerms: readonly string[]): string {
  const phrase = (term: string): string => (term.endsWith('*') ? `"${term.slice(0, -1).replace(/"/g, '""')}"*` : `"${term.replace(/"/g, '""')}"`);
  return [...terms.map(phrase), ...signerTerms.map((term) => `signers : ${phrase(term)}`)].join(' AND ');
}

/** Stored token strings start and end with a space, so ' tok ' finds a whole token and ' pre' a prefix. */
export function textParams(row: SheetRow): SheetRow & { searchText: string; signerTextPadded: string } {
  return { ...row, searchText: ` ${row.allText} `, signerTextPadded: ` ${row.signerText} ` };
}

function instrChecks(params: SqlParam[], column: string, terms: readonly string[]): string[] {
  return terms.map((term) => {
    params.push(term.endsWith('*') ? ` ${term.slice(0, -1)}` : ` ${term} `);
    return `instr(${column}, ?) > 0`;
  });
}

export const SQLITE_DIALECT: SearchDialect = {
  param(params, value) {
    params.push(value);
    return '?';
  },
  textIndexMatch(params, terms, signerTerms) {
    params.push(toFtsQuery(terms, signerTerms));
    return { from: 'sheet_search f JOIN sheets s ON s.id = f.rowid', where: ['sheet_search MATCH ?'], idExpr: 'f.rowid' };
  },
  textRowCheck(params, terms, signerTerms) {
    return [...instrChecks(params, 's.search_text', terms), ...instrChecks(params, 's.signer_text', signerTerms)];
  },
  textColumns: 's.search_text, s.signer_text',
};
