// The appearance stream of a visible signature stamp (ISO 32000-2 §12.5.5 appearance streams,
// §8.10 form XObjects, §9.7 Type 0 fonts with /ToUnicode §9.10.3): text lines in an embedded,
// subsetted Be Vietnam Pro, the signer's signature image with the organisation's seal over its left
// third, and a QR code. Fonts and images are built straight into our object model by our own small
// TrueType subsetter and PNG decoder: no pdf-lib or fontkit at signing time.

import { deflateSync } from 'node:zlib';
import { MapsignError } from '../errors.js';
import { StampFont, type StampFontWeight } from './appearance-font.js';
import { pngToImageObjects } from './appearance-image.js';
import type { PdfMatrix } from './appearance-placement.js';
import { drawQrCode } from './appearance-qr.js';
import type { IncrementObject } from './incremental-writer.js';
import { PdfNewStream, PdfRef, dict, name, type PdfDict, type PdfObject } from './objects.js';

export type { StampFontWeight } from './appearance-font.js';

/** One line of the stamp, its text already filled in. */
export interface StampTextLine {
  text: string;
  /** Default 'regular'. */
  weight?: StampFontWeight;
  /** Default 'center'. */
  align?: 'left' | 'center';
  /** Font size in points before fitting (lines shrink to fit the box); default 7. */
  size?: number;
  /** Above the images ('header') or below them ('footer', the default). */
  position?: 'header' | 'footer';
}

export interface StampAppearanceOptions {
  /** Size of the stamp as the viewer sees it, in points. */
  width: number;
  height: number;
  /** The form's /Matrix (see `placeStamp`); default identity. */
  matrix?: PdfMatrix;
  lines: StampTextLine[];
  /** PNG of the signer's handwritten signature (transparency becomes an /SMask). */
  signatureImage?: Uint8Array;
  /** PNG of the organisation's seal, drawn over the signature's left third. */
  sealImage?: Uint8Array;
  /** Text of the QR code, typically the sheet's verification URL. */
  qrText?: string;
  /** A white background under the stamp (default true): legible over an orthophoto. */
  hasBackground?: boolean;
  /** A thin frame round the stamp (default true). */
  hasBorder?: boolean;
  /** The first object number the stamp's fonts and images may use. */
  firstObjectNumber: number;
}

export interface StampAppearance {
  /** The form XObject for the widget's /AP /N; it refers to `objects`. */
  appearance: PdfNewStream;
  /** Fonts, font files, /ToUnicode maps, images and masks, numbered from `firstObjectNumber`. */
  objects: IncrementObject[];
  /** One past the highest object number used. */
  nextObjectNumber: number;
}

const FONT_RESOURCE: Record<StampFontWeight, string> = { regular: 'F1', semibold: 'F2' };
const DEFAULT_SIZE = 7;
/** Line pitch and baseline, in ems: Vietnamese capitals stack two marks above the cap height. */
const LEADING = 1.28;
const BASELINE_FROM_TOP = 1.04;
const MIN_IMAGE_SHARE = 0.28;
/** The signature's height as a share of the seal's, when both are drawn. */
const SIGNATURE_SHARE = 0.75;
const INK = '0 g';
const FRAME = '0.12 0.23 0.55 RG';

