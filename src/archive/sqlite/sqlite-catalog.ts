// The embedded catalog: SQLite through better-sqlite3 in WAL mode, FTS5 over the folded tokens
// (contentless, `ascii` tokenizer so the index holds exactly our tokens). Calls are synchronous
// underneath; the async interface matches the PostgreSQL catalog.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MapsignError } from '../../errors.js';
import { chainAuditEvents, type AuditHead } from '../audit.js';
import { WalSync } from './wal-sync.js';
import { pageSize, verifiedEventOf, type Catalog, type CatalogCounts, type CommitSheetInput, type CommitSheetResult, type ExistingSheet, type IngestIntent, type RevisionBlob } from '../catalog.js';
import { LATEST_VERSION, MIGRATIONS, MIGRATIONS_TABLE_SQL, type MigrationBackfill } from '../migrations/index.js';
import { newPublicCode } from '../public-code.js';
import { countTerms, deriveSheetRow, formatVietnamTime, prefixUpperBound, serialKeyOf, toSheetRecord, type SheetRow } from '../rows.js';
import { buildTextFirstSql, buildWalkSql, DEFAULT_SEARCH_TUNING, hasOnlyText, hasTokens, runSearch, SHEET_COLUMNS, type SearchTuning, type SqlParam } from '../search-sql.js';
import type { SearchPlan } from '../search.js';
import type { AuditEntry, AuditEvent, SheetDetail, SheetMetadata, SheetRecord, SignatureRecord } from '../types.js';
import { translateSqliteError } from './sqlite-errors.js';
import { toAuditEntry, toSignature, toStored, type AuditRowDb, type SheetRowDb, type SignatureRowDb } from './sqlite-rows.js';
import { SQLITE_DIALECT, textParams } from './sqlite-search.js';

export interface OpenSqliteCatalogOptions {
  /** File of the database; ':memory:' for a throwaway one. */
  path: string;
  /** Each write is on disk before it resolves (default true); false may lose the last commits on power loss. */
  durable?: boolean;
}

/** Gives every row of the backfill's table whose column is NULL a new public code. */
function backfillSqlite(db: Database.Database, backfill: MigrationBackfill): void {
  const { table, key, column } = backfill;
  const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
  // Keys first: better-sqlite3 cannot write while a read of the same connection is open.
  const keys = db.prepare(`SELECT ${key} FROM ${table} WHERE ${column} IS NULL`).pluck().all() as number[];
  for (const k of keys) update.run(newPublicCode(), k);
}

function runMigrations(db: Database.Database): void {
  db.exec(MIGRATIONS_TABLE_SQL);
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...applied);
  if (newest > LATEST_VERSION) {
    throw new MapsignError('CONFIG_INVALID', `the catalog has schema version ${newest}, newer than this mapsign knows (${LATEST_VERSION}); upgrade mapsign`);
  }
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      // Another process opening the same catalog may have applied it since the read above.
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version) !== undefined) return;
      db.exec(migration.sqlite);
      if (migration.backfill) backfillSqlite(db, migration.backfill);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}

export class SqliteCatalog implements Catalog {
  readonly backend = 'sqlite' as const;
  /** How searches choose between the text index and a walk of the sort order (never changes results). */
  searchTuning: SearchTuning = DEFAULT_SEARCH_TUNING;
  private readonly db: Database.Database;
  private readonly statements;
  private readonly searchStatements = new Map<string, Database.Statement>();

