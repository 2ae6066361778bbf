// The `request` part of POST /v1/sign-requests, checked by hand (it arrives inside multipart, so
// Fastify's validator never sees it): signatures in order, sheets as uploaded parts with their
// metadata or as references to archived sheets, and the callback URL (refused at once when its
// host is an IP literal the callback policy refuses; host names are checked at delivery).

import { createHash } from 'node:crypto';
import { validateSheetMetadata, type SheetMetadata } from '../archive/index.js';
import { MapsignError, isMapsignError } from '../errors.js';
import { CallbackPolicy, STAMP_CORNER_NAMES, type SignatureSpec, type StampBox, type StampCornerName, type StampSpec } from '../queue/index.js';
import { PART_NAME } from './upload.js';

export type SheetInput = { part: string; metadata: SheetMetadata } | { sheetId: number };

export interface SignRequestBody {
  signatures: SignatureSpec[];
  sheets: SheetInput[];
  callbackUrl: string | null;
}

const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SIGNER = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_SIGNATURES = 10;

function usage(message: string, details?: Record<string, string | number | string[]>): MapsignError {
  return new MapsignError('USAGE_INVALID', `request part: ${message}`, { details });
}

/** The policy when none is given: public addresses only. */
const DEFAULT_CALLBACK_POLICY = new CallbackPolicy();

/**
 * Whether the callback URL is acceptable: http(s), no credentials, at most 2048 characters, and
 * not an address the callback policy refuses (loopback, private, link-local, …).
 */
function checkCallbackUrl(value: unknown, policy: CallbackPolicy): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > 2048) throw usage('callbackUrl must be a URL of at most 2048 characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`callbackUrl ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usage('callbackUrl must be http or https');
  if (url.username || url.password) throw usage('callbackUrl must not carry credentials');
  policy.checkUrl(url);
  return url.toString();
}

const TEMPLATE = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Millimetres: an A0 roll may be metres long, but not kilometres. */
const MAX_BOX_MM = 100_000;

function parseBox(value: unknown, where: string): StampBox {
  const numbers = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? [(value as Record<string, unknown>)['x'], (value as Record<string, unknown>)['y'], (value as Record<string, unknown>)['width'], (value as Record<string, unknown>)['height']]
      : [];
  const isObjectOk = Array.isArray(value) || Object.keys(value as object).every((k) => ['x', 'y', 'width', 'height'].includes(k));
  if (numbers.length !== 4 || !isObjectOk || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n) && n <= MAX_BOX_MM)) {
    throw usage(`${where} must be [x, y, width, height] (or {x, y, width, height}) in millimetres`);
  }
  const [x, y, width, height] = numbers as [number, number, number, number];
  if (x < 0 || y < 0 || width <= 0 || height <= 0) throw usage(`${where}: x and y must be ≥ 0, width and height > 0`);
  return { x, y, width, height };
}

/**
 * A signature's `stamp`: `template` (default: the template named like the role, if any, else the
 * templates' defaults), `box` and `corner` over the template's as `mapsign sign --box/--corner`
 * mean them, and `qr` (default: whether the service has a public URL).
 *
 * @throws MapsignError `USAGE_INVALID`, `STAMP_TEMPLATE_UNKNOWN`
 */
function parseStamp(value: unknown, role: string, where: string, options: ParseSignRequestOptions): StampSpec {
  if (typeof value !== 'object' || Array.isArray(value)) throw usage(`${where} must be an object such as {"template": "so-nnmt", "corner": "br"}`);
  const stamp = value as Record<string, unknown>;
  for (const key of Object.keys(stamp)) if (!['template', 'box', 'corner', 'qr'].includes(key)) throw usage(`${where}: unknown field ${JSON.stringify(key)}`);
  const known = options.stampTemplates ?? [];
  let template: string | null;
  if (stamp['template'] === undefined || stamp['template'] === null) {
    template = known.includes(role) ? role : null;
  } else {
    const name = stamp['template'];
    if (typeof name !== 'string' || !TEMPLATE.test(name) || !known.includes(name)) {
      throw new MapsignError('STAMP_TEMPLATE_UNKNOWN', `${where}.template: no stamp template ${JSON.stringify(name)}; known: ${known.join(', ') || 'none'}`, {
        details: { template: typeof name === 'string' ? name : JSON.stringify(name), known: [...known] },
      });
    }
    template = name;
  }
  const corner = stamp['corner'];
  if (corner !== undefined && corner !== null && !(STAMP_CORNER_NAMES as readonly unknown[]).includes(corner)) throw usage(`${where}.corner must be one of ${STAMP_CORNER_NAMES.join(', ')}`);
  const qr = stamp['qr'];
  if (qr !== undefined && qr !== null && typeof qr !== 'boolean') throw usage(`${where}.qr must be true or false`);
  if (qr === true && !options.hasPublicUrl) throw usage(`${where}.qr: this service has no public URL (MAPSIGN_PUBLIC_URL) for the QR code to name`);
  return {
    template,
    box: stamp['box'] === undefined || stamp['box'] === null ? null : parseBox(stamp['box'], `${where}.box`),
    corner: (corner as StampCornerName | undefined) ?? null,
    qr: typeof qr === 'boolean' ? qr : options.hasPublicUrl === true,
  };
}

