// The public code of an archived sheet: 128 random bits in RFC 4648 base32 (lower case, no
// padding), printed in the QR code of its stamps as `<public URL>/v/<code>`. Unlike the sheet's
// sequential id it cannot be guessed, so the public lookup does not let anyone list the archive.

import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 26 characters: 16 random bytes, 5 bits a character (the last one carries 3). */
export const PUBLIC_CODE_LENGTH = 26;

const PUBLIC_CODE = /^[a-z2-7]{26}$/;

/** Base32 of `bytes` (RFC 4648 §6 alphabet in lower case, without padding). */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** A new public code from the system's CSPRNG. */
export function newPublicCode(): string {
  return toBase32(randomBytes(16));
}

/** The code as stored (lower case), or null when `text` cannot be a public code (a sheet id, say). */
export function normalizePublicCode(text: string): string | null {
  const code = text.trim().toLowerCase();
  return PUBLIC_CODE.test(code) ? code : null;
}
