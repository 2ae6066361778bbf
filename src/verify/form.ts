// The interactive form of one revision (ISO 32000-2 §12.7): its fields with their inherited
// /FT and /Ff, full names and widgets, and the pages with their /Annots. Bounded walks: a hostile
// file cannot make them loop or run forever.

import { MapsignError } from '../errors.js';
import { PdfDict, PdfRef, PdfString, type PdfObject, type PdfReader } from '../pdf/index.js';

const MAX_FIELDS = 100_000;
const MAX_PAGES = 100_000;
const MAX_DEPTH = 64;

export interface FormWidget {
  ref: PdfRef | null;
  dict: PdfDict;
}

export interface FormField {
  ref: PdfRef | null;
  dict: PdfDict;
  fullName: string;
  /** /FT, inherited from ancestors. */
  fieldType: string | undefined;
  /** /Ff, inherited from ancestors. */
  flags: number;
  parentRef: PdfRef | null;
  /** The field itself when it is merged with its widget, otherwise its kids without /T. */
  widgets: FormWidget[];
}

/** Field flag bit 1 (§12.7.4.1 Table 226): the user may not change the value. */
export const FIELD_READ_ONLY = 1;

function textOf(value: PdfObject | undefined): string | undefined {
  return value instanceof PdfString ? value.toText() : undefined;
}

/** Every field of the revision's /AcroForm, depth first. */
export async function readFormFields(reader: PdfReader): Promise<FormField[]> {
  const acroForm = await reader.acroForm();
  const roots = await reader.resolve(acroForm?.dict.get('Fields'));
  if (!Array.isArray(roots)) return [];
  const fields: FormField[] = [];
  const seen = new Set<number>();
  const visit = async (value: PdfObject, prefix: string, inheritedType: string | undefined, inheritedFlags: number, parentRef: PdfRef | null, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new MapsignError('PDF_LIMIT_EXCEEDED', `form fields nested deeper than ${MAX_DEPTH}`);
    if (value instanceof PdfRef) {
      if (seen.has(value.num)) return;
      seen.add(value.num);
    }
    if (fields.length >= MAX_FIELDS) throw new MapsignError('PDF_LIMIT_EXCEEDED', `form has more than ${MAX_FIELDS} fields`);
    const dict = await reader.resolveDict(value);
    if (!dict) return;
    const partial = textOf(dict.get('T'));
    const fullName = partial === undefined ? prefix : prefix ? `${prefix}.${partial}` : partial;
    const fieldType = dict.getName('FT') ?? inheritedType;
    const flagsValue = await reader.resolve(dict.get('Ff'));
    const flags = typeof flagsValue === 'number' ? flagsValue : inheritedFlags;
    const kids = await reader.resolve(dict.get('Kids'));
    const ref = value instanceof PdfRef ? value : null;
    const widgets: FormWidget[] = [];
    const childFields: PdfObject[] = [];
    if (Array.isArray(kids)) {
      for (const kid of kids) {
        const kidDict = await reader.resolveDict(kid);
        if (!kidDict) continue;
        if (kidDict.has('T')) childFields.push(kid);
        else widgets.push({ ref: kid instanceof PdfRef ? kid : null, dict: kidDict });
      }
    }
    if (dict.getName('Subtype') === 'Widget') widgets.unshift({ ref, dict });
    fields.push({ ref, dict, fullName, fieldType, flags, parentRef, widgets });
    for (const kid of childFields) await visit(kid, fullName, fieldType, flags, ref, depth + 1);
  };
  for (const root of roots) await visit(root, '', undefined, 0, null, 0);
  return fields;
}

export interface PageEntry {
  ref: PdfRef;
  dict: PdfDict;
  pageNumber: number;
}

/** The pages in order, walking /Kids from the catalog's /Pages. */
export async function readPages(reader: PdfReader): Promise<PageEntry[]> {
  const pages: PageEntry[] = [];
  const seen = new Set<number>();
  const visit = async (value: PdfObject | undefined, depth: number): Promise<void> => {
    if (!(value instanceof PdfRef) || depth > MAX_DEPTH || seen.has(value.num)) return;
    seen.add(value.num);
    if (pages.length >= MAX_PAGES) throw new MapsignError('PDF_LIMIT_EXCEEDED', `more than ${MAX_PAGES} pages`);
    const node = await reader.resolveDict(value);
    if (!node) return;
    const kids = await reader.resolve(node.get('Kids'));
    if (node.getName('Type') === 'Page' || !Array.isArray(kids)) {
      pages.push({ ref: value, dict: node, pageNumber: pages.length + 1 });
      return;
    }
    for (const kid of kids) await visit(kid, depth + 1);
  };
  await visit((await reader.catalog()).get('Pages'), 0);
  return pages;
}
