// Changes after signing (ISO 32000-2 §12.8.2.2 DocMDP, §12.8.2.4 FieldMDP, §12.7.5.5 /Lock): one
// revision is compared with the one before it object by object, by value, and every change must
// be explained by a rule that allows it; anything unexplained is disallowed. Whitelisting, not
// blacklisting, is what resists incremental saving, shadow, evil annotation and sneaky signature
// attacks: a page, its content or resources, a signed field, an existing annotation or any object
// of the signed revision cannot change, and content placed in the signed revision cannot be made
// visible through an allowed-looking change (an appearance that refers to it).

import { PdfDict, PdfRef, PdfStream, type PdfObject } from '../pdf/index.js';
import { area, changedKeys, collectRefs, describeType, exists, genOf, MAX_WALK, numbersOf, sameEntry, sameStreamData, sameValue } from './object-diff.js';
import { readFormFields, readPages, FIELD_READ_ONLY, type FormField, type PageEntry } from './form.js';
import type { RevisionState } from './signatures.js';
import type { ChangeCode, ObjectChange } from './types.js';

export interface FieldLock {
  /** 1-based index of the signature whose /Lock this is. */
  signatureIndex: number;
  isLocked(fullName: string): boolean;
}

export interface ChangePolicy {
  /** DocMDP /P of a certification signature older than the revision, or null when none. */
  docMdp: 1 | 2 | 3 | null;
  locks: FieldLock[];
  /** Largest share of the page a visible signature widget added after signing may cover. */
  maxVisibleWidgetRatio: number;
}

interface Verdict {
  isAllowed: boolean;
  code: ChangeCode;
  message: string;
  violates: ObjectChange['violates'];
  lockedBy: number | null;
  page?: number | null;
}

/** Annotations that cannot cover page content: allowed after a certification with /P 3. */
const COMMENT_SUBTYPES = new Set(['Text', 'Popup', 'Highlight', 'Underline', 'Squiggly', 'StrikeOut', 'Caret']);
const HIDDEN_FLAG = 2;

function allow(code: ChangeCode, message: string): Verdict {
  return { isAllowed: true, code, message, violates: null, lockedBy: null };
}

function deny(code: ChangeCode, message: string, violates: ObjectChange['violates'] = 'policy', lockedBy: number | null = null): Verdict {
  return { isAllowed: false, code, message, violates, lockedBy };
}