function num(value: number): string {
  const fixed = value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

interface PlacedLine {
  text: string;
  weight: StampFontWeight;
  align: 'left' | 'center';
  size: number;
  position: 'header' | 'footer';
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An image placed by its reference, with its size in pixels for the layout. */
interface StampImage {
  ref: PdfRef;
  width: number;
  height: number;
}

/** Fits an image of the given aspect ratio into a box, keeping its proportions. */
function fit(aspect: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const width = Math.min(maxWidth, maxHeight * aspect);
  return { width, height: width / aspect };
}

/** Lays the signature and the seal out in `area`: the seal's right edge a third of the way into the signature. */
function layoutImages(area: Box, signature: StampImage | undefined, seal: StampImage | undefined): { signature?: Box; seal?: Box } {
  const sigAspect = signature ? signature.width / signature.height : 1;
  const sealAspect = seal ? seal.width / seal.height : 1;
  if (signature && seal) {
    // Seal height h, signature height SIGNATURE_SHARE·h; the seal's right edge lies a third of the
    // way into the signature, so it stands out to the left as a stamped seal does.
    const sigPerHeight = SIGNATURE_SHARE * sigAspect;
    const groupPerHeight = sealAspect + (2 / 3) * sigPerHeight;
    const height = Math.min(area.height, area.width / groupPerHeight);
    const left = area.x + (area.width - height * groupPerHeight) / 2;
    const y = area.y + (area.height - height) / 2;
    const sealBox = { x: left, y, width: height * sealAspect, height };
    const sigBox = { x: left + sealBox.width - (height * sigPerHeight) / 3, y: y + (height * (1 - SIGNATURE_SHARE)) / 2, width: height * sigPerHeight, height: height * SIGNATURE_SHARE };
    return { seal: sealBox, signature: sigBox };
  }
  const only = signature ?? seal;
  if (!only) return {};
  const size = fit(only.width / only.height, area.width, area.height);
  const box = { x: area.x + (area.width - size.width) / 2, y: area.y + (area.height - size.height) / 2, ...size };
  return signature ? { signature: box } : { seal: box };
}

/** Builds the stamp's form XObject and the objects it needs. */
export async function buildStampAppearance(options: StampAppearanceOptions): Promise<StampAppearance> {
  const { width, height } = options;
  if (!(width > 0 && height > 0)) throw new MapsignError('USAGE_INVALID', `stamp size ${width} × ${height} pt must be positive`);
  const lines: PlacedLine[] = options.lines
    .map((line) => ({
      text: line.text.normalize('NFC').replace(/\s+/g, ' ').trim(),
      weight: line.weight ?? 'regular',
      align: line.align ?? 'center',
      size: line.size ?? DEFAULT_SIZE,
      position: line.position ?? 'footer',
    }))
    .filter((line) => line.text !== '');

  const objects: IncrementObject[] = [];
  let nextNumber = options.firstObjectNumber;
  const allocate = (): PdfRef => new PdfRef(nextNumber++, 0);
  const fonts = new Map<StampFontWeight, StampFont>();
  const fontResources: Array<[string, PdfObject]> = [];
  for (const weight of ['regular', 'semibold'] as const) {
    const texts = lines.filter((l) => l.weight === weight).map((l) => l.text);
    if (texts.length === 0) continue;
    const font = await StampFont.for(weight, texts);
    fonts.set(weight, font);
    const built = font.toObjects(allocate);
    objects.push(...built.objects);
    fontResources.push([FONT_RESOURCE[weight], built.ref]);
  }
  const embedImage = (bytes: Uint8Array | undefined, what: string): StampImage | undefined => {
    if (!bytes) return undefined;
    const built = pngToImageObjects(bytes, what, allocate);
    objects.push(...built.objects);
    return built;
  };
  const signature = embedImage(options.signatureImage, 'signature image');
  const seal = embedImage(options.sealImage, 'seal image');
  const hasImages = signature !== undefined || seal !== undefined;

  // Geometry, in points of the upright stamp.
  const pad = Math.min(6, Math.max(2, Math.min(width, height) * 0.045));
  const qrSide = options.qrText ? Math.min(height - 2 * pad, width * 0.3) : 0;
  const column: Box = { x: pad, y: pad, width: width - 2 * pad - (qrSide > 0 ? qrSide + pad : 0), height: height - 2 * pad };
  if (column.width <= 0 || column.height <= 0) throw new MapsignError('USAGE_INVALID', `stamp of ${num(width)} × ${num(height)} pt is too small for its content`);

  const widthOf = (line: PlacedLine, size: number): number => fonts.get(line.weight)!.widthOf(line.text, size);
  const textRoom = column.height * (hasImages ? 1 - MIN_IMAGE_SHARE : 1);
  const textHeight = lines.reduce((sum, l) => sum + l.size * LEADING, 0);
  const scale = textHeight > textRoom ? textRoom / textHeight : 1;
  for (const line of lines) {
    line.size *= scale;
    const natural = widthOf(line, line.size);
    if (natural > column.width) line.size *= column.width / natural;
  }

  const ops: string[] = [];
  if (options.hasBackground ?? true) ops.push(`q 1 g 0 0 ${num(width)} ${num(height)} re f Q`);
  if (options.hasBorder ?? true) {
    const lw = Math.max(0.4, pad * 0.15);
    ops.push(`q ${FRAME} ${num(lw)} w ${num(lw / 2)} ${num(lw / 2)} ${num(width - lw)} ${num(height - lw)} re S Q`);
  }

  const header = lines.filter((l) => l.position === 'header');
  const footer = lines.filter((l) => l.position === 'footer');
  const heightOf = (group: PlacedLine[]): number => group.reduce((sum, l) => sum + l.size * LEADING, 0);
  const drawLines = (group: PlacedLine[], top: number): void => {
    let y = top;
    for (const line of group) {
      const font = fonts.get(line.weight)!;
      const baseline = y - line.size * BASELINE_FROM_TOP;
      const x = line.align === 'left' ? column.x : column.x + (column.width - widthOf(line, line.size)) / 2;
      ops.push(`BT ${INK} /${FONT_RESOURCE[line.weight]} ${num(line.size)} Tf 1 0 0 1 ${num(x)} ${num(baseline)} Tm ${font.encode(line.text)} Tj ET`);
      y -= line.size * LEADING;
    }
  };
  const top = column.y + column.height;
  drawLines(header, top);
  const footerHeight = heightOf(footer);
  drawLines(footer, column.y + footerHeight);

  const imageArea: Box = { x: column.x, y: column.y + footerHeight, width: column.width, height: column.height - footerHeight - heightOf(header) };
  const placed = layoutImages({ ...imageArea, y: imageArea.y + imageArea.height * 0.04, height: imageArea.height * 0.92 }, signature, seal);
  const drawImage = (box: Box | undefined, resource: string): void => {
    if (box) ops.push(`q ${num(box.width)} 0 0 ${num(box.height)} ${num(box.x)} ${num(box.y)} cm /${resource} Do Q`);
  };
  drawImage(placed.signature, 'Im1');
  drawImage(placed.seal, 'Im2');
  if (qrSide > 0) ops.push((await drawQrCode(options.qrText!, width - pad - qrSide, pad, qrSide)).operators);

  const xobjects: Array<[string, PdfObject]> = [];
  if (signature) xobjects.push(['Im1', signature.ref]);
  if (seal) xobjects.push(['Im2', seal.ref]);
  const resources: PdfDict = dict({ ProcSet: [name('PDF'), name('Text'), name('ImageC')] });
  if (fontResources.length > 0) resources.set('Font', dict(Object.fromEntries(fontResources)));
  if (xobjects.length > 0) resources.set('XObject', dict(Object.fromEntries(xobjects)));

  const content = deflateSync(Buffer.from(`${ops.join('\n')}\n`, 'latin1'));
  const formDict = dict({
    Type: name('XObject'),
    Subtype: name('Form'),
    FormType: 1,
    BBox: [0, 0, width, height],
    Matrix: options.matrix ?? [1, 0, 0, 1, 0, 0],
    Resources: resources,
    Filter: name('FlateDecode'),
  });
  return { appearance: new PdfNewStream(formDict, content), objects, nextObjectNumber: nextNumber };
}
