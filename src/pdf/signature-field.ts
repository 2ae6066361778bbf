// Plans the objects that add a signature field to a document (ISO 32000-2 §12.7.5.5 signature
// fields, §12.5.6.19 widgets, §12.7.3 /SigFlags): a field merged with its widget on the chosen
// page, added to the existing /AcroForm or a new one, and to the page's /Annots whether that
// array is direct or indirect. An unsigned signature field of the requested name is filled instead.

import { MapsignError } from '../errors.js';
import type { IncrementObject } from './incremental-writer.js';
import { PdfDict, PdfNewStream, PdfRef, PdfStream, PdfString, dict, name, type PdfObject } from './objects.js';
import type { PageInfo, PdfReader } from './pdf-reader.js';

export interface SignatureFieldOptions {
  /** 1-based page; default: the last page. */
  pageNumber?: number;
  /** Field name; default: the first free "SignatureN". */
  fieldName?: string;
  /** Widget rectangle in default user space; default: [0 0 0 0], an invisible signature. */
  rect?: [number, number, number, number];
  /** Normal appearance of the widget; default: an empty form XObject. */
  appearance?: PdfNewStream;
}

export interface SignatureFieldPlan {
  /** Objects to write in the increment, except the signature dictionary itself. */
  objects: IncrementObject[];
  /** Reference the signature dictionary must be written under. */
  signatureRef: PdfRef;
  fieldRef: PdfRef;
  fieldName: string;
  page: PageInfo;
}

const MAX_FIELDS_VISITED = 100_000;
/** Print (bit 3) and Locked (bit 8): shown when printed, not movable. */
const WIDGET_FLAGS = 4 | 128;

interface ExistingField {
  ref: PdfRef | undefined;
  dict: PdfDict;
  fullName: string;
}

async function listFields(reader: PdfReader, fields: PdfObject | undefined): Promise<ExistingField[]> {
  const found: ExistingField[] = [];
  const roots = await reader.resolve(fields);
  if (!Array.isArray(roots)) return found;
  const queue: Array<{ value: PdfObject; parentName: string }> = roots.map((value) => ({ value, parentName: '' }));
  const seen = new Set<number>();
  while (queue.length > 0) {
    if (found.length + queue.length > MAX_FIELDS_VISITED) {
      throw new MapsignError('PDF_LIMIT_EXCEEDED', `form has more than ${MAX_FIELDS_VISITED} fields`);
    }
    const { value, parentName } = queue.shift()!;
    if (value instanceof PdfRef) {
      if (seen.has(value.num)) continue;
      seen.add(value.num);
    }
    const fieldDict = await reader.resolveDict(value);
    if (!fieldDict) continue;
    const partial = fieldDict.get('T');
    const partialName = partial instanceof PdfString ? partial.toText() : undefined;
    const fullName = partialName === undefined ? parentName : parentName ? `${parentName}.${partialName}` : partialName;
    if (partialName !== undefined) found.push({ ref: value instanceof PdfRef ? value : undefined, dict: fieldDict, fullName });
    const kids = await reader.resolve(fieldDict.get('Kids'));
    if (Array.isArray(kids)) for (const kid of kids) queue.push({ value: kid, parentName: fullName });
  }
  return found;
}

/** Refuses to add a signature to a document certified with /P 1 (no changes allowed, §12.8.2.2). */
async function assertModificationAllowed(reader: PdfReader, catalog: PdfDict): Promise<void> {
  const perms = await reader.resolveDict(catalog.get('Perms'));
  const docMdp = await reader.resolveDict(perms?.get('DocMDP'));
  if (!docMdp) return;
  const references = await reader.resolve(docMdp.get('Reference'));
  if (!Array.isArray(references)) return;
  for (const reference of references) {
    const referenceDict = await reader.resolveDict(reference);
    const params = await reader.resolveDict(referenceDict?.get('TransformParams'));
    if (params?.getNumber('P') === 1) {
      throw new MapsignError('PDF_MODIFICATION_LOCKED', 'the document is certified with no changes allowed (DocMDP /P 1)');
    }
  }
}

function emptyAppearance(): PdfNewStream {
  return new PdfNewStream(dict({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, 0, 0] }), Buffer.alloc(0));
}