/** Compares the revision `next` with `prev` and classifies every changed object. */
export async function diffRevisions(prev: RevisionState, next: RevisionState, policy: ChangePolicy): Promise<ObjectChange[]> {
  const revision = next.position + 1;
  const P = prev.reader;
  const N = next.reader;

  // 1. Which object numbers differ in their cross-reference entries, objects of rewritten object streams included.
  const length = Math.max(prev.index.length, next.index.length);
  const candidates: number[] = [];
  for (let num = 1; num < length; num++) if (!sameEntry(prev.index.get(num), next.index.get(num))) candidates.push(num);
  const rewrittenStreams = new Set(candidates);
  for (let num = 1; num < length; num++) {
    const entry = next.index.get(num);
    if (entry?.type === 'compressed' && rewrittenStreams.has(entry.streamNum) && !rewrittenStreams.has(num)) candidates.push(num);
  }

  // 2. Their values before and after; identical rewrites are no change.
  interface Candidate {
    num: number;
    gen: number;
    kind: ObjectChange['kind'];
    old: PdfObject | undefined;
    value: PdfObject | undefined;
    isUnreadable: boolean;
  }
  const changed = new Map<number, Candidate>();
  for (const num of candidates) {
    const oldEntry = prev.index.get(num);
    const newEntry = next.index.get(num);
    let old: PdfObject | undefined;
    let value: PdfObject | undefined;
    let isUnreadable = false;
    try {
      if (exists(oldEntry)) old = await P.getObject(new PdfRef(num, genOf(oldEntry)));
      if (exists(newEntry)) value = await N.getObject(new PdfRef(num, genOf(newEntry)));
    } catch {
      isUnreadable = true;
    }
    const kind: ObjectChange['kind'] = !exists(oldEntry) ? 'added' : !exists(newEntry) ? 'deleted' : 'modified';
    if (!isUnreadable && kind === 'modified' && sameValue(old, value)) {
      if (!(old instanceof PdfStream) || (await sameStreamData(P, old, N, value as PdfStream))) continue;
    }
    const gen = exists(newEntry) ? genOf(newEntry) : exists(oldEntry) ? genOf(oldEntry) : 0;
    changed.set(num, { num, gen, kind, old, value, isUnreadable });
  }
  if (changed.size === 0) return [];
  const isNew = (num: number): boolean => !exists(prev.index.get(num));

  const verdicts = new Map<number, Verdict>();
  const setVerdict = (num: number, verdict: Verdict): void => {
    const existing = verdicts.get(num);
    // A disallowed reading of an object wins over an allowed one.
    if (!existing || (existing.isAllowed && !verdict.isAllowed)) verdicts.set(num, verdict);
  };
  const permit = (levels: Array<1 | 2 | 3>, code: ChangeCode, message: string): Verdict => {
    if (policy.docMdp !== null && !levels.includes(policy.docMdp)) {
      return deny('modification-not-permitted', `${message}, which the certification signature (DocMDP /P ${policy.docMdp}) does not permit`, 'docmdp');
    }
    return allow(code, message);
  };

  // Appearance subtrees: content reachable from an appearance must be new, except fonts and colour spaces.
  const checkAppearance = async (appearance: PdfObject | undefined, owner: string, claim: (num: number) => void): Promise<Verdict | null> => {
    const queue: Array<{ value: PdfObject | undefined; mayBeOld: boolean }> = [{ value: appearance, mayBeOld: false }];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const { value, mayBeOld } = queue.shift()!;
      if (value instanceof PdfRef) {
        if (seen.has(value.num)) continue;
        if (seen.size >= MAX_WALK) return deny('appearance-reuses-signed-content', `the appearance of ${owner} is too large to check`);
        seen.add(value.num);
        if (!isNew(value.num)) {
          if (!mayBeOld) return deny('appearance-reuses-signed-content', `the appearance of ${owner} shows object ${value.num}, which was already in the signed revision`);
          const font = await N.resolveDict(value).catch(() => undefined);
          if (font?.getName('Subtype') === 'Type3') return deny('appearance-reuses-signed-content', `the appearance of ${owner} uses Type 3 font ${value.num} from the signed revision`);
          continue;
        }
        claim(value.num);
        queue.push({ value: await N.getObject(value).catch(() => null), mayBeOld });
        continue;
      }
      const dict = value instanceof PdfStream ? value.dict : value instanceof PdfDict ? value : undefined;
      if (dict) {
        for (const [key, item] of dict.entries) {
          if (key === 'Parent' || key === 'P') continue;
          queue.push({ value: item, mayBeOld: mayBeOld || key === 'Font' || key === 'ColorSpace' });
        }
      } else if (Array.isArray(value)) {
        for (const item of value) queue.push({ value: item, mayBeOld });
      }
    }
    return null;
  };

  const pageArea = async (widget: PdfDict): Promise<number> => {
    let node = await N.resolveDict(widget.get('P')).catch(() => undefined);
    for (let depth = 0; node && depth < 32; depth++) {
      const box = numbersOf(await N.resolve(node.get('MediaBox')).catch(() => undefined));
      if (box) return area(box);
      node = await N.resolveDict(node.get('Parent')).catch(() => undefined);
    }
    const first = await N.getPage(1).catch(() => undefined);
    return first ? area(first.mediaBox) : 0;
  };

  // 3. Catalog.
  const catalogOld = await P.catalog();
  const catalogNew = await N.catalog();
  const rootNums = new Set([P.rootRef.num, N.rootRef.num]);
  for (const num of rootNums) {
    if (!changed.has(num)) continue;
    const keys = changedKeys(catalogOld, catalogNew).filter((k) => k !== 'AcroForm' && k !== 'DSS' && k !== 'Extensions' && k !== 'Metadata');
    if (keys.length > 0) setVerdict(num, deny('catalog-changed', `the document catalog changed: ${keys.map((k) => `/${k}`).join(', ')}`));
    else if (!sameValue(catalogOld.get('Metadata'), catalogNew.get('Metadata'))) setVerdict(num, permit([2, 3], 'metadata-updated', 'the catalog points to new XMP metadata'));
    else setVerdict(num, allow('acroform-updated', 'the catalog gained or updated its form or /DSS'));
  }

  // 4. The form: /AcroForm, /Fields, fields and their widgets.
  const acroOld = await P.acroForm();
  const acroNew = await N.acroForm();
  const fieldsOld = await readFormFields(P);
  const fieldsNew = await readFormFields(N);
  const oldFieldByNum = new Map(fieldsOld.filter((f) => f.ref).map((f) => [f.ref!.num, f]));
  const sigFieldNums = new Set(fieldsNew.filter((f) => f.fieldType === 'Sig' && f.ref).map((f) => f.ref!.num));
  const checkFieldList = (oldList: PdfObject | undefined, newList: PdfObject | undefined, where: string): Verdict => {
    const oldRefs = Array.isArray(oldList) ? oldList : [];
    const newRefs = Array.isArray(newList) ? newList : [];
    const removed = oldRefs.filter((r) => !newRefs.some((n) => sameValue(n, r)));
    if (removed.length > 0) return deny('acroform-changed', `${where}: fields ${removed.map(String).join(', ')} were removed`);
    const added = newRefs.filter((n) => !oldRefs.some((r) => sameValue(n, r)));
    const notSignature = added.filter((r) => !(r instanceof PdfRef) || !sigFieldNums.has(r.num));
    if (notSignature.length > 0) return deny('field-added', `${where}: fields other than signature fields were added (${notSignature.map(String).join(', ')})`);
    return allow('acroform-updated', `${where}: signature fields added`);
  };
  if (acroOld && !acroNew) {
    for (const num of rootNums) if (changed.has(num)) setVerdict(num, deny('acroform-changed', 'the form (/AcroForm) was removed'));
  }
  if (acroNew) {
    const keys = acroOld ? changedKeys(acroOld.dict, acroNew.dict).filter((k) => k !== 'Fields' && k !== 'SigFlags') : [];
    let verdict = keys.length > 0 ? deny('acroform-changed', `the form changed: ${keys.map((k) => `/${k}`).join(', ')}`) : allow('acroform-updated', 'the form gained signature fields or /SigFlags');
    const fieldsOldValue = acroOld ? await P.resolve(acroOld.dict.get('Fields')) : undefined;
    const fieldsNewValue = await N.resolve(acroNew.dict.get('Fields'));
    if (verdict.isAllowed) verdict = checkFieldList(fieldsOldValue, fieldsNewValue, '/AcroForm /Fields');
    if (verdict.isAllowed && verdict.code === 'acroform-updated' && policy.docMdp === 1) verdict = permit([2, 3], 'acroform-updated', 'fields were added to the form');
    if (acroNew.ref && changed.has(acroNew.ref.num)) setVerdict(acroNew.ref.num, verdict);
    if (!acroNew.ref) for (const num of rootNums) if (changed.has(num) && !verdict.isAllowed) setVerdict(num, verdict);
    const fieldsRef = acroNew.dict.get('Fields');
    if (fieldsRef instanceof PdfRef && changed.has(fieldsRef.num)) setVerdict(fieldsRef.num, checkFieldList(fieldsOldValue, fieldsNewValue, 'the /Fields array'));
  }

  const isDocTimestamp = async (field: FormField): Promise<boolean> => {
    const value = await N.resolveDict(field.dict.get('V')).catch(() => undefined);
    return value?.getName('Type') === 'DocTimeStamp' || value?.getName('SubFilter') === 'ETSI.RFC3161';
  };
  const lockOf = (fullName: string): FieldLock | undefined => policy.locks.find((lock) => lock.isLocked(fullName));

  for (const field of fieldsNew) {
    const num = field.ref?.num;
    const touched = (num !== undefined && changed.has(num)) || field.widgets.some((w) => w.ref && changed.has(w.ref.num));
    if (!touched) continue;
    const name = `field "${field.fullName}"`;
    const owned: number[] = [];
    const claim = (n: number): void => {
      owned.push(n);
    };
    let verdict: Verdict;
    const old = num !== undefined ? oldFieldByNum.get(num) : undefined;
    if (field.fieldType === 'Sig' && (num === undefined || isNew(num))) {
      // A new signature field with its widgets.
      const isTimestamp = await isDocTimestamp(field);
      verdict = allow('signature-field-added', `${isTimestamp ? 'document time-stamp' : 'signature'} field "${field.fullName}" added`);
      for (const widget of field.widgets) {
        if (widget.ref && !isNew(widget.ref.num)) {
          verdict = deny('appearance-reuses-signed-content', `${name} uses widget ${widget.ref.num} from the signed revision`);
          break;
        }
        const flags = await N.resolve(widget.dict.get('F')).catch(() => 0);
        const rect = numbersOf(await N.resolve(widget.dict.get('Rect')).catch(() => undefined));
        const isVisible = area(rect) > 0 && (typeof flags !== 'number' || (flags & HIDDEN_FLAG) === 0);
        const problem = await checkAppearance(widget.dict.get('AP'), name, claim);
        if (problem) {
          verdict = problem;
          break;
        }
        if (isVisible && policy.docMdp !== null) {
          verdict = deny('sneaky-signature', `${name} with a visible widget was added to a certified document: its appearance may cover the certified content`, 'docmdp');
          break;
        }
        if (isVisible) {
          const ratio = area(rect) / Math.max(1, await pageArea(widget.dict));
          if (ratio > policy.maxVisibleWidgetRatio) {
            verdict = deny('widget-too-large', `${name} has a visible widget covering ${(ratio * 100).toFixed(1)}% of its page, more than a signature stamp needs`);
            break;
          }
        }
      }
      if (verdict.isAllowed && policy.docMdp === 1 && !isTimestamp) verdict = permit([2, 3], 'signature-field-added', `signature ${name} added`);
      const value = field.dict.get('V');
      if (value instanceof PdfRef && changed.has(value.num)) {
        setVerdict(value.num, verdict.isAllowed ? allow('signature-added', `${isTimestamp ? 'document time-stamp' : 'signature'} dictionary of ${name} added`) : verdict);
      }
    } else if (field.fieldType === 'Sig') {
      // An existing signature field: it may be signed once, never changed after.
      const before = old?.dict ?? field.dict;
      const keys = changedKeys(before, field.dict);
      if (before.has('V') && keys.includes('V')) verdict = deny('signed-field-changed', `the value of signed ${name} was replaced`);
      else if (keys.some((k) => k !== 'V' && k !== 'AP')) verdict = deny('field-changed', `${name} changed: ${keys.map((k) => `/${k}`).join(', ')}`);
      else {
        const isTimestamp = await isDocTimestamp(field);
        verdict = (await checkAppearance(field.dict.get('AP'), name, claim)) ?? allow('signature-field-signed', `empty signature ${name} was signed`);
        if (verdict.isAllowed && !isTimestamp) verdict = permit([2, 3], 'signature-field-signed', `empty signature ${name} was signed`);
        const value = field.dict.get('V');
        if (value instanceof PdfRef && changed.has(value.num)) setVerdict(value.num, verdict.isAllowed ? allow('signature-added', `signature dictionary of ${name} added`) : verdict);
      }
      for (const widget of field.widgets) {
        if (!widget.ref || widget.ref.num === num || !changed.has(widget.ref.num)) continue;
        const oldWidget = await P.resolveDict(widget.ref).catch(() => undefined);
        const widgetKeys = oldWidget ? changedKeys(oldWidget, widget.dict) : ['(new)'];
        const widgetVerdict = widgetKeys.every((k) => k === 'AP') ? ((await checkAppearance(widget.dict.get('AP'), name, claim)) ?? verdict) : deny('field-changed', `widget ${widget.ref.num} of ${name} changed: ${widgetKeys.join(', ')}`);
        setVerdict(widget.ref.num, widgetVerdict);
      }
    } else if (num !== undefined && isNew(num)) {
      verdict = deny('field-added', `form ${name} (/FT /${field.fieldType ?? '?'}) was added after signing`);
    } else {
      // Form filling: /V, /AS and /AP of a field that is neither read-only nor locked.
      const before = old?.dict ?? field.dict;
      const keys = changedKeys(before, field.dict);
      const lock = lockOf(field.fullName);
      const flags = old?.flags ?? field.flags;
      if (keys.some((k) => k !== 'V' && k !== 'AS' && k !== 'AP')) verdict = deny('field-changed', `${name} changed beyond its value: ${keys.map((k) => `/${k}`).join(', ')}`);
      else if ((flags & FIELD_READ_ONLY) !== 0) verdict = deny('field-read-only', `read-only ${name} was changed`);
      else if (lock) verdict = deny('field-locked', `${name} is locked by signature ${lock.signatureIndex} and was changed`, 'lock', lock.signatureIndex);
      else verdict = (await checkAppearance(field.dict.get('AP'), name, claim)) ?? permit([2, 3], 'form-field-filled', `${name} was filled in`);
      for (const widget of field.widgets) {
        if (!widget.ref || widget.ref.num === num || !changed.has(widget.ref.num)) continue;
        const oldWidget = await P.resolveDict(widget.ref).catch(() => undefined);
        const widgetKeys = oldWidget ? changedKeys(oldWidget, widget.dict) : ['(new)'];
        const problem = widgetKeys.every((k) => k === 'AP' || k === 'AS') ? await checkAppearance(widget.dict.get('AP'), name, claim) : deny('field-changed', `widget ${widget.ref.num} of ${name} changed: ${widgetKeys.join(', ')}`);
        setVerdict(widget.ref.num, problem ?? verdict);
      }
    }
    if (num !== undefined && changed.has(num)) setVerdict(num, verdict);
    for (const widget of field.widgets) if (widget.ref && changed.has(widget.ref.num) && !verdicts.has(widget.ref.num)) setVerdict(widget.ref.num, verdict);
    for (const n of owned) if (changed.has(n)) setVerdict(n, verdict.isAllowed ? { ...verdict, code: 'signature-appearance', message: `appearance of ${name}` } : verdict);
  }

  // 5. Pages and their /Annots (direct or indirect arrays).
  const widgetOwner = new Map<number, FormField>();
  for (const field of fieldsNew) for (const widget of field.widgets) if (widget.ref) widgetOwner.set(widget.ref.num, field);
  let pagesNew: PageEntry[] | undefined;
  const needsPages = [...changed.values()].some((c) => {
    const types = [c.old, c.value].map((v) => (v instanceof PdfDict ? v.getName('Type') : undefined));
    return types.includes('Page') || types.includes('Pages') || Array.isArray(c.value) || Array.isArray(c.old);
  });
  if (needsPages) pagesNew = await readPages(N).catch(() => []);
  const annotationVerdict = async (item: PdfObject, pageNumber: number): Promise<Verdict> => {
    if (!(item instanceof PdfRef)) return deny('annotation-added-disallowed', `a direct annotation was added to page ${pageNumber}`);
    if (!isNew(item.num)) return deny('annotation-added-disallowed', `object ${item.num}, already in the signed revision, was added to the annotations of page ${pageNumber}`);
    const owner = widgetOwner.get(item.num);
    if (owner?.fieldType === 'Sig') {
      const ownerVerdict = owner.ref ? verdicts.get(owner.ref.num) : undefined;
      return ownerVerdict && !ownerVerdict.isAllowed ? ownerVerdict : allow('page-annotations-signature-widget', `page ${pageNumber} gained the widget of signature field "${owner.fullName}"`);
    }
    const annotation = await N.resolveDict(item).catch(() => undefined);
    const subtype = annotation?.getName('Subtype') ?? '?';
    let verdict: Verdict;
    if (policy.docMdp === 3 && COMMENT_SUBTYPES.has(subtype)) {
      verdict = (await checkAppearance(annotation?.get('AP'), `the /${subtype} annotation`, (n) => setVerdict(n, allow('annotation-added', `appearance of a /${subtype} annotation`)))) ??
        allow('annotation-added', `a /${subtype} comment was added to page ${pageNumber}`);
    } else {
      verdict = deny(
        'annotation-added-disallowed',
        `a /${subtype} annotation was added to page ${pageNumber}${policy.docMdp === null ? '' : ` of a document certified with /P ${policy.docMdp}`}; it can show content over the signed page`,
        policy.docMdp === null ? 'policy' : 'docmdp',
      );
    }
    setVerdict(item.num, { ...verdict, page: pageNumber });
    return verdict;
  };
  const annotsVerdict = async (oldValue: PdfObject | undefined, newValue: PdfObject | undefined, pageNumber: number): Promise<Verdict> => {
    const before = Array.isArray(oldValue) ? oldValue : [];
    const after = Array.isArray(newValue) ? newValue : [];
    const removed = before.filter((r) => !after.some((n) => sameValue(n, r)));
    if (removed.length > 0) return deny('annotation-removed', `annotations were removed from page ${pageNumber}: ${removed.map(String).join(', ')}`);
    let result = allow('page-annotations-signature-widget', `page ${pageNumber} gained signature widgets`);
    for (const item of after.filter((n) => !before.some((r) => sameValue(n, r)))) {
      const verdict = await annotationVerdict(item, pageNumber);
      if (!verdict.isAllowed && result.isAllowed) result = verdict;
      else if (verdict.isAllowed && verdict.code === 'annotation-added' && result.isAllowed) result = verdict;
    }
    return result;
  };
  for (const page of pagesNew ?? []) {
    const pageChange = changed.get(page.ref.num);
    if (pageChange) {
      const oldPage = pageChange.old instanceof PdfDict ? pageChange.old : undefined;
      if (!oldPage) {
        setVerdict(page.ref.num, { ...deny('pages-changed', `page ${page.pageNumber} was added or replaced`), page: page.pageNumber });
      } else {
        const keys = changedKeys(oldPage, page.dict).filter((k) => k !== 'Annots');
        if (keys.includes('Contents')) setVerdict(page.ref.num, { ...deny('page-content-changed', `the content of page ${page.pageNumber} was replaced`), page: page.pageNumber });
        else if (keys.includes('Resources')) setVerdict(page.ref.num, { ...deny('page-resources-changed', `the resources (images, fonts, drawings) of page ${page.pageNumber} were changed`), page: page.pageNumber });
        else if (keys.length > 0) setVerdict(page.ref.num, { ...deny('page-changed', `page ${page.pageNumber} changed: ${keys.map((k) => `/${k}`).join(', ')}`), page: page.pageNumber });
        else {
          const oldAnnots = await P.resolve(oldPage.get('Annots')).catch(() => undefined);
          const newAnnots = await N.resolve(page.dict.get('Annots')).catch(() => undefined);
          setVerdict(page.ref.num, { ...(await annotsVerdict(oldAnnots, newAnnots, page.pageNumber)), page: page.pageNumber });
        }
      }
    }
    const annotsRef = page.dict.get('Annots');
    if (annotsRef instanceof PdfRef && changed.has(annotsRef.num)) {
      const candidate = changed.get(annotsRef.num)!;
      const oldAnnotsOfPage = candidate.kind === 'added' ? await P.resolve((await P.resolveDict(page.ref).catch(() => undefined))?.get('Annots')).catch(() => undefined) : candidate.old;
      setVerdict(annotsRef.num, { ...(await annotsVerdict(oldAnnotsOfPage, candidate.value, page.pageNumber)), page: page.pageNumber });
    }
  }

  // 6. /DSS (ETSI EN 319 142-1 §5.4): validation data may be added at any /P.
  const dssNew = await collectRefs(N, catalogNew.get('DSS'));
  const dssOld = await collectRefs(P, catalogOld.get('DSS'));
  for (const num of dssNew) {
    if (!changed.has(num)) continue;
    setVerdict(num, isNew(num) || dssOld.has(num) ? allow('dss-updated', 'validation data (/DSS) added for long-term validation') : deny('object-changed', `object ${num} of the signed revision was rewritten as part of the /DSS`));
  }

  // 7. Document information and XMP metadata.
  for (const trailerRef of [N.trailer.get('Info'), P.trailer.get('Info')]) {
    if (trailerRef instanceof PdfRef && changed.has(trailerRef.num)) setVerdict(trailerRef.num, permit([2, 3], 'info-updated', 'the document information dictionary (title, dates) was updated'));
  }
  const metadata = catalogNew.get('Metadata');
  if (metadata instanceof PdfRef && changed.has(metadata.num) && (isNew(metadata.num) || sameValue(metadata, catalogOld.get('Metadata')))) {
    setVerdict(metadata.num, permit([2, 3], 'metadata-updated', 'the XMP metadata was updated'));
  }

  // 8. Everything else: structure is allowed; any other change or addition is not.
  let pageOfObject: Map<number, number> | undefined;
  const pageOf = async (num: number): Promise<number | null> => {
    if (!pageOfObject) {
      pageOfObject = new Map();
      const pages = pagesNew ?? (await readPages(N).catch(() => []));
      for (const page of pages) {
        const contents = page.dict.get('Contents');
        for (const ref of Array.isArray(contents) ? contents : [contents]) if (ref instanceof PdfRef) pageOfObject.set(ref.num, page.pageNumber);
        const resources = page.dict.get('Resources');
        if (resources instanceof PdfRef) pageOfObject.set(resources.num, page.pageNumber);
        for (const num of await collectRefs(N, resources, 2)) if (!pageOfObject.has(num)) pageOfObject.set(num, page.pageNumber);
      }
    }
    return pageOfObject.get(num) ?? null;
  };
  const changes: ObjectChange[] = [];
  for (const candidate of [...changed.values()].sort((x, y) => x.num - y.num)) {
    const shown = candidate.value ?? candidate.old;
    const objectType = candidate.isUnreadable ? 'unreadable' : describeType(shown);
    let verdict = verdicts.get(candidate.num);
    if (candidate.kind === 'deleted') verdict = deny('object-deleted', `object ${candidate.num} (${objectType}) of the signed revision was deleted`);
    if (!verdict) {
      const type = shown instanceof PdfStream ? shown.dict.getName('Type') : undefined;
      const wasStructure = candidate.old === undefined || (candidate.old instanceof PdfStream && ['XRef', 'ObjStm'].includes(candidate.old.dict.getName('Type') ?? ''));
      if (!candidate.isUnreadable && (type === 'XRef' || type === 'ObjStm') && wasStructure) continue;
      const page = candidate.kind === 'modified' ? await pageOf(candidate.num) : null;
      const oldType = candidate.old instanceof PdfDict ? candidate.old.getName('Type') : undefined;
      if (candidate.isUnreadable) verdict = deny('object-changed', `object ${candidate.num} changed and cannot be read`);
      else if (oldType === 'Pages' || oldType === 'Page') verdict = deny('pages-changed', `the page tree changed (object ${candidate.num}, ${oldType}): pages were added, removed or moved`);
      else if (candidate.kind === 'added') verdict = deny('object-added', `object ${candidate.num} (${objectType}) was added but no allowed change uses it`);
      else if (page !== null && shown instanceof PdfStream && !shown.dict.has('Type')) verdict = { ...deny('page-content-changed', `object ${candidate.num} (content stream) of page ${page} was changed`), page };
      else if (page !== null) verdict = { ...deny('page-resources-changed', `object ${candidate.num} (${objectType}), used by page ${page}, was changed`), page };
      else verdict = deny('object-changed', `object ${candidate.num} (${objectType}) of the signed revision was changed`);
    }
    changes.push({
      revision,
      objectNumber: candidate.num,
      generation: candidate.gen,
      kind: candidate.kind,
      objectType,
      page: verdict.page ?? null,
      isAllowed: verdict.isAllowed,
      code: verdict.code,
      message: verdict.message,
      violates: verdict.isAllowed ? null : verdict.violates,
      lockedBy: verdict.lockedBy,
    });
  }
  return changes;
}

