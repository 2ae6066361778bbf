// The signature dictionary with its /ByteRange and /Contents placeholders (ISO 32000-2 §12.8.1,
// ETSI EN 319 142-1 §5.3). /ByteRange numbers have a fixed width wide enough for any file size,
// so the layout of the increment never depends on the values patched in later.

import { MapsignError } from '../errors.js';
import { PdfString } from './objects.js';
import { serializeString } from './serialize.js';

/** Digits per /ByteRange number: 13 covers files up to about 9 TB, far past 2^31 and 4 GiB. */
export const BYTE_RANGE_DIGITS = 13;

export interface SignatureDictionaryOptions {
  type: 'Sig' | 'DocTimeStamp';
  subFilter: 'ETSI.CAdES.detached' | 'ETSI.RFC3161';
  /** Bytes reserved for the DER signature; /Contents holds twice as many hex digits. */
  reservedBytes: number;
  signingTime?: Date;
  /** Minutes east of UTC for /M; Vietnam time (+07:00) by default. */
  utcOffsetMinutes?: number;
  reason?: string;
  location?: string;
  contactInfo?: string;
  signerName?: string;
}

export interface SignatureDictionary {
  raw: Buffer;
  /** Offset within `raw` of the first /ByteRange number slot. */
  byteRangeOffset: number;
  /** Offset within `raw` of the '<' that opens /Contents. */
  contentsOffset: number;
  /** Bytes from '<' to '>' inclusive. */
  contentsLength: number;
}

/** PDF date (§7.9.4): D:YYYYMMDDHHmmSS+HH'mm' in the given offset. */
export function formatPdfDate(date: Date, utcOffsetMinutes = 7 * 60): string {
  const local = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const sign = utcOffsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(utcOffsetMinutes);
  return (
    `D:${pad(local.getUTCFullYear(), 4)}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}` +
    `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}'${pad(abs % 60)}'`
  );
}

const BYTE_RANGE_SLOT = `0 ${' '.repeat(BYTE_RANGE_DIGITS)} ${' '.repeat(BYTE_RANGE_DIGITS)} ${' '.repeat(BYTE_RANGE_DIGITS)}`;

export function buildSignatureDictionary(options: SignatureDictionaryOptions): SignatureDictionary {
  const lines = [`<</Type /${options.type}`, '/Filter /Adobe.PPKLite', `/SubFilter /${options.subFilter}`];
  if (options.type === 'Sig') {
    const when = options.signingTime ?? new Date();
    lines.push(`/M ${serializeString(PdfString.fromText(formatPdfDate(when, options.utcOffsetMinutes)))}`);
    const textEntries: Array<[string, string | undefined]> = [
      ['Name', options.signerName],
      ['Reason', options.reason],
      ['Location', options.location],
      ['ContactInfo', options.contactInfo],
    ];
    for (const [key, value] of textEntries) {
      if (value !== undefined && value !== '') lines.push(`/${key} ${serializeString(PdfString.fromText(value))}`);
    }
  }
  const head = `${lines.join('\n')}\n/ByteRange [`;
  const middle = `${BYTE_RANGE_SLOT}]\n/Contents `;
  const contents = `<${'0'.repeat(options.reservedBytes * 2)}>`;
  const text = `${head}${middle}${contents}\n>>`;
  return {
    raw: Buffer.from(text, 'latin1'),
    byteRangeOffset: head.length,
    contentsOffset: head.length + middle.length,
    contentsLength: contents.length,
  };
}

/** The /ByteRange slot text for [0 a b c], padded to the fixed width. */
export function formatByteRange(range: readonly [number, number, number, number]): Buffer {
  const [first, ...rest] = range;
  if (first !== 0) throw new MapsignError('INTERNAL_ERROR', '/ByteRange must start at 0');
  const numbers = rest.map((n) => {
    const digits = String(n);
    if (!Number.isSafeInteger(n) || n < 0 || digits.length > BYTE_RANGE_DIGITS) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `offset ${n} does not fit the /ByteRange`);
    }
    return digits.padEnd(BYTE_RANGE_DIGITS, ' ');
  });
  const text = `0 ${numbers.join(' ')}`;
  if (text.length !== BYTE_RANGE_SLOT.length) throw new MapsignError('INTERNAL_ERROR', '/ByteRange slot width mismatch');
  return Buffer.from(text, 'latin1');
}

/** The hex digits for /Contents (without the angle brackets), zero-padded to the reservation. */
export function formatContents(der: Buffer, reservedBytes: number): Buffer {
  if (der.length > reservedBytes) throw new MapsignError('INTERNAL_ERROR', 'signature larger than its reservation');
  return Buffer.from(der.toString('hex').padEnd(reservedBytes * 2, '0'), 'latin1');
}