export async function planSignatureField(reader: PdfReader, options: SignatureFieldOptions = {}): Promise<SignatureFieldPlan> {
  const catalog = await reader.catalog();
  await assertModificationAllowed(reader, catalog);
  const pageNumber = options.pageNumber ?? (await reader.pageCount());
  const page = await reader.getPage(pageNumber);
  const acroForm = await reader.acroForm();
  const existing = await listFields(reader, acroForm?.dict.get('Fields'));

  let nextNum = reader.nextObjectNumber;
  const allocate = (): PdfRef => new PdfRef(nextNum++, 0);
  const signatureRef = allocate();
  const objects: IncrementObject[] = [];

  const requested = options.fieldName;
  const match = requested === undefined ? undefined : existing.find((f) => f.fullName === requested);
  if (match) {
    const isEmptySignatureField = match.dict.getName('FT') === 'Sig' && !match.dict.has('V') && match.ref !== undefined;
    if (!isEmptySignatureField) {
      throw new MapsignError('PDF_FIELD_EXISTS', `field "${requested}" already exists and is not an empty signature field`, {
        details: { field: requested ?? '' },
      });
    }
    objects.push({ ref: match.ref!, value: match.dict.clone().set('V', signatureRef) });
    if (acroForm && acroForm.dict.getNumber('SigFlags') !== 3) {
      const updated = acroForm.dict.clone().set('SigFlags', 3);
      if (acroForm.ref) objects.push({ ref: acroForm.ref, value: updated });
      else objects.push({ ref: reader.rootRef, value: catalog.clone().set('AcroForm', updated) });
    }
    return { objects, signatureRef, fieldRef: match.ref!, fieldName: match.fullName, page };
  }

  const names = new Set(existing.map((f) => f.fullName));
  let fieldName = requested;
  if (fieldName === undefined) {
    let n = 1;
    while (names.has(`Signature${n}`)) n++;
    fieldName = `Signature${n}`;
  }
  if (fieldName === '' || fieldName.includes('.')) {
    throw new MapsignError('USAGE_INVALID', `field name "${fieldName}" must be non-empty and contain no period`);
  }

  const fieldRef = allocate();
  const appearanceRef = allocate();
  const widget = dict({
    Type: name('Annot'),
    Subtype: name('Widget'),
    FT: name('Sig'),
    T: PdfString.fromText(fieldName),
    V: signatureRef,
    F: WIDGET_FLAGS,
    Rect: options.rect ?? [0, 0, 0, 0],
    P: page.ref,
    AP: dict({ N: appearanceRef }),
  });
  objects.push({ ref: fieldRef, value: widget });
  objects.push({ ref: appearanceRef, value: options.appearance ?? emptyAppearance() });

  // The form: append to /Fields (direct or indirect array) and set /SigFlags 3 (SignaturesExist, AppendOnly).
  let newCatalog: PdfDict | undefined;
  if (!acroForm) {
    const acroFormRef = allocate();
    objects.push({ ref: acroFormRef, value: dict({ Fields: [fieldRef], SigFlags: 3 }) });
    newCatalog = catalog.clone().set('AcroForm', acroFormRef);
  } else {
    const updated = acroForm.dict.clone().set('SigFlags', 3);
    const fieldsValue = acroForm.dict.get('Fields');
    if (fieldsValue instanceof PdfRef) {
      const fields = await reader.getObject(fieldsValue);
      objects.push({ ref: fieldsValue, value: [...(Array.isArray(fields) ? fields : []), fieldRef] });
    } else {
      updated.set('Fields', [...(Array.isArray(fieldsValue) ? fieldsValue : []), fieldRef]);
    }
    if (acroForm.ref) objects.push({ ref: acroForm.ref, value: updated });
    else newCatalog = catalog.clone().set('AcroForm', updated);
  }

  // The page: append the widget to /Annots (direct or indirect array).
  const annotsValue = page.dict.get('Annots');
  if (annotsValue instanceof PdfRef) {
    const annots = await reader.getObject(annotsValue);
    objects.push({ ref: annotsValue, value: [...(Array.isArray(annots) ? annots : []), fieldRef] });
  } else {
    const annots = Array.isArray(annotsValue) ? annotsValue : [];
    if (page.ref.equals(reader.rootRef)) throw new MapsignError('PDF_MALFORMED', 'the page is the catalog');
    objects.push({ ref: page.ref, value: page.dict.clone().set('Annots', [...annots, fieldRef]) });
  }
  if (newCatalog) objects.push({ ref: reader.rootRef, value: newCatalog });
  if (objects.some((o) => o.value instanceof PdfStream)) throw new MapsignError('INTERNAL_ERROR', 'planned a stream read from the file');
  return { objects, signatureRef, fieldRef, fieldName, page };
}

