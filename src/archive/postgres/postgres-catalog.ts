// The catalog at scale: PostgreSQL through node-postgres, in its own schema (search_path), with
// the folded tokens in `tsvector` columns built by array_to_tsvector (no parser, no stemming:
// the same tokens SQLite's FTS5 holds) under GIN indexes. Batches are written with unnest().

import pg from 'pg';
import { MapsignError } from '../../errors.js';
import { chainAuditEvents, type AuditHead } from '../audit.js';
import { pageSize, verifiedEventOf, type Catalog, type CatalogCounts, type CommitSheetInput, type CommitSheetResult, type ExistingSheet, type IngestIntent, type RevisionBlob } from '../catalog.js';
import { countTerms, deriveSheetRow, formatVietnamTime, serialKeyOf, toSheetRecord, type SheetRow } from '../rows.js';
import { buildTextFirstSql, buildWalkCountSql, buildWindowSql, DEFAULT_SEARCH_TUNING, runSearch, type SearchTuning, type SqlParam } from '../search-sql.js';
import type { SearchPlan } from '../search.js';
import type { AuditEntry, AuditEvent, SheetDetail, SheetMetadata, SheetRecord } from '../types.js';
import { translatePgError } from './postgres-errors.js';
import { CATALOG_SET } from './postgres-migrate.js';
import { openPostgresPool, withPostgresTransaction } from './postgres-pool.js';
import { num, numOrNull, toAuditEntry, toSignature, toStored, type Row } from './postgres-rows.js';
import { newPublicCode } from '../public-code.js';
import { POSTGRES_DIALECT, TSV } from './postgres-search.js';

export interface OpenPostgresCatalogOptions {
  /** postgres://user@host:port/database */
  connectionString: string;
  /** Schema holding the tables, created when missing; default `mapsign`. */
  schema?: string;
  /** Pool size, default 10. */
  maxConnections?: number;
}

const TERM_DOCS_TTL_MS = 60_000;

type Queryable = pg.Pool | pg.PoolClient;
export class PostgresCatalog implements Catalog {
  readonly backend = 'postgres' as const;
  /** How searches choose between the text index and a walk of the sort order (never changes results). */
  searchTuning: SearchTuning = DEFAULT_SEARCH_TUNING;
  private readonly termDocsCache = new Map<string, { at: number; value: { total: number; docs: number[] } }>();

  constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  private async query(sql: string, params: unknown[] = [], client: Queryable = this.pool): Promise<Row[]> {
    try {
      return (await client.query(sql, params)).rows as Row[];
    } catch (error) {
      throw translatePgError(error);
    }
  }

