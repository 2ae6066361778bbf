// Draws a QR code (ISO/IEC 18004) as vector rectangles in a content stream (ISO 32000-2 §8.5.2.1
// `re` and `f`): one rectangle per horizontal run of dark modules, on a white square that
// includes the quiet zone, so it prints sharp at any size and needs no image.

import type { QRCode } from 'qrcode';
import { MapsignError } from '../errors.js';

/** Modules of white margin around the symbol; the standard asks for 4, scanners cope with 2. */
const QUIET_MODULES = 2;

export interface QrDrawing {
  /** Content stream operators, in a `q … Q` pair. */
  operators: string;
  /** Modules per side, without the quiet zone. */
  modules: number;
}

function num(value: number): string {
  const fixed = value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/** A QR code of `text` filling the square of side `size` whose lower left corner is (x, y). */
export async function drawQrCode(text: string, x: number, y: number, size: number): Promise<QrDrawing> {
  const { create } = await import('qrcode');
  let code: QRCode;
  try {
    code = create(text, { errorCorrectionLevel: 'M' });
  } catch (error) {
    throw new MapsignError('USAGE_INVALID', `the QR code text cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const n = code.modules.size;
  const module = size / (n + 2 * QUIET_MODULES);
  const ops: string[] = ['q', `1 g ${num(x)} ${num(y)} ${num(size)} ${num(size)} re f`, '0 g'];
  for (let row = 0; row < n; row++) {
    // Row 0 is the top of the symbol; PDF's y grows upwards.
    const top = y + size - (QUIET_MODULES + row) * module;
    let runStart = -1;
    for (let col = 0; col <= n; col++) {
      const isDark = col < n && code.modules.get(row, col) === 1;
      if (isDark && runStart < 0) runStart = col;
      if (!isDark && runStart >= 0) {
        const left = x + (QUIET_MODULES + runStart) * module;
        ops.push(`${num(left)} ${num(top - module)} ${num((col - runStart) * module)} ${num(module)} re`);
        runStart = -1;
      }
    }
  }
  ops.push('f', 'Q');
  return { operators: ops.join('\n'), modules: n };
}
