// The HTTP Range header for downloads (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or
// `bytes=-n`. Several ranges are answered with the whole file, as the RFC allows.

import { MapsignError } from '../errors.js';

export interface ByteRange {
  start: number;
  end: number;
}

/** The range to send, null for the whole file. @throws MapsignError `RANGE_NOT_SATISFIABLE` */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  let start: number;
  let end: number;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return null;
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) throw unsatisfiable(header, size);
  return { start, end };
}

function unsatisfiable(header: string, size: number): MapsignError {
  return new MapsignError('RANGE_NOT_SATISFIABLE', `the range ${header} is outside the file of ${size} bytes`, { details: { size } });
}