  private transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPostgresTransaction(this.pool, 'catalog', work);
  }


  async findRevision(sha256: string): Promise<RevisionBlob | null> {
    const [row] = await this.query('SELECT sha256, size, sheet_id, revision FROM revisions WHERE sha256 = $1', [sha256]);
    return row ? { sha256: String(row['sha256']), size: num(row['size']), sheetId: num(row['sheet_id']), revision: num(row['revision']) } : null;
  }

  async findSheetByKey(sheetKey: string): Promise<ExistingSheet | null> {
    const [row] = await this.query(
      `SELECT s.id, s.revision, s.sha256, s.size, s.metadata, s.public_code, r.signature_count FROM sheets s
       JOIN revisions r ON r.sheet_id = s.id AND r.revision = s.revision WHERE s.sheet_key = $1`,
      [sheetKey],
    );
    if (!row) return null;
    return {
      id: num(row['id']),
      publicCode: String(row['public_code']),
      revision: num(row['revision']),
      sha256: String(row['sha256']),
      size: num(row['size']),
      signatureCount: num(row['signature_count']),
      metadata: JSON.parse(String(row['metadata'])) as SheetMetadata,
    };
  }

  private async appendAuditInTransaction(client: pg.PoolClient, events: readonly AuditEvent[], at: number): Promise<AuditEntry[]> {
    // The head row's lock orders every writer of the chain, across processes and machines.
    const [headRow] = await this.query('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE', [], client);
    const head: AuditHead = { seq: num(headRow!['seq']), hash: String(headRow!['hash']) };
    const entries = chainAuditEvents(head, events, at);
    if (entries.length === 0) return entries;
    await this.query(
      `INSERT INTO audit_log (seq, at, kind, sheet_id, sha256, actor, details, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [
        entries.map((e) => e.seq),
        entries.map((e) => e.at),
        entries.map((e) => e.kind),
        entries.map((e) => e.sheetId),
        entries.map((e) => e.sha256),
        entries.map((e) => e.actor),
        entries.map((e) => e.details),
        entries.map((e) => e.prevHash),
        entries.map((e) => e.hash),
      ],
      client,
    );
    const last = entries[entries.length - 1]!;
    await this.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [last.seq, last.hash], client);
    return entries;
  }

  /**
   * Every writing transaction takes the audit head's row lock first: writers queue here, never
   * in the middle holding other rows (sheets, search_terms), so they cannot deadlock.
   */
  private async lockAuditHead(client: pg.PoolClient): Promise<void> {
    await this.query('SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE', [], client);
  }

  private async nextIds(client: pg.PoolClient, table: string, count: number): Promise<number[]> {
    if (count === 0) return [];
    const rows = await this.query(`SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)`, [table, count], client);
    return rows.map((r) => num(r['id']));
  }

  private async writeParcels(client: pg.PoolClient, items: Array<{ sheetId: number; row: SheetRow }>): Promise<void> {
    const kinds: string[] = [];
    const values: string[] = [];
    const sheetNumbers: string[] = [];
    const ids: number[] = [];
    for (const { sheetId, row } of items) {
      const add = (kind: string, value: string): void => {
        kinds.push(kind);
        values.push(value);
        sheetNumbers.push(row.sheetNumberKey);
        ids.push(sheetId);
      };
      for (const value of row.parcelNumberKeys) add('number', value);
      for (const value of row.parcelIdKeys) add('id', value);
    }
    if (ids.length === 0) return;
    await this.query(
      'INSERT INTO sheet_parcels (kind, value, sheet_number_key, sheet_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])',
      [kinds, values, sheetNumbers, ids],
      client,
    );
  }

  async commitSheets(inputs: readonly CommitSheetInput[]): Promise<CommitSheetResult[]> {
    if (inputs.length === 0) return [];
    return this.transaction(async (client) => {
      const rows = inputs.map((input) => deriveSheetRow(input.metadata, input.signatures));
      const results: CommitSheetResult[] = new Array(inputs.length);
      await this.lockAuditHead(client);

      const fresh = inputs.map((input, i) => ({ input, row: rows[i]!, index: i })).filter((x) => x.input.extends === null);
      const freshIds = await this.nextIds(client, 'sheets', fresh.length);
      if (fresh.length > 0) {
        const col = <T>(pick: (x: (typeof fresh)[number]) => T): T[] => fresh.map(pick);
        await this.query(
          `INSERT INTO sheets (id, sheet_key, dossier_key, procedure_code, document_kind, commune_key, sheet_number_key, grid_key, metadata,
             status, revision, sha256, size, signed_at, archived_at, updated_at, search_tsv, signer_tsv, public_code)
           SELECT u.id, u.sheet_key, u.dossier_key, u.procedure_code, u.document_kind, u.commune_key, u.sheet_number_key, u.grid_key, u.metadata,
             'archived', 1, u.sha256, u.size, u.signed_at, u.archived_at, u.archived_at, ${TSV('u.body')}, ${TSV('u.signers')}, u.public_code
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[])
             AS u (id, sheet_key, dossier_key, procedure_code, document_kind, commune_key, sheet_number_key, grid_key, metadata,
               sha256, size, signed_at, archived_at, body, signers, public_code)`,
          [
            freshIds,
            col((x) => x.row.sheetKey),
            col((x) => x.row.dossierKey),
            col((x) => x.row.procedureCode),
            col((x) => x.row.documentKind),
            col((x) => x.row.communeKey),
            col((x) => x.row.sheetNumberKey),
            col((x) => x.row.gridKey),
            col((x) => x.row.metadataJson),
            col((x) => x.input.sha256),
            col((x) => x.input.size),
            col((x) => x.row.signedAt),
            col((x) => x.input.archivedAt),
            col((x) => x.row.allText),
            col((x) => x.row.signerText),
            col((x) => x.input.publicCode ?? newPublicCode()),
          ],
          client,
        );
        fresh.forEach((x, i) => (results[x.index] = { sheetId: freshIds[i]!, revision: 1 }));
      }

      const advanced: Array<{ sheetId: number; row: SheetRow }> = [];
      for (const [index, input] of inputs.entries()) {
        if (input.extends === null) continue;
        const row = rows[index]!;
        const { sheetId, revision } = input.extends;
        const updated = await this.query(
          `UPDATE sheets SET sheet_key = $1, dossier_key = $2, procedure_code = $3, document_kind = $4, commune_key = $5, sheet_number_key = $6,
             grid_key = $7, metadata = $8, status = 'archived', revision = revision + 1, sha256 = $9, size = $10, signed_at = $11, updated_at = $12,
             search_tsv = ${TSV('$13')}, signer_tsv = ${TSV('$14')}
           WHERE id = $15 AND revision = $16 RETURNING id`,
          [row.sheetKey, row.dossierKey, row.procedureCode, row.documentKind, row.communeKey, row.sheetNumberKey, row.gridKey, row.metadataJson,
            input.sha256, input.size, row.signedAt, input.archivedAt, row.allText, row.signerText, sheetId, revision],
          client,
        );
        if (updated.length !== 1) {
          throw new MapsignError('ARCHIVE_REVISION_CONFLICT', `sheet ${sheetId} is no longer at revision ${revision}`, { details: { sheetId, revision } });
        }
        await this.query('DELETE FROM sheet_parcels WHERE sheet_id = $1', [sheetId], client);
        advanced.push({ sheetId, row });
        results[index] = { sheetId, revision: revision + 1 };
      }
      await this.writeParcels(client, [...fresh.map((x, i) => ({ sheetId: freshIds[i]!, row: x.row })), ...advanced]);

      const revisionIds = await this.nextIds(client, 'revisions', inputs.length);
      await this.query(
        `INSERT INTO revisions (id, sheet_id, revision, sha256, size, signature_count, archived_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::int[], $7::bigint[])`,
        [
          revisionIds,
          results.map((r) => r.sheetId),
          results.map((r) => r.revision),
          inputs.map((i) => i.sha256),
          inputs.map((i) => i.size),
          inputs.map((i) => i.signatures.length),
          inputs.map((i) => i.archivedAt),
        ],
        client,
      );

      const signatures = inputs.flatMap((input, i) => input.signatures.map((s) => ({ s, revisionId: revisionIds[i]!, sheetId: results[i]!.sheetId })));
      if (signatures.length > 0) {
        await this.query(
          `INSERT INTO signatures (revision_id, position, sheet_id, field_name, role, signer_name, organisation, certificate_serial, serial_key,
             certificate_issuer, signing_time, timestamp_time, pades_level)
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::bigint[], $12::bigint[], $13::text[])`,
          [
            signatures.map((x) => x.revisionId),
            signatures.map((x) => x.s.position),
            signatures.map((x) => x.sheetId),
            signatures.map((x) => x.s.fieldName),
            signatures.map((x) => x.s.role),
            signatures.map((x) => x.s.signerName),
            signatures.map((x) => x.s.organisation),
            signatures.map((x) => x.s.certificateSerial),
            signatures.map((x) => serialKeyOf(x.s.certificateSerial)),
            signatures.map((x) => x.s.certificateIssuer),
            signatures.map((x) => x.s.signingTime),
            signatures.map((x) => x.s.timestampTime),
            signatures.map((x) => x.s.padesLevel),
          ],
          client,
        );
      }

      await this.addTermDocs(client, rows);
      const verified = inputs.flatMap((input, i) => (input.verification ? [{ input, verification: input.verification, ...results[i]! }] : []));
      for (const { input, verification, sheetId, revision } of verified) {
        const status = verification.isValid ? 'verified' : 'invalid';
        await this.query('UPDATE sheets SET status = $1, updated_at = $2 WHERE id = $3', [status, input.archivedAt, sheetId], client);
        await this.query('INSERT INTO verification_reports (sheet_id, revision, verified_at, is_valid, report) VALUES ($1, $2, $3, $4, $5)', [sheetId, revision, input.archivedAt, verification.isValid, JSON.stringify(verification.report)], client);
      }
      const events = inputs.flatMap((input, i) => {
        const own = input.events.map((event) => ({ ...event, sheetId: event.sheetId ?? results[i]!.sheetId }));
        return input.verification ? [...own, verifiedEventOf(input.verification, results[i]!.sheetId, results[i]!.revision, input.sha256)] : own;
      });
      await this.appendAuditInTransaction(client, events, inputs[0]!.archivedAt);
      const intents = inputs.flatMap((input) => (input.intent ? [input.intent] : []));
      if (intents.length > 0) {
        await this.query(
          'DELETE FROM ingest_intents WHERE (sha256, owner) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
          [intents.map((x) => x.sha256), intents.map((x) => x.owner)],
          client,
        );
      }
      return results;
    });
  }

  async findSheetIdByPublicCode(code: string): Promise<number | null> {
    const [row] = await this.query('SELECT id FROM sheets WHERE public_code = $1', [code]);
    return row ? num(row['id']) : null;
  }

  async getSheet(id: number): Promise<SheetDetail | null> {
    const [row] = await this.query('SELECT id, public_code, metadata, status, revision, sha256, size, signed_at, archived_at, updated_at FROM sheets WHERE id = $1', [id]);
    if (!row) return null;
    const revisionRows = await this.query('SELECT id, revision, sha256, size, archived_at FROM revisions WHERE sheet_id = $1 ORDER BY revision', [id]);
    const signatureRows = await this.query(
      'SELECT g.* FROM signatures g JOIN revisions r ON r.id = g.revision_id WHERE r.sheet_id = $1 ORDER BY g.revision_id, g.position',
      [id],
    );
    const revisions = revisionRows.map((r) => ({
      revision: num(r['revision']),
      sha256: String(r['sha256']),
      size: num(r['size']),
      archivedAt: formatVietnamTime(num(r['archived_at'])),
      signatures: signatureRows.filter((g) => num(g['revision_id']) === num(r['id'])).map(toSignature),
    }));
    const [verification] = await this.query(
      'SELECT revision, verified_at, is_valid, report FROM verification_reports WHERE sheet_id = $1 ORDER BY id DESC LIMIT 1',
      [id],
    );
    const record = toSheetRecord(toStored(row), revisions[revisions.length - 1]?.signatures ?? []);
    return {
      ...record,
      revisions,
      verification: verification
        ? {
            revision: num(verification['revision']),
            verifiedAt: formatVietnamTime(num(verification['verified_at'])),
            isValid: verification['is_valid'] === true,
            report: JSON.parse(String(verification['report'])) as unknown,
          }
        : null,
    };
  }

  async search(plan: SearchPlan): Promise<SheetRecord[]> {
    const rows = await runSearch<Row>(plan, {
      countTermDocs: async (terms) => this.countTermDocs(terms),
      walk: async (p, budget) => {
        const params: SqlParam[] = [];
        const found = await this.query(buildWindowSql(p, POSTGRES_DIALECT, params, budget), params);
        if (found.length >= pageSize(p)) return { rows: found, isComplete: true };
        const countParams: SqlParam[] = [];
        const [count] = await this.query(buildWalkCountSql(p, POSTGRES_DIALECT, countParams, budget), countParams);
        return { rows: found, isComplete: num(count?.['n']) < budget };
      },
      textFirst: async (p) => {
        const params: SqlParam[] = [];
        return this.query(buildTextFirstSql(p, POSTGRES_DIALECT, params), params);
      },
      // GIN returns a bitmap, never an order.
      isTextIndexOrdered: () => false,
    }, this.searchTuning);
    return rows.map((row) => toSheetRecord(toStored(row), ((row['signatures_json'] as Row[] | null) ?? []).map(toSignature)));
  }

  /** Sheet counts per term change slowly and only steer the plan: a minute-old count is good enough. */
  private async countTermDocs(terms: readonly string[]): Promise<{ total: number; docs: number[] }> {
    const key = terms.join(' ');
    const cached = this.termDocsCache.get(key);
    if (cached && Date.now() - cached.at < TERM_DOCS_TTL_MS) return cached.value;
    const value = await this.readTermDocs(terms);
    if (this.termDocsCache.size >= 10_000) this.termDocsCache.clear();
    this.termDocsCache.set(key, { at: Date.now(), value });
    return value;
  }

  private async readTermDocs(terms: readonly string[]): Promise<{ total: number; docs: number[] }> {
    const exact = terms.filter((t) => !t.endsWith('*'));
    const prefixes = terms.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
    const [row] = await this.query(
      `SELECT (SELECT coalesce(max(id), 0) FROM sheets) AS total,
              (SELECT coalesce(json_object_agg(term, docs), '{}') FROM search_terms WHERE term = ANY($1::text[])) AS exact,
              (SELECT coalesce(json_agg((SELECT coalesce(sum(docs), 0) FROM search_terms WHERE term >= p AND term < p || $3) ORDER BY o), '[]')
                 FROM unnest($2::text[]) WITH ORDINALITY AS u (p, o)) AS prefixed`,
      [exact, prefixes, '\u{10FFFF}'],
    );
    const exactDocs = (row?.['exact'] ?? {}) as Record<string, number | string>;
    const prefixDocs = (row?.['prefixed'] ?? []) as Array<number | string>;
    let prefixIndex = 0;
    const docs = terms.map((t) => (t.endsWith('*') ? num(prefixDocs[prefixIndex++] ?? 0) : num(exactDocs[t] ?? 0)));
    return { total: num(row?.['total']), docs };
  }

  private async addTermDocs(client: pg.PoolClient, rows: readonly SheetRow[]): Promise<void> {
    const counts = countTerms(rows);
    if (counts.length === 0) return;
    await this.query(
      `INSERT INTO search_terms (term, docs) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + excluded.docs`,
      [counts.map((c) => c[0]), counts.map((c) => c[1])],
      client,
    );
  }

  async updateMetadata(id: number, metadata: SheetMetadata, event: AuditEvent, at: number): Promise<void> {
    await this.transaction(async (client) => {
      await this.lockAuditHead(client);
      const signatures = (
        await this.query(
          `SELECT g.signer_name, g.organisation, g.signing_time FROM signatures g JOIN revisions r ON r.id = g.revision_id
           JOIN sheets s ON s.id = r.sheet_id AND s.revision = r.revision WHERE s.id = $1 ORDER BY g.position`,
          [id],
          client,
        )
      ).map((r) => ({ signerName: (r['signer_name'] as string | null) ?? null, organisation: (r['organisation'] as string | null) ?? null, signingTime: numOrNull(r['signing_time']) }));
      const row = deriveSheetRow(metadata, signatures);
      const updated = await this.query(
        `UPDATE sheets SET sheet_key = $1, dossier_key = $2, procedure_code = $3, document_kind = $4, commune_key = $5, sheet_number_key = $6,
           grid_key = $7, metadata = $8, updated_at = $9, search_tsv = ${TSV('$10')}, signer_tsv = ${TSV('$11')} WHERE id = $12 RETURNING id`,
        [row.sheetKey, row.dossierKey, row.procedureCode, row.documentKind, row.communeKey, row.sheetNumberKey, row.gridKey, row.metadataJson, at,
          row.allText, row.signerText, id],
        client,
      );
      if (updated.length !== 1) throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${id}`, { details: { sheetId: id } });
      await this.query('DELETE FROM sheet_parcels WHERE sheet_id = $1', [id], client);
      await this.writeParcels(client, [{ sheetId: id, row }]);
      await this.addTermDocs(client, [row]);
      await this.appendAuditInTransaction(client, [{ ...event, sheetId: id }], at);
    });
  }

  async recordVerification(id: number, revision: number, isValid: boolean, report: unknown, event: AuditEvent, at: number): Promise<void> {
    await this.transaction(async (client) => {
      await this.lockAuditHead(client);
      const updated = await this.query('UPDATE sheets SET status = $1, updated_at = $2 WHERE id = $3 RETURNING id', [isValid ? 'verified' : 'invalid', at, id], client);
      if (updated.length !== 1) throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${id}`, { details: { sheetId: id } });
      await this.query('INSERT INTO verification_reports (sheet_id, revision, verified_at, is_valid, report) VALUES ($1, $2, $3, $4, $5)', [id, revision, at, isValid, JSON.stringify(report)], client);
      await this.appendAuditInTransaction(client, [{ ...event, sheetId: id }], at);
    });
  }

  appendAudit(events: readonly AuditEvent[], at: number): Promise<AuditEntry[]> {
    return this.transaction((client) => this.appendAuditInTransaction(client, events, at));
  }

  async readAudit(afterSeq: number, limit: number, sheetId?: number): Promise<AuditEntry[]> {
    const rows =
      sheetId === undefined
        ? await this.query('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])
        : await this.query('SELECT * FROM audit_log WHERE sheet_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [sheetId, afterSeq, limit]);
    return rows.map(toAuditEntry);
  }

  async auditHead(): Promise<AuditHead> {
    const [row] = await this.query('SELECT seq, hash FROM audit_head WHERE id = 1');
    return { seq: num(row!['seq']), hash: String(row!['hash']) };
  }

  async addIntent(intent: IngestIntent): Promise<void> {
    await this.query('INSERT INTO ingest_intents (sha256, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [intent.sha256, intent.owner, intent.createdAt]);
  }

  async removeIntent(sha256: string, owner: string): Promise<void> {
    await this.query('DELETE FROM ingest_intents WHERE sha256 = $1 AND owner = $2', [sha256, owner]);
  }

  async listIntents(): Promise<IngestIntent[]> {
    const rows = await this.query('SELECT sha256, owner, created_at FROM ingest_intents ORDER BY created_at, sha256');
    return rows.map((r) => ({ sha256: String(r['sha256']), owner: String(r['owner']), createdAt: num(r['created_at']) }));
  }

  async listRevisionBlobs(afterSha256: string, limit: number): Promise<RevisionBlob[]> {
    const rows = await this.query('SELECT sha256, size, sheet_id, revision FROM revisions WHERE sha256 > $1 ORDER BY sha256 LIMIT $2', [afterSha256, limit]);
    return rows.map((r) => ({ sha256: String(r['sha256']), size: num(r['size']), sheetId: num(r['sheet_id']), revision: num(r['revision']) }));
  }

  async checkIntegrity(): Promise<string[]> {
    const rows = await this.query(
      'SELECT s.id FROM sheets s LEFT JOIN revisions r ON r.sheet_id = s.id AND r.revision = s.revision WHERE r.id IS NULL OR r.sha256 <> s.sha256 LIMIT 20',
    );
    const uncoded = await this.query("SELECT id FROM sheets WHERE public_code IS NULL OR public_code = '' LIMIT 20");
    return [
      ...rows.map((r) => `sheet ${num(r['id'])}: its current revision is not recorded`),
      ...uncoded.map((r) => `sheet ${num(r['id'])}: it has no public code (its QR code and /v/ link cannot name it)`),
    ];
  }

  async counts(): Promise<CatalogCounts> {
    const [row] = await this.query(
      `SELECT (SELECT count(*) FROM sheets) AS sheets, (SELECT count(*) FROM revisions) AS revisions,
              (SELECT count(*) FROM signatures) AS signatures, (SELECT count(*) FROM audit_log) AS audit`,
    );
    return { sheets: num(row!['sheets']), revisions: num(row!['revisions']), signatures: num(row!['signatures']), auditEntries: num(row!['audit']) };
  }

  async optimize(): Promise<void> {
    await this.query('VACUUM (ANALYZE) sheets, sheet_parcels, revisions, signatures');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connects to PostgreSQL, creates the schema when missing and runs the migrations there.
 *
 * @throws MapsignError `CATALOG_UNAVAILABLE` when the server cannot be reached,
 *   `CONFIG_INVALID` for a bad schema name, a missing database, refused credentials, or a
 *   schema newer than this code.
 */
export async function openPostgresCatalog(options: OpenPostgresCatalogOptions): Promise<PostgresCatalog> {
  const schema = options.schema ?? 'mapsign';
  const pool = await openPostgresPool({ connectionString: options.connectionString, schema, maxConnections: options.maxConnections, migrations: CATALOG_SET });
  return new PostgresCatalog(pool, schema);
}
