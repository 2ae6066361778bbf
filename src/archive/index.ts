// Public surface of the archive: the blob store, the catalog (SQLite embedded, PostgreSQL at
// scale), search over folded Vietnamese text, and the hash-chained audit log. Imports nothing of
// ours but types (and errors.ts): signature facts come from a reader the caller passes in.

/** The archive service: add, open and save files, search, metadata, verification reports, audit, check. */
export { Archive } from './archive.js';
export type {
  AddSheetOptions,
  AddSheetResult,
  ArchiveOptions,
  OpenFileOptions,
  OpenFileResult,
  RecordVerificationOptions,
  SaveFileOptions,
} from './archive.js';

/** Opens the archive from options and the environment (MAPSIGN_DATA_DIR, DATABASE_URL, …), migrating and recovering. */
export { openArchive } from './open-archive.js';
export type { OpenArchiveOptions } from './open-archive.js';

/** Reads MAPSIGN_DATA_DIR, DATABASE_URL, MAPSIGN_PG_SCHEMA and MAPSIGN_MAX_BLOB_BYTES. */
export { archiveConfigFromEnv, DEFAULT_MAX_BLOB_BYTES } from './config.js';
export type { ArchiveConfig } from './config.js';

/** The content-addressed blob store interface and its file-system implementation. */
export { FsBlobStore, isProcessAlive, isSha256Hex, openFsBlobStore, toStorageError } from './blob-store.js';
export type { AdoptBlobOptions, BlobInfo, BlobRange, BlobStore, FsBlobStoreOptions, PutBlobOptions, PutBlobResult, StagedBlob, TemporaryFileInfo } from './blob-store.js';

/** The catalog interface and both implementations. */
export type { Catalog, CatalogCounts, CommitSheetInput, CommitSheetResult, ExistingSheet, IngestIntent, RevisionBlob } from './catalog.js';
export { openSqliteCatalog, SqliteCatalog } from './sqlite/sqlite-catalog.js';
export { WalSync } from './sqlite/wal-sync.js';
export type { OpenSqliteCatalogOptions } from './sqlite/sqlite-catalog.js';
export { openPostgresCatalog, PostgresCatalog } from './postgres/postgres-catalog.js';
export type { OpenPostgresCatalogOptions } from './postgres/postgres-catalog.js';
/** A migrated pool in the catalog's schema for other modules' tables (pg stays here), and its transactions and errors. */
export { openPostgresPool, withPostgresTransaction } from './postgres/postgres-pool.js';
export type { OpenPostgresPoolOptions } from './postgres/postgres-pool.js';
export type { PostgresMigration, PostgresMigrationSet } from './postgres/postgres-migrate.js';
export { translatePgError } from './postgres/postgres-errors.js';
export { LATEST_VERSION as CATALOG_SCHEMA_VERSION } from './migrations/index.js';
export type { SignatureInput } from './rows.js';
export { DEFAULT_SEARCH_TUNING } from './search-sql.js';
export type { SearchTuning } from './search-sql.js';

/** Random public codes of sheets (the QR code's target, `/v/<code>`). */
export { newPublicCode, normalizePublicCode, PUBLIC_CODE_LENGTH } from './public-code.js';

/** Folding of Vietnamese text (NFC, no combining marks, đ → d, lower case) and search tokens. */
export { communeKey, foldVietnamese, tokenize } from './fold.js';

/** Search: parsing of what users type into exact keys and folded terms, filters, sort, cursor. */
export { DEFAULT_SEARCH_LIMIT, finishPage, MAX_SEARCH_LIMIT, parseSearchText, planSearch, SEARCH_SORTS } from './search.js';
export type { SearchOrder, SearchPlan, SearchPosition, SearchQuery, SearchResult, SearchSort } from './search.js';

/** The metadata contract. */
export { isDossierCode, validateSheetMetadata } from './metadata.js';

/** Signer roles per procedure (unconfirmed in DOMAIN.md, so configurable). */
export { DEFAULT_ROLE_TEMPLATES } from './facts.js';
export type { RoleTemplates } from './facts.js';

/** The audit chain. */
export { GENESIS_HASH, hashAuditEntry, verifyAuditChain } from './audit.js';
export type { AuditHead, AuditProblem, AuditProblemKind, AuditVerifyResult } from './audit.js';

/** Catalog and blob store agreement. */
export type { ArchiveCheckOptions, ArchiveCheckResult, ArchiveProblem, ArchiveProblemKind, RecoveryResult } from './consistency.js';

/** Shapes of archived sheets. */
export { AUDIT_KINDS, DOCUMENT_KIND_LABELS, DOCUMENT_KINDS, PADES_LEVELS, PAPER_SIZES, SHEET_STATUSES } from './types.js';
export type {
  AuditEntry,
  AuditEvent,
  AuditKind,
  DocumentKind,
  PadesLevel,
  PaperSize,
  ReadSignatureFacts,
  RevisionRecord,
  SheetDetail,
  SheetMetadata,
  SheetRecord,
  SheetStatus,
  SignatureFacts,
  SignatureRecord,
  VerificationRecord,
} from './types.js';
