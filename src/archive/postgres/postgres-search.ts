// How the PostgreSQL catalog matches text: tsquery of our tokens against the tsvector columns,
// the same check per row and through the GIN indexes, and the dialect the shared search SQL uses.

import type { SearchDialect, SqlParam } from '../search-sql.js';

/** tsquery text: whole lexemes quoted, prefixes as 'tok':*, joined with &. */
export function toTsQuery(terms: readonly string[]): string {
  return terms.map((term) => (term.endsWith('*') ? `'${term.slice(0, -1).replace(/'/g, "''")}':*` : `'${term.replace(/'/g, "''")}'`)).join(' & ');
}

function tsMatches(params: SqlParam[], terms: string[], signerTerms: string[]): string[] {
  const where: string[] = [];
  if (terms.length > 0) where.push(`s.search_tsv @@ ${POSTGRES_DIALECT.param(params, toTsQuery(terms))}::tsquery`);
  if (signerTerms.length > 0) where.push(`s.signer_tsv @@ ${POSTGRES_DIALECT.param(params, toTsQuery(signerTerms))}::tsquery`);
  return where;
}

const SIGNATURE_FIELDS = ['position', 'field_name', 'role', 'signer_name', 'organisation', 'certificate_serial', 'certificate_issuer', 'signing_time', 'timestamp_time', 'pades_level'];

export const POSTGRES_DIALECT: SearchDialect = {
  param(params, value) {
    params.push(value);
    return `$${params.length}`;
  },
  textIndexMatch: (params, terms, signerTerms) => ({ from: 'sheets s', where: tsMatches(params, terms, signerTerms), idExpr: 's.id' }),
  textRowCheck: tsMatches,
  textColumns: 's.search_tsv, s.signer_tsv',
  // PostgreSQL evaluates this after ORDER BY and LIMIT: one round trip gives a page with its signers.
  resultColumns: `(SELECT json_agg(json_build_object(${SIGNATURE_FIELDS.map((f) => `'${f}', g.${f}`).join(', ')}) ORDER BY g.position)
     FROM signatures g JOIN revisions r ON r.id = g.revision_id WHERE r.sheet_id = s.id AND r.revision = s.revision) AS signatures_json`,
};

export const TSV = (param: string): string => `array_to_tsvector(string_to_array(${param}, ' '))`;
