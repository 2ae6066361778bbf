// Plans the Document Security Store increment (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3):
// one stream per certificate, OCSP response and CRL, gathered in /DSS /Certs, /OCSPs and /CRLs.
// An existing DSS is extended, never replaced, and nothing it already holds is added twice.

import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { IncrementObject } from './incremental-writer.js';
import { PdfNewStream, PdfRef, PdfStream, dict, name, type PdfObject } from './objects.js';
import type { PdfReader } from './pdf-reader.js';

export interface DssContent {
  certificates: Buffer[];
  ocspResponses: Buffer[];
  crls: Buffer[];
}

const DSS_KEYS = { certificates: 'Certs', ocspResponses: 'OCSPs', crls: 'CRLs' } as const;
const MAX_EXISTING_ENTRY_BYTES = 32 * 1024 * 1024;

function fingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

async function existingFingerprints(reader: PdfReader, entries: PdfObject[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const entry of entries) {
    const stream = await reader.resolve(entry);
    if (!(stream instanceof PdfStream)) continue;
    try {
      found.add(fingerprint(await reader.readStream(stream, MAX_EXISTING_ENTRY_BYTES, 'a DSS entry')));
    } catch {
      // An unreadable old entry is left as it is; the new one is added beside it.
    }
  }
  return found;
}

/** The objects that add `content` to the document's DSS; empty when there is nothing new. */
export async function planDss(reader: PdfReader, content: DssContent): Promise<IncrementObject[]> {
  const catalog = await reader.catalog();
  const dssValue = catalog.get('DSS');
  const existing = (await reader.resolveDict(dssValue)) ?? dict({ Type: name('DSS') });
  let nextNum = reader.nextObjectNumber;
  const objects: IncrementObject[] = [];
  const updated = existing.clone();
  let isChanged = false;
  for (const [field, key] of Object.entries(DSS_KEYS) as Array<[keyof DssContent, string]>) {
    const current = await reader.resolve(existing.get(key));
    const entries: PdfObject[] = Array.isArray(current) ? [...current] : [];
    const known = await existingFingerprints(reader, entries);
    for (const der of content[field]) {
      const print = fingerprint(der);
      if (known.has(print)) continue;
      known.add(print);
      const ref = new PdfRef(nextNum++, 0);
      objects.push({ ref, value: new PdfNewStream(dict({ Filter: name('FlateDecode') }), deflateSync(der)) });
      entries.push(ref);
      isChanged = true;
    }
    if (entries.length > 0) updated.set(key, entries);
  }
  if (!isChanged) return [];
  if (dssValue instanceof PdfRef) {
    objects.push({ ref: dssValue, value: updated });
  } else {
    const dssRef = new PdfRef(nextNum, 0);
    objects.push({ ref: dssRef, value: updated });
    objects.push({ ref: reader.rootRef, value: catalog.clone().set('DSS', dssRef) });
  }
  return objects;
}
