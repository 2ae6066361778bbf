// A signature field with a visible stamp (ISO 32000-2 §12.7.5.5, §12.5.6.19 widgets, §12.5.5
// appearance streams): the field planned by `planSignatureField`, placed by `placeStamp`, its
// /AP /N the stamp's form XObject, and the stamp's fonts and images numbered after every object
// the field needs, so that the whole stamp goes into the signature's own incremental update.

import { MapsignError } from '../errors.js';
import { placeStamp, placementForRect, type StampBoxMm, type StampCorner, type StampPlacement } from './appearance-placement.js';
import { buildStampAppearance, type StampTextLine } from './appearance.js';
import { fillStampLines, type StampFields } from './appearance-templates.js';
import type { IncrementObject } from './incremental-writer.js';
import { PdfDict, PdfNewStream, PdfRef, dict, name } from './objects.js';
import type { PdfReader } from './pdf-reader.js';
import { planSignatureField, type SignatureFieldOptions, type SignatureFieldPlan } from './signature-field.js';

/** Everything needed to draw one stamp; `lines` may name {fields}. */
export interface VisibleStampOptions {
  box: StampBoxMm;
  /** Default 'br'. */
  corner?: StampCorner;
  lines: StampTextLine[];
  fields: StampFields;
  signatureImage?: Uint8Array;
  sealImage?: Uint8Array;
  /** Text of the QR code: the sheet's verification URL. */
  qrText?: string;
  hasBackground?: boolean;
  hasBorder?: boolean;
}

export interface StampedSignatureFieldOptions extends Omit<SignatureFieldOptions, 'rect' | 'appearance'> {
  stamp: VisibleStampOptions;
}

export interface StampedSignatureFieldPlan extends SignatureFieldPlan {
  /** Where the stamp went; for an existing empty field, its own /Rect. */
  placement: StampPlacement;
}

function firstFreeNumber(reader: PdfReader, plan: SignatureFieldPlan): number {
  let next = Math.max(reader.nextObjectNumber, plan.signatureRef.num + 1);
  for (const object of plan.objects) next = Math.max(next, object.ref.num + 1);
  return next;
}

function readRect(value: unknown): [number, number, number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((v) => typeof v === 'number')) return undefined;
  return value as [number, number, number, number];
}

/**
 * Plans a signature field whose widget shows the stamp. When an existing empty signature field is
 * filled, the stamp fills that widget's /Rect (the box chosen when the field was made wins).
 */
export async function planStampedSignatureField(reader: PdfReader, options: StampedSignatureFieldOptions): Promise<StampedSignatureFieldPlan> {
  const { stamp, ...fieldOptions } = options;
  const pageNumber = fieldOptions.pageNumber ?? (await reader.pageCount());
  const page = await reader.getPage(pageNumber);
  // A box that does not fit is an error only if the stamp needs it: an existing empty field has its own /Rect.
  let requested: StampPlacement | undefined;
  let placementError: unknown;
  try {
    requested = placeStamp(page, { box: stamp.box, corner: stamp.corner });
  } catch (error) {
    placementError = error;
  }
  // A stand-in appearance, replaced below once the field's own object numbers are known.
  const standIn = new PdfNewStream(dict({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, 0, 0] }), Buffer.alloc(0));
  const plan = await planSignatureField(reader, { ...fieldOptions, pageNumber, rect: requested?.rect ?? [0, 0, 0, 0], appearance: standIn });

  const objects: IncrementObject[] = [...plan.objects];
  let placement: StampPlacement;
  let standInAt = objects.findIndex((o) => o.value === standIn);
  if (standInAt >= 0) {
    if (!requested) throw placementError;
    placement = requested;
  } else {
    // An existing empty field was filled: give its widget an appearance of its own /Rect.
    const fieldAt = objects.findIndex((o) => o.ref.equals(plan.fieldRef));
    const field = objects[fieldAt]?.value;
    const rect = field instanceof PdfDict ? readRect(field.get('Rect')) : undefined;
    if (!(field instanceof PdfDict) || !rect) {
      throw new MapsignError('USAGE_INVALID', `signature field "${plan.fieldName}" has no widget rectangle of its own to draw the stamp in`);
    }
    placement = placementForRect(page, rect);
    const appearanceRef = new PdfRef(firstFreeNumber(reader, plan), 0);
    objects[fieldAt] = { ref: plan.fieldRef, value: field.clone().set('AP', dict({ N: appearanceRef })) };
    objects.push({ ref: appearanceRef, value: standIn });
    standInAt = objects.length - 1;
  }

  const fields: StampFields = { ...stamp.fields };
  const built = await buildStampAppearance({
    width: placement.width,
    height: placement.height,
    matrix: placement.matrix,
    lines: fillStampLines(stamp.lines, fields),
    signatureImage: stamp.signatureImage,
    sealImage: stamp.sealImage,
    qrText: stamp.qrText,
    hasBackground: stamp.hasBackground,
    hasBorder: stamp.hasBorder,
    firstObjectNumber: firstFreeNumber(reader, { ...plan, objects }),
  });
  objects[standInAt] = { ref: objects[standInAt]!.ref, value: built.appearance };
  objects.push(...built.objects);
  return { ...plan, objects, placement };
}
