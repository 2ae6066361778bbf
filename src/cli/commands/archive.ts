// `mapsign archive add|get|show|check`: the archive of signed sheets. The signature facts come
// from the file (pdf/ for the signature dictionaries, cms/ for the CMS and its timestamp, pki/
// for the certificate), read here because the archive module imports nothing of ours but types.

import { open, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openArchive, type Archive, type ArchiveCheckResult, type PadesLevel, type SignatureFacts } from '../../archive/index.js';
import { parseSignedData, readSignatureTimeStampTokens, readTimeStampToken, SIGNATURE_TIME_STAMP_OID } from '../../cms/index.js';
import { MapsignError, fromSystemError } from '../../errors.js';
import { inspectPdf, PdfReader } from '../../pdf/index.js';
import { describeCertificate } from '../../pki/index.js';
import { formatBytes } from '../output.js';

/** /Contents of a signature larger than this is not a signature we can read. */
const MAX_CONTENTS_HEX = 4 * 1024 * 1024;
const PDF_DATE = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?|[+-]\d{2})?/;

/** A PDF date (ISO 32000-1 §7.9.4) as ISO 8601, e.g. D:20260715093210+07'00' → 2026-07-15T09:32:10+07:00. */
export function parsePdfDate(value: string | null): string | null {
  const match = value === null ? null : PDF_DATE.exec(value);
  if (!match) return null;
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00', zone] = match;
  let offset = 'Z';
  if (zone && zone !== 'Z') {
    const digits = zone.replace(/'/g, '');
    offset = `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
  }
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`;
  return Number.isNaN(Date.parse(iso)) ? null : iso;
}

async function readContents(path: string, byteRange: number[] | null, field: string): Promise<Buffer> {
  if (byteRange === null || byteRange.length !== 4) throw new MapsignError('PDF_MALFORMED', `signature ${field} has no usable /ByteRange`, { details: { field } });
  const [, gapStart, gapEnd] = byteRange as [number, number, number, number];
  const hexLength = gapEnd - gapStart - 2;
  if (hexLength <= 0 || hexLength > MAX_CONTENTS_HEX) throw new MapsignError('PDF_MALFORMED', `signature ${field} has a /Contents of ${hexLength} hex digits`, { details: { field } });
  const handle = await open(path, 'r');
  try {
    const hex = Buffer.alloc(hexLength);
    await handle.read(hex, 0, hexLength, gapStart + 1);
    const text = hex.toString('latin1');
    if (!/^[0-9A-Fa-f]*$/.test(text)) throw new MapsignError('PDF_MALFORMED', `signature ${field}: /Contents is not a hex string`, { details: { field } });
    return Buffer.from(text, 'hex');
  } finally {
    await handle.close();
  }
}

async function hasDss(path: string): Promise<boolean> {
  const reader = await PdfReader.open(path);
  try {
    return (await reader.catalog()).get('DSS') !== undefined;
  } finally {
    await reader.close();
  }
}

/**
 * Reads the facts of every signature of a PDF, oldest first: signer name (CN) and organisation
 * (O), serial and issuer of the signer certificate, /M, the signature timestamp's genTime and
 * the PAdES level (B-T with a signature timestamp; B-LT when the document also has /DSS; B-LTA
 * when a document timestamp follows). Document timestamps themselves are not signers.
 */
export async function readSignatureFacts(path: string): Promise<SignatureFacts[]> {
  const info = await inspectPdf(path);
  const isDocumentTimestamp = info.signatures.map((s) => s.subFilter === 'ETSI.RFC3161');
  // Only a signature with a timestamp can be B-LT or more: the catalog is read for /DSS then only.
  let documentHasDss: boolean | undefined;
  const facts: SignatureFacts[] = [];
  for (const [index, signature] of info.signatures.entries()) {
    if (isDocumentTimestamp[index]) continue;
    const contents = await readContents(path, signature.byteRange, signature.field);
    const cms = parseSignedData(contents);
    const signerDer = cms.signerCertificate ?? cms.certificates[0];
    if (!signerDer) throw new MapsignError('CMS_MALFORMED', `signature ${signature.field} carries no signer certificate`, { details: { field: signature.field } });
    const certificate = describeCertificate(signerDer);
    let timestampTime: string | null = null;
    let level: PadesLevel = 'B-B';
    if (cms.unsignedAttributeOids.includes(SIGNATURE_TIME_STAMP_OID)) {
      const [token] = readSignatureTimeStampTokens(contents);
      timestampTime = token ? readTimeStampToken(token).genTime.toISOString() : null;
      level = 'B-T';
      documentHasDss ??= await hasDss(path);
      if (documentHasDss) level = isDocumentTimestamp.slice(index + 1).some(Boolean) ? 'B-LTA' : 'B-LT';
    }
    facts.push({
      fieldName: signature.field,
      signerName: certificate.commonName ?? null,
      organisation: certificate.organization ?? null,
      certificateSerial: certificate.serialNumber,
      certificateIssuer: certificate.issuer,
      signingTime: parsePdfDate(signature.signingTime),
      timestampTime,
      padesLevel: level,
      reason: signature.reason,
    });
  }
  return facts;
}

/** Who the audit log names: --actor, MAPSIGN_ACTOR, or the user running the command. */
export function resolveActor(actor: string | undefined): string {
  if (actor?.trim()) return actor.trim();
  if (process.env['MAPSIGN_ACTOR']?.trim()) return process.env['MAPSIGN_ACTOR'].trim();
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Opens the archive from the environment, runs `work`, and closes it. */
export async function withArchive<T>(work: (archive: Archive) => Promise<T>): Promise<T> {
  const archive = await openArchive();
  try {
    return await work(archive);
  } finally {
    await archive.close().catch(() => undefined);
  }
}

async function readMetadata(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw fromSystemError(error, path);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MapsignError('ARCHIVE_METADATA_INVALID', `${path} is not JSON: ${(error as Error).message}`, { details: { problems: ['not JSON'] } });
  }
}

function parseRevision(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new MapsignError('USAGE_INVALID', `--revision must be a revision number from 1, not "${value}"`);
  return Number(value);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify({ ok: true, ...(value as object) }, null, 2)}\n`);
}

function describeCheck(result: ArchiveCheckResult): string {
  const lines = [`checked ${result.revisions} revision(s) against ${result.blobs} blob(s); ${result.inFlight} ingest(s) in flight`];
  if (result.repaired) {
    const r = result.repaired;
    lines.push(`repaired: ${r.temporaryFilesRemoved} temporary file(s) removed, ${r.ingestsRolledBack} interrupted ingest(s) rolled back, ${r.blobsRemoved} blob(s) removed`);
  }
  for (const problem of result.problems) lines.push(`  ${problem.kind}: ${problem.message}`);
  lines.push(result.isConsistent ? 'the catalog and the blob store agree' : `${result.problems.length} disagreement(s)`);
  return lines.join('\n');
}

export function registerArchive(program: Command): void {
  const archive = program.command('archive').description('archive signed sheets and get them back (MAPSIGN_DATA_DIR, DATABASE_URL)');

  archive
    .command('add')
    .description('archive a signed sheet with its metadata (a later signing step of the same sheet becomes its next revision)')
    .argument('<file>', 'the signed PDF')
    .requiredOption('--meta <file>', 'the sheet metadata, JSON (see docs/archive.md)')
    .option('--actor <name>', 'who archives it, for the audit log')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { meta: string; actor?: string; json?: boolean }) => {
      const metadata = await readMetadata(options.meta);
      const result = await withArchive((a) => a.add({ file, metadata, readSignatures: readSignatureFacts, actor: resolveActor(options.actor) }));
      if (options.json) return printJson(result);
      const lines = [
        `archived ${file} as sheet ${result.sheetId} revision ${result.revision}${result.isNewSheet ? ' (new sheet)' : ''}`,
        `  sha256      ${result.sha256}`,
        `  size        ${formatBytes(result.size)}`,
        `  public code ${result.publicCode} (its verification page: <public URL>/v/${result.publicCode})`,
        ...result.signatures.map((s) => `  signature ${s.position}: ${s.signerName ?? '?'}${s.organisation ? ` (${s.organisation})` : ''}, ${s.signingTime ?? 'no time'}, PAdES ${s.padesLevel}`),
      ];
      if (result.changedFields.length > 0) lines.push(`  metadata changed: ${result.changedFields.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  archive
    .command('get')
    .description('write an archived file (by sheet id or SHA-256) to a file, checking its hash')
    .argument('<id>', 'sheet id, or the SHA-256 of an archived file')
    .requiredOption('-o, --output <file>', 'where to write it')
    .option('--revision <n>', 'revision of the sheet (default: the latest)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--actor <name>', 'who downloads it, for the audit log')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, options: { output: string; revision?: string; force?: boolean; actor?: string; json?: boolean }) => {
      const revision = parseRevision(options.revision);
      const result = await withArchive((a) => a.saveFile(id, options.output, { revision, overwrite: options.force === true, actor: resolveActor(options.actor) }));
      if (options.json) return printJson(result);
      process.stdout.write(`sheet ${result.sheetId} revision ${result.revision} -> ${result.output} (${formatBytes(result.size)}, sha256 ${result.sha256})\n`);
    });

  archive
    .command('show')
    .description('show an archived sheet: metadata, revisions, signatures, verification')
    .argument('<id>', 'sheet id')
    .option('--json', 'print the sheet as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!/^[1-9]\d{0,15}$/.test(id)) throw new MapsignError('USAGE_INVALID', `a sheet id is a number, not "${id}"`);
      const sheet = await withArchive((a) => a.getSheet(Number(id)));
      if (options.json) return printJson({ sheet });
      const m = sheet.metadata;
      const lines = [
        `sheet ${sheet.id}: ${m.documentKind}, tờ ${m.sheetNumber}${m.parcelNumbers.length > 0 ? `, thửa ${m.parcelNumbers.join(', ')}` : ''} — ${m.commune}, ${m.province}`,
        `  dossier ${m.dossierCode}, procedure ${m.procedureCode} ${m.procedureSuffix}, status ${sheet.status}`,
        `  public code ${sheet.publicCode}`,
        ...sheet.revisions.map((r) => `  revision ${r.revision}: ${r.sha256} ${formatBytes(r.size)}, ${r.signatures.length} signature(s), archived ${r.archivedAt}`),
        ...sheet.signatures.map((s) => `  signature ${s.position} ${s.role ?? ''}: ${s.signerName ?? '?'} (${s.organisation ?? '?'}), serial ${s.certificateSerial}, ${s.signingTime ?? ''} PAdES ${s.padesLevel}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  archive
    .command('check')
    .description('compare the catalog with the blob store and report every disagreement (exit 65 when there is one)')
    .option('--deep', 'also re-hash every stored file (reads the whole store)')
    .option('--repair', 'first roll back interrupted ingests and remove stale temporary files')
    .option('--json', 'print the result as JSON')
    .action(async (options: { deep?: boolean; repair?: boolean; json?: boolean }) => {
      const result = await withArchive((a) => a.check({ deep: options.deep === true, repair: options.repair === true }));
      if (!result.isConsistent) {
        if (!options.json) process.stderr.write(`${describeCheck(result)}\n`);
        throw new MapsignError('ARCHIVE_CORRUPT', `the catalog and the blob store disagree in ${result.problems.length} place(s)`, {
          details: { problems: result.problems.map((p) => `${p.kind}: ${p.message}`), revisions: result.revisions, blobs: result.blobs },
        });
      }
      if (options.json) return printJson(result);
      process.stdout.write(`${describeCheck(result)}\n`);
    });
}