  constructor(
    db: Database.Database,
    /** Flushes the log after each write; null when the catalog was opened not durable (or in memory). */
    private readonly walSync: WalSync | null = null,
  ) {
    this.db = db;
    this.statements = {
      findRevision: db.prepare('SELECT sha256, size, sheet_id, revision FROM revisions WHERE sha256 = ?'),
      findSheetByKey: db.prepare(
        `SELECT s.id, s.revision, s.sha256, s.size, s.metadata, s.public_code, r.signature_count FROM sheets s
         JOIN revisions r ON r.sheet_id = s.id AND r.revision = s.revision WHERE s.sheet_key = ?`,
      ),
      insertSheet: db.prepare(
        `INSERT INTO sheets (sheet_key, dossier_key, procedure_code, document_kind, commune_key, sheet_number_key, grid_key, metadata,
           status, revision, sha256, size, signed_at, archived_at, updated_at, search_text, signer_text, public_code)
         VALUES (@sheetKey, @dossierKey, @procedureCode, @documentKind, @communeKey, @sheetNumberKey, @gridKey, @metadataJson,
           'archived', 1, @sha256, @size, @signedAt, @archivedAt, @archivedAt, @searchText, @signerTextPadded, @publicCode)`,
      ),
      advanceSheet: db.prepare(
        `UPDATE sheets SET sheet_key = @sheetKey, dossier_key = @dossierKey, procedure_code = @procedureCode, document_kind = @documentKind,
           commune_key = @communeKey, sheet_number_key = @sheetNumberKey, grid_key = @gridKey, metadata = @metadataJson,
           status = 'archived', revision = revision + 1, sha256 = @sha256, size = @size, signed_at = @signedAt, updated_at = @archivedAt,
           search_text = @searchText, signer_text = @signerTextPadded
         WHERE id = @id AND revision = @revision`,
      ),
      updateMetadata: db.prepare(
        `UPDATE sheets SET sheet_key = @sheetKey, dossier_key = @dossierKey, procedure_code = @procedureCode, document_kind = @documentKind,
           commune_key = @communeKey, sheet_number_key = @sheetNumberKey, grid_key = @gridKey, metadata = @metadataJson, updated_at = @at,
           search_text = @searchText, signer_text = @signerTextPadded
         WHERE id = @id`,
      ),
      deleteParcels: db.prepare('DELETE FROM sheet_parcels WHERE sheet_id = ?'),
      insertParcel: db.prepare('INSERT INTO sheet_parcels (kind, value, sheet_number_key, sheet_id) VALUES (?, ?, ?, ?)'),
      deleteSearch: db.prepare('DELETE FROM sheet_search WHERE rowid = ?'),
      insertSearch: db.prepare('INSERT INTO sheet_search (rowid, body, signers) VALUES (?, ?, ?)'),
      insertRevision: db.prepare(
        'INSERT INTO revisions (sheet_id, revision, sha256, size, signature_count, archived_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertSignature: db.prepare(
        `INSERT INTO signatures (revision_id, position, sheet_id, field_name, role, signer_name, organisation, certificate_serial, serial_key,
           certificate_issuer, signing_time, timestamp_time, pades_level) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      currentSignatures: db.prepare(
        `SELECT g.* FROM signatures g JOIN revisions r ON r.id = g.revision_id JOIN sheets s ON s.id = r.sheet_id AND s.revision = r.revision
         WHERE s.id = ? ORDER BY g.position`,
      ),
      sheetIdByPublicCode: db.prepare('SELECT id FROM sheets WHERE public_code = ?'),
      sheetById: db.prepare('SELECT id, public_code, metadata, status, revision, sha256, size, signed_at, archived_at, updated_at FROM sheets WHERE id = ?'),
      revisionsOf: db.prepare('SELECT id, revision, sha256, size, archived_at FROM revisions WHERE sheet_id = ? ORDER BY revision'),
      signaturesOfRevision: db.prepare('SELECT * FROM signatures WHERE revision_id = ? ORDER BY position'),
      latestVerification: db.prepare('SELECT revision, verified_at, is_valid, report FROM verification_reports WHERE sheet_id = ? ORDER BY id DESC LIMIT 1'),
      insertVerification: db.prepare('INSERT INTO verification_reports (sheet_id, revision, verified_at, is_valid, report) VALUES (?, ?, ?, ?, ?)'),
      setStatus: db.prepare('UPDATE sheets SET status = ?, updated_at = ? WHERE id = ?'),
      auditHead: db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1'),
      setAuditHead: db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1'),
      insertAudit: db.prepare(
        'INSERT INTO audit_log (seq, at, kind, sheet_id, sha256, actor, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      readAudit: db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
      readSheetAudit: db.prepare('SELECT * FROM audit_log WHERE sheet_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      addIntent: db.prepare('INSERT OR IGNORE INTO ingest_intents (sha256, owner, created_at) VALUES (?, ?, ?)'),
      removeIntent: db.prepare('DELETE FROM ingest_intents WHERE sha256 = ? AND owner = ?'),
      listIntents: db.prepare('SELECT sha256, owner, created_at FROM ingest_intents ORDER BY created_at, sha256'),
      addTermDocs: db.prepare('INSERT INTO search_terms (term, docs) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs'),
      termDocs: db.prepare('SELECT docs FROM search_terms WHERE term = ?'),
      prefixDocs: db.prepare('SELECT coalesce(sum(docs), 0) AS docs FROM search_terms WHERE term >= ? AND term < ?'),
      maxSheetId: db.prepare('SELECT coalesce(max(id), 0) AS n FROM sheets'),
      listRevisionBlobs: db.prepare('SELECT sha256, size, sheet_id, revision FROM revisions WHERE sha256 > ? ORDER BY sha256 LIMIT ?'),
    };
  }

  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(translateSqliteError(error));
    }
  }

  /** Runs a write and, in a durable catalog, resolves once its commit is on disk (see wal-sync.ts). */
  private async write<T>(work: () => T): Promise<T> {
    const result = await this.run(work);
    if (this.walSync) {
      await this.walSync.flush().catch((error: unknown) => {
        throw new MapsignError('CATALOG_UNAVAILABLE', `cannot flush the catalog's log: ${(error as Error).message}`, { cause: error });
      });
    }
    return result;
  }

  findRevision(sha256: string): Promise<RevisionBlob | null> {
    return this.run(() => {
      const row = this.statements.findRevision.get(sha256) as { sha256: string; size: number; sheet_id: number; revision: number } | undefined;
      return row ? { sha256: row.sha256, size: row.size, sheetId: row.sheet_id, revision: row.revision } : null;
    });
  }

  findSheetByKey(sheetKey: string): Promise<ExistingSheet | null> {
    return this.run(() => {
      const row = this.statements.findSheetByKey.get(sheetKey) as
        | { id: number; revision: number; sha256: string; size: number; metadata: string; public_code: string; signature_count: number }
        | undefined;
      if (!row) return null;
      return {
        id: row.id,
        publicCode: row.public_code,
        revision: row.revision,
        sha256: row.sha256,
        size: row.size,
        signatureCount: row.signature_count,
        metadata: JSON.parse(row.metadata) as SheetMetadata,
      };
    });
  }

  private writeSearchAndParcels(sheetId: number, row: ReturnType<typeof deriveSheetRow>, isNew: boolean): void {
    if (!isNew) {
      this.statements.deleteParcels.run(sheetId);
      this.statements.deleteSearch.run(sheetId);
    }
    for (const value of row.parcelNumberKeys) this.statements.insertParcel.run('number', value, row.sheetNumberKey, sheetId);
    for (const value of row.parcelIdKeys) this.statements.insertParcel.run('id', value, row.sheetNumberKey, sheetId);
    this.statements.insertSearch.run(sheetId, row.bodyText, row.signerText);
  }

  private appendAuditInTransaction(events: readonly AuditEvent[], at: number): AuditEntry[] {
    const head = this.statements.auditHead.get() as AuditHead;
    const entries = chainAuditEvents(head, events, at);
    for (const e of entries) this.statements.insertAudit.run(e.seq, e.at, e.kind, e.sheetId, e.sha256, e.actor, e.details, e.prevHash, e.hash);
    const last = entries[entries.length - 1];
    if (last) this.statements.setAuditHead.run(last.seq, last.hash);
    return entries;
  }

  commitSheets(inputs: readonly CommitSheetInput[]): Promise<CommitSheetResult[]> {
    return this.write(() =>
      this.db
        .transaction(() => {
          const results: CommitSheetResult[] = [];
          const events: AuditEvent[] = [];
          const rows: SheetRow[] = [];
          for (const input of inputs) {
            const row = deriveSheetRow(input.metadata, input.signatures);
            rows.push(row);
            const params = { ...textParams(row), sha256: input.sha256, size: input.size, archivedAt: input.archivedAt };
            let sheetId: number;
            let revision: number;
            if (input.extends === null) {
              sheetId = Number(this.statements.insertSheet.run({ ...params, publicCode: input.publicCode ?? newPublicCode() }).lastInsertRowid);
              revision = 1;
            } else {
              const changes = this.statements.advanceSheet.run({ ...params, id: input.extends.sheetId, revision: input.extends.revision }).changes;
              if (changes !== 1) {
                throw new MapsignError('ARCHIVE_REVISION_CONFLICT', `sheet ${input.extends.sheetId} is no longer at revision ${input.extends.revision}`, {
                  details: { sheetId: input.extends.sheetId, revision: input.extends.revision },
                });
              }
              sheetId = input.extends.sheetId;
              revision = input.extends.revision + 1;
            }
            this.writeSearchAndParcels(sheetId, row, input.extends === null);
            const revisionId = Number(
              this.statements.insertRevision.run(sheetId, revision, input.sha256, input.size, input.signatures.length, input.archivedAt).lastInsertRowid,
            );
            for (const s of input.signatures) {
              this.statements.insertSignature.run(
                revisionId,
                s.position,
                sheetId,
                s.fieldName,
                s.role,
                s.signerName,
                s.organisation,
                s.certificateSerial,
                serialKeyOf(s.certificateSerial),
                s.certificateIssuer,
                s.signingTime,
                s.timestampTime,
                s.padesLevel,
              );
            }
            for (const event of input.events) events.push({ ...event, sheetId: event.sheetId ?? sheetId });
            if (input.verification) {
              const { isValid, report } = input.verification;
              this.statements.setStatus.run(isValid ? 'verified' : 'invalid', input.archivedAt, sheetId);
              this.statements.insertVerification.run(sheetId, revision, input.archivedAt, isValid ? 1 : 0, JSON.stringify(report));
              events.push(verifiedEventOf(input.verification, sheetId, revision, input.sha256));
            }
            if (input.intent) this.statements.removeIntent.run(input.intent.sha256, input.intent.owner);
            results.push({ sheetId, revision });
          }
          for (const [term, docs] of countTerms(rows)) this.statements.addTermDocs.run(term, docs);
          // One audit batch per transaction, all stamped with the first input's time.
          if (events.length > 0) this.appendAuditInTransaction(events, inputs[0]!.archivedAt);
          return results;
        })
        .immediate(),
    );
  }

  private signaturesOf(sheetIds: number[]): Map<number, SignatureRecord[]> {
    const result = new Map<number, SignatureRecord[]>();
    if (sheetIds.length === 0) return result;
    const rows = this.db
      .prepare(
        `SELECT g.* FROM signatures g JOIN revisions r ON r.id = g.revision_id JOIN sheets s ON s.id = r.sheet_id AND s.revision = r.revision
         WHERE s.id IN (${sheetIds.map(() => '?').join(', ')}) ORDER BY g.sheet_id, g.position`,
      )
      .all(...sheetIds) as SignatureRowDb[];
    for (const row of rows) {
      const list = result.get(row.sheet_id) ?? [];
      list.push(toSignature(row));
      result.set(row.sheet_id, list);
    }
    return result;
  }

  findSheetIdByPublicCode(code: string): Promise<number | null> {
    return this.run(() => (this.statements.sheetIdByPublicCode.get(code) as { id: number } | undefined)?.id ?? null);
  }

  getSheet(id: number): Promise<SheetDetail | null> {
    return this.run(() => {
      const row = this.statements.sheetById.get(id) as SheetRowDb | undefined;
      if (!row) return null;
      const revisions = (this.statements.revisionsOf.all(id) as Array<{ id: number; revision: number; sha256: string; size: number; archived_at: number }>).map((r) => ({
        revision: r.revision,
        sha256: r.sha256,
        size: r.size,
        archivedAt: formatVietnamTime(r.archived_at),
        signatures: (this.statements.signaturesOfRevision.all(r.id) as SignatureRowDb[]).map(toSignature),
      }));
      const verification = this.statements.latestVerification.get(id) as { revision: number; verified_at: number; is_valid: number; report: string } | undefined;
      const record = toSheetRecord(toStored(row), revisions[revisions.length - 1]?.signatures ?? []);
      return {
        ...record,
        revisions,
        verification: verification
          ? { revision: verification.revision, verifiedAt: formatVietnamTime(verification.verified_at), isValid: verification.is_valid === 1, report: JSON.parse(verification.report) as unknown }
          : null,
      };
    });
  }

  async search(plan: SearchPlan): Promise<SheetRecord[]> {
    const rows = await this.run(() => this.searchRows(plan));
    return this.run(() => {
      const signatures = this.signaturesOf(rows.map((r) => r.id));
      return rows.map((row) => toSheetRecord(toStored(row), signatures.get(row.id) ?? []));
    });
  }

  private searchRows(plan: SearchPlan): Promise<SheetRowDb[]> {
    const textFirst = (p: SearchPlan): SheetRowDb[] => {
      const params: SqlParam[] = [];
      return this.prepareCached(buildTextFirstSql(p, SQLITE_DIALECT, params)).all(...params) as SheetRowDb[];
    };
    return runSearch<SheetRowDb>(plan, {
      countTermDocs: async (terms) => ({ total: (this.statements.maxSheetId.get() as { n: number }).n, docs: terms.map((t) => this.termDocs(t)) }),
      walk: async (p, budget) => this.walk(p, budget),
      textFirst: async (p) => textFirst(p),
      // FTS5 yields rowids in order: with no other filter, ORDER BY rowid stops at a full page.
      // (A prefix term is not lazy in FTS5: its merged doclist is built whole first.)
      isTextIndexOrdered: (p) => p.sort === 'archived' && hasOnlyText(p) && ![...p.terms, ...p.signerTerms].some((t) => t.endsWith('*')),
    }, this.searchTuning);
  }

  private termDocs(term: string): number {
    if (term.endsWith('*')) {
      const prefix = term.slice(0, -1);
      return (this.statements.prefixDocs.get(prefix, prefixUpperBound(prefix)) as { docs: number }).docs;
    }
    return (this.statements.termDocs.get(term) as { docs: number } | undefined)?.docs ?? 0;
  }

  /**
   * Iterates the sort order lazily (ids and tokens only, as arrays) and checks the tokens in
   * memory, so a full page stops the walk; then reads the matched rows.
   */
  private walk(plan: SearchPlan, budget: number): { rows: SheetRowDb[]; isComplete: boolean } {
    const params: SqlParam[] = [];
    const statement = this.prepareCached(buildWalkSql(plan, SQLITE_DIALECT, params, budget, 's.id'));
    const ids: number[] = [];
    let seen = 0;
    let isComplete = false;
    try {
      for (const [id, searchText, signerText] of statement.raw(true).iterate(...params) as IterableIterator<[number, string, string]>) {
        seen++;
        if (!hasTokens(searchText, plan.terms) || !hasTokens(signerText, plan.signerTerms)) continue;
        ids.push(id);
        if (ids.length >= pageSize(plan)) {
          isComplete = true;
          break;
        }
      }
    } finally {
      statement.raw(false);
    }
    if (!isComplete) isComplete = seen < budget;
    const byId = new Map(
      (this.db.prepare(`SELECT ${SHEET_COLUMNS} FROM sheets s WHERE s.id IN (${ids.map(() => '?').join(', ')})`).all(...ids) as SheetRowDb[]).map((r) => [r.id, r]),
    );
    return { rows: ids.map((id) => byId.get(id)!), isComplete };
  }

  private prepareCached(sql: string): Database.Statement {
    let statement = this.searchStatements.get(sql);
    if (!statement) {
      if (this.searchStatements.size > 500) this.searchStatements.clear();
      statement = this.db.prepare(sql);
      this.searchStatements.set(sql, statement);
    }
    return statement;
  }

  updateMetadata(id: number, metadata: SheetMetadata, event: AuditEvent, at: number): Promise<void> {
    return this.write(() =>
      this.db
        .transaction(() => {
          const signatures = (this.statements.currentSignatures.all(id) as SignatureRowDb[]).map((r) => ({
            signerName: r.signer_name,
            organisation: r.organisation,
            signingTime: r.signing_time,
          }));
          const row = deriveSheetRow(metadata, signatures);
          const changes = this.statements.updateMetadata.run({ ...textParams(row), id, at }).changes;
          if (changes !== 1) throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${id}`, { details: { sheetId: id } });
          this.writeSearchAndParcels(id, row, false);
          for (const [term, docs] of countTerms([row])) this.statements.addTermDocs.run(term, docs);
          this.appendAuditInTransaction([{ ...event, sheetId: id }], at);
        })
        .immediate(),
    );
  }

  recordVerification(id: number, revision: number, isValid: boolean, report: unknown, event: AuditEvent, at: number): Promise<void> {
    return this.write(() =>
      this.db
        .transaction(() => {
          const changes = this.statements.setStatus.run(isValid ? 'verified' : 'invalid', at, id).changes;
          if (changes !== 1) throw new MapsignError('ARCHIVE_NOT_FOUND', `no sheet ${id}`, { details: { sheetId: id } });
          this.statements.insertVerification.run(id, revision, at, isValid ? 1 : 0, JSON.stringify(report));
          this.appendAuditInTransaction([{ ...event, sheetId: id }], at);
        })
        .immediate(),
    );
  }

  appendAudit(events: readonly AuditEvent[], at: number): Promise<AuditEntry[]> {
    return this.write(() => this.db.transaction(() => this.appendAuditInTransaction(events, at)).immediate());
  }

  readAudit(afterSeq: number, limit: number, sheetId?: number): Promise<AuditEntry[]> {
    return this.run(() =>
      ((sheetId === undefined ? this.statements.readAudit.all(afterSeq, limit) : this.statements.readSheetAudit.all(sheetId, afterSeq, limit)) as AuditRowDb[]).map(toAuditEntry),
    );
  }

  auditHead(): Promise<AuditHead> {
    return this.run(() => this.statements.auditHead.get() as AuditHead);
  }

  addIntent(intent: IngestIntent): Promise<void> {
    return this.write(() => {
      this.statements.addIntent.run(intent.sha256, intent.owner, intent.createdAt);
    });
  }

  removeIntent(sha256: string, owner: string): Promise<void> {
    return this.write(() => {
      this.statements.removeIntent.run(sha256, owner);
    });
  }

  listIntents(): Promise<IngestIntent[]> {
    return this.run(() =>
      (this.statements.listIntents.all() as Array<{ sha256: string; owner: string; created_at: number }>).map((r) => ({
        sha256: r.sha256,
        owner: r.owner,
        createdAt: r.created_at,
      })),
    );
  }

  listRevisionBlobs(afterSha256: string, limit: number): Promise<RevisionBlob[]> {
    return this.run(() =>
      (this.statements.listRevisionBlobs.all(afterSha256, limit) as Array<{ sha256: string; size: number; sheet_id: number; revision: number }>).map((r) => ({
        sha256: r.sha256,
        size: r.size,
        sheetId: r.sheet_id,
        revision: r.revision,
      })),
    );
  }

  checkIntegrity(): Promise<string[]> {
    return this.run(() => {
      const problems: string[] = [];
      const quick = this.db.pragma('quick_check', { simple: true });
      if (quick !== 'ok') problems.push(`SQLite quick_check: ${String(quick)}`);
      const orphans = this.db
        .prepare('SELECT s.id FROM sheets s LEFT JOIN revisions r ON r.sheet_id = s.id AND r.revision = s.revision WHERE r.id IS NULL OR r.sha256 <> s.sha256 LIMIT 20')
        .all() as Array<{ id: number }>;
      for (const { id } of orphans) problems.push(`sheet ${id}: its current revision is not recorded`);
      const uncoded = this.db.prepare("SELECT id FROM sheets WHERE public_code IS NULL OR public_code = '' LIMIT 20").all() as Array<{ id: number }>;
      for (const { id } of uncoded) problems.push(`sheet ${id}: it has no public code (its QR code and /v/ link cannot name it)`);
      const sheets = (this.db.prepare('SELECT count(*) AS n FROM sheets').get() as { n: number }).n;
      const indexed = (this.db.prepare('SELECT count(*) AS n FROM sheet_search').get() as { n: number }).n;
      if (sheets !== indexed) problems.push(`the search index holds ${indexed} sheets, the catalog ${sheets}`);
      return problems;
    });
  }

  counts(): Promise<CatalogCounts> {
    return this.run(() => {
      const count = (table: string): number => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { sheets: count('sheets'), revisions: count('revisions'), signatures: count('signatures'), auditEntries: count('audit_log') };
    });
  }

  optimize(): Promise<void> {
    return this.run(() => {
      this.db.exec("INSERT INTO sheet_search (sheet_search) VALUES ('optimize')");
      this.db.exec('ANALYZE');
    });
  }

  close(): Promise<void> {
    return this.run(() => {
      this.db.close();
    });
  }
}

/**
 * Opens (creating when needed) a SQLite catalog in WAL mode and runs the migrations.
 *
 * @throws MapsignError `CATALOG_UNAVAILABLE` when the file cannot be opened or is locked,
 *   `CONFIG_INVALID` when its schema is newer than this code.
 */
export function openSqliteCatalog(options: OpenSqliteCatalogOptions): Promise<SqliteCatalog> {
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL either way: a durable catalog flushes its log off the main thread (wal-sync.ts).
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      db.pragma('foreign_keys = ON');
      // A million sheets make indexes of a few hundred MB: a bigger page cache keeps inserts off the disk.
      db.pragma('cache_size = -65536');
      db.pragma('temp_store = MEMORY');
      runMigrations(db);
      const isDurable = options.durable !== false && options.path !== ':memory:';
      return Promise.resolve(new SqliteCatalog(db, isDurable ? new WalSync(options.path) : null));
    } catch (error) {
      db.close();
      throw error;
    }
  } catch (error) {
    return Promise.reject(translateSqliteError(error));
  }
}
