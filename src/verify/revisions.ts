// The revisions of a file (ISO 32000-2 §7.5.6): where each incremental update ends, computed
// from the /Prev chain, plus the %%EOF markers the chain does not reach (a trailer /Prev that
// skips a revision) and bytes after the last revision (objects appended without a new
// cross-reference section). Positioned reads only, in 64 KiB windows.

import type { PdfReader } from '../pdf/index.js';

export interface Revision {
  /** One past the "%%EOF" and the end-of-line after it, if any. */
  end: number;
  /** One past "%%EOF". */
  eofEnd: number;
  /** Offset of the revision's newest cross-reference section. */
  xrefOffset: number;
  isHidden: boolean;
}

const WINDOW = 64 * 1024;
const MARKER = /startxref[\0\t\n\f\r ]+(\d+)[\0\t\n\f\r ]+%%EOF/g;
const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

interface Marker {
  xrefOffset: number;
  eofEnd: number;
}

/** The "startxref N %%EOF" markers in [from, to), scanning forward in overlapping windows. */
export async function findMarkers(reader: PdfReader, from: number, to: number): Promise<Marker[]> {
  const markers: Marker[] = [];
  const seen = new Set<number>();
  const overlap = 64;
  for (let pos = Math.max(0, from); pos < to; pos += WINDOW) {
    const start = Math.max(from, pos - overlap);
    const window = await reader.source.read(start, Math.min(to, pos + WINDOW) - start);
    for (const match of window.toString('latin1').matchAll(MARKER)) {
      const eofEnd = start + match.index + match[0].length;
      if (seen.has(eofEnd)) continue;
      seen.add(eofEnd);
      markers.push({ xrefOffset: Number(match[1]), eofEnd });
    }
  }
  return markers;
}

/** The last marker in [from, to) that names `xrefOffset`, scanning backwards. */
async function findLastMarker(reader: PdfReader, from: number, to: number, xrefOffset: number): Promise<Marker | undefined> {
  const overlap = 64;
  for (let hi = to; hi > from; hi -= WINDOW) {
    const lo = Math.max(from, hi - WINDOW);
    const window = await reader.source.read(lo, Math.min(to, hi + overlap) - lo);
    let found: Marker | undefined;
    for (const match of window.toString('latin1').matchAll(MARKER)) {
      if (Number(match[1]) === xrefOffset) found = { xrefOffset, eofEnd: lo + match.index + match[0].length };
    }
    if (found) return found;
  }
  return undefined;
}

async function withEol(reader: PdfReader, eofEnd: number): Promise<number> {
  const next = await reader.source.read(eofEnd, 2);
  if (next[0] === 0x0d && next[1] === 0x0a) return eofEnd + 2;
  if (next[0] === 0x0d || next[0] === 0x0a) return eofEnd + 1;
  return eofEnd;
}

/** Whether `offset` starts a cross-reference table or stream. */
export async function isXrefAt(reader: PdfReader, offset: number): Promise<boolean> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= reader.size) return false;
  const head = (await reader.source.read(offset, 64)).toString('latin1').replace(/^[\0\t\n\f\r ]+/, '');
  return head.startsWith('xref') || /^\d+\s+\d+\s+obj\b/.test(head);
}

export interface RevisionScan {
  revisions: Revision[];
  /** Bytes after the last revision other than white space: start offset and length. */
  trailingData: { offset: number; length: number } | null;
}

/**
 * Revisions along the /Prev chain, oldest first. A section whose /Prev points to a later offset
 * (linearized files) belongs to the revision of the section before it in the chain.
 */
export async function readRevisions(reader: PdfReader): Promise<RevisionScan> {
  const sections = reader.sections;
  const newest = sections[0]!;
  const tail = await findLastMarker(reader, Math.max(0, reader.size - 1024 * 1024), reader.size, reader.startxref);
  const lastEofEnd = tail?.eofEnd ?? reader.size;
  const revisions: Revision[] = [{ end: await withEol(reader, lastEofEnd), eofEnd: lastEofEnd, xrefOffset: newest.offset, isHidden: false }];
  for (let i = 1; i < sections.length; i++) {
    const newer = sections[i - 1]!;
    const section = sections[i]!;
    if (section.offset >= newer.offset) continue;
    const marker = await findLastMarker(reader, section.offset, newer.offset, section.offset);
    if (!marker) continue;
    revisions.push({ end: await withEol(reader, marker.eofEnd), eofEnd: marker.eofEnd, xrefOffset: section.offset, isHidden: false });
  }
  revisions.sort((a, b) => a.end - b.end);
  const final = revisions[revisions.length - 1]!;
  let trailingData: RevisionScan['trailingData'] = null;
  if (final.end < reader.size) {
    const length = reader.size - final.end;
    for (let pos = final.end; pos < reader.size; pos += WINDOW) {
      const chunk = await reader.source.read(pos, WINDOW);
      if (chunk.some((b) => !WHITESPACE.has(b))) {
        trailingData = { offset: final.end, length };
        break;
      }
    }
  }
  return { revisions, trailingData };
}

/**
 * Markers after `from` that no revision of the chain accounts for: revisions that a later trailer's
 * /Prev skips. Only markers whose offset names a cross-reference section count; "%%EOF" inside
 * stream data does not.
 */
export async function findHiddenRevisions(reader: PdfReader, revisions: Revision[], from: number): Promise<Revision[]> {
  const known = new Set(revisions.map((r) => r.eofEnd));
  const last = revisions[revisions.length - 1]!;
  const hidden: Revision[] = [];
  for (const marker of await findMarkers(reader, from, Math.max(from, last.eofEnd))) {
    if (known.has(marker.eofEnd) || !(await isXrefAt(reader, marker.xrefOffset))) continue;
    hidden.push({ end: await withEol(reader, marker.eofEnd), eofEnd: marker.eofEnd, xrefOffset: marker.xrefOffset, isHidden: true });
  }
  return hidden;
}

/** A revision for a valid marker ending exactly at `end` (with or without its end-of-line). */
export async function markerEndingAt(reader: PdfReader, end: number): Promise<Revision | undefined> {
  const from = Math.max(0, end - 64);
  for (const marker of await findMarkers(reader, from, Math.min(reader.size, end))) {
    const full = await withEol(reader, marker.eofEnd);
    if ((marker.eofEnd === end || full === end) && (await isXrefAt(reader, marker.xrefOffset))) {
      return { end: full, eofEnd: marker.eofEnd, xrefOffset: marker.xrefOffset, isHidden: true };
    }
  }
  return undefined;
}