export interface ParseSignRequestOptions {
  /** The server-side keys configured. */
  signerNames: readonly string[];
  /** Names of the stamp templates loaded (config/stamp-templates.json); absent: none, so a stamp is refused. */
  stampTemplates?: readonly string[];
  /** Whether MAPSIGN_PUBLIC_URL is set: stamps then carry a QR code unless `qr` is false. */
  hasPublicUrl?: boolean;
  maxSheets: number;
  /** Where callbacks may go (MAPSIGN_CALLBACK_ALLOW); absent: public addresses only. */
  callbackPolicy?: CallbackPolicy;
}

/**
 * Parses and checks the request JSON.
 *
 * @throws MapsignError `USAGE_INVALID`, `ARCHIVE_METADATA_INVALID` (with the sheet's index), `SIGNER_UNKNOWN`, `STAMP_TEMPLATE_UNKNOWN`, `CALLBACK_URL_REFUSED`
 */
export function parseSignRequestBody(text: string, options: ParseSignRequestOptions): SignRequestBody {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw usage(`not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw usage('must be a JSON object');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!['signatures', 'sheets', 'callbackUrl'].includes(key)) throw usage(`unknown field ${JSON.stringify(key)}`);
  const signaturesRaw = body['signatures'];
  if (!Array.isArray(signaturesRaw) || signaturesRaw.length === 0 || signaturesRaw.length > MAX_SIGNATURES) throw usage(`signatures must list 1 to ${MAX_SIGNATURES} signatures in signing order`);
  const signatures: SignatureSpec[] = signaturesRaw.map((item: unknown, index) => {
    const entry = item as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw usage(`signatures[${index}] must be an object`);
    for (const key of Object.keys(entry)) if (key !== 'role' && key !== 'signer' && key !== 'stamp') throw usage(`signatures[${index}]: unknown field ${JSON.stringify(key)}`);
    if (typeof entry['role'] !== 'string' || !ROLE.test(entry['role'])) throw usage(`signatures[${index}].role must be a role name such as "department"`);
    const signer = entry['signer'];
    if (signer !== undefined && signer !== null) {
      if (typeof signer !== 'string' || !SIGNER.test(signer)) throw usage(`signatures[${index}].signer must be the name of a server-side key`);
      if (!options.signerNames.includes(signer)) {
        throw new MapsignError('SIGNER_UNKNOWN', `no server-side key named ${JSON.stringify(signer)}; configured: ${options.signerNames.join(', ') || 'none'}`, { details: { signer, index } });
      }
    }
    const stamp = entry['stamp'] === undefined || entry['stamp'] === null ? undefined : parseStamp(entry['stamp'], entry['role'], `signatures[${index}].stamp`, options);
    return { role: entry['role'], signer: typeof signer === 'string' ? signer : null, ...(stamp ? { stamp } : {}) };
  });
  const sheetsRaw = body['sheets'];
  if (!Array.isArray(sheetsRaw) || sheetsRaw.length === 0 || sheetsRaw.length > options.maxSheets) throw usage(`sheets must list 1 to ${options.maxSheets} sheets`);
  const parts = new Set<string>();
  const referenced = new Set<number>();
  const sheets: SheetInput[] = sheetsRaw.map((item: unknown, index) => {
    const entry = item as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw usage(`sheets[${index}] must be an object`);
    if (entry['sheetId'] !== undefined) {
      if (Object.keys(entry).some((k) => k !== 'sheetId')) throw usage(`sheets[${index}]: a reference to an archived sheet has only sheetId`);
      const id = entry['sheetId'];
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw usage(`sheets[${index}].sheetId must be an archived sheet's id`);
      if (referenced.has(id)) throw usage(`sheets[${index}]: sheet ${id} is named twice`);
      referenced.add(id);
      return { sheetId: id };
    }
    for (const key of Object.keys(entry)) if (key !== 'part' && key !== 'metadata') throw usage(`sheets[${index}]: unknown field ${JSON.stringify(key)}`);
    const part = entry['part'];
    if (typeof part !== 'string' || !PART_NAME.test(part)) throw usage(`sheets[${index}].part must name a file part of this upload`);
    if (parts.has(part)) throw usage(`sheets[${index}]: part ${part} is named twice`);
    parts.add(part);
    try {
      return { part, metadata: validateSheetMetadata(entry['metadata']) };
    } catch (error) {
      if (isMapsignError(error, 'ARCHIVE_METADATA_INVALID')) {
        throw new MapsignError('ARCHIVE_METADATA_INVALID', `sheets[${index}] (${part}): ${error.message}`, { details: { ...error.details, sheet: index, part } });
      }
      throw error;
    }
  });
  return { signatures, sheets, callbackUrl: checkCallbackUrl(body['callbackUrl'], options.callbackPolicy ?? DEFAULT_CALLBACK_POLICY) };
}

/** JSON with object keys sorted, so the same content hashes the same whatever its formatting. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The hash that decides "same body" for an idempotency key: the request JSON (canonical) and each part's name and file hash. */
export function hashSignRequestBody(text: string, files: ReadonlyArray<{ part: string; sha256: string }>): string {
  const parts = [...files].map((f) => [f.part, f.sha256]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return createHash('sha256').update(JSON.stringify({ request: canonical(JSON.parse(text)), files: parts })).digest('hex');
}
