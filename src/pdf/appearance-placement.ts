// Places a visible signature stamp on a page (ISO 32000-2 §14.11.2 page boundaries, §7.7.3.3
// /Rotate and /UserUnit, §12.5.5 appearance streams): a box given in millimetres from a corner of
// the page as the viewer sees it becomes a /Rect in default user space and a form /Matrix that
// turns the stamp's content upright on a rotated page.

import { MapsignError } from '../errors.js';

/** The corner the box is measured from, as the page is displayed: bottom right, bottom left, top right, top left. */
export type StampCorner = 'br' | 'bl' | 'tr' | 'tl';

/** Every corner, for option parsers. */
export const STAMP_CORNERS: readonly StampCorner[] = ['br', 'bl', 'tr', 'tl'];

/** A box in millimetres: `x` and `y` are the distances from the chosen corner to the box's nearest corner. */
export interface StampBoxMm {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What placement needs of a page: the reader's `PageInfo` fits. */
export interface StampPage {
  mediaBox: [number, number, number, number];
  cropBox: [number, number, number, number];
  rotate: 0 | 90 | 180 | 270;
  userUnit: number;
}

export interface PlaceStampOptions {
  box: StampBoxMm;
  /** Default: 'br', the title block of a cadastral sheet. */
  corner?: StampCorner;
}

export type PdfMatrix = [number, number, number, number, number, number];

export interface StampPlacement {
  /** The widget's /Rect in default user space (page units). */
  rect: [number, number, number, number];
  /** The appearance form's /Matrix: rotates by /Rotate counter-clockwise and scales points to page units. */
  matrix: PdfMatrix;
  /** The stamp's size as the viewer sees it, in points (1/72 inch): the appearance is drawn in this space. */
  width: number;
  height: number;
  /** The box actually used, in millimetres from `corner` (differs from the request when clamped). */
  box: StampBoxMm;
  corner: StampCorner;
  /** The requested position ran past an edge of the visible page and was moved inside it. */
  isClamped: boolean;
}

const POINTS_PER_MM = 72 / 25.4;
/** Tolerance for rounding when a box exactly as large as the page is asked for. */
const EPSILON = 1e-6;

/** Millimetres to points (1/72 inch). */
export function millimetresToPoints(mm: number): number {
  return mm * POINTS_PER_MM;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The visible area: the crop box clipped to the media box (§14.11.2). */
export function visibleBox(page: StampPage): [number, number, number, number] {
  const [mx0, my0, mx1, my1] = page.mediaBox;
  const [cx0, cy0, cx1, cy1] = page.cropBox;
  const box: [number, number, number, number] = [Math.max(mx0, cx0), Math.max(my0, cy0), Math.min(mx1, cx1), Math.min(my1, cy1)];
  if (box[2] <= box[0] || box[3] <= box[1]) return page.mediaBox;
  return box;
}

/** Width and height of the visible page as displayed, in page units (they swap under /Rotate 90 and 270). */
function displayedSize(page: StampPage): { width: number; height: number } {
  const [x0, y0, x1, y1] = visibleBox(page);
  const isQuarterTurn = page.rotate === 90 || page.rotate === 270;
  return { width: isQuarterTurn ? y1 - y0 : x1 - x0, height: isQuarterTurn ? x1 - x0 : y1 - y0 };
}

/** Size of the visible page in millimetres as displayed. */
export function visiblePageSizeMm(page: StampPage): { width: number; height: number } {
  const size = displayedSize(page);
  const toMm = (units: number): number => (units * page.userUnit) / POINTS_PER_MM;
  return { width: toMm(size.width), height: toMm(size.height) };
}

/** Maps a point of the displayed page (page units, origin at the visible area's displayed bottom left) to default user space. */
function displayedToUser(page: StampPage, vx: number, vy: number): [number, number] {
  const [x0, y0, x1, y1] = visibleBox(page);
  switch (page.rotate) {
    case 90:
      return [x1 - vy, y0 + vx];
    case 180:
      return [x1 - vx, y1 - vy];
    case 270:
      return [x0 + vy, y1 - vx];
    default:
      return [x0 + vx, y0 + vy];
  }
}

/** The inverse of `displayedToUser`. */
function userToDisplayed(page: StampPage, ux: number, uy: number): [number, number] {
  const [x0, y0, x1, y1] = visibleBox(page);
  switch (page.rotate) {
    case 90:
      return [uy - y0, x1 - ux];
    case 180:
      return [x1 - ux, y1 - uy];
    case 270:
      return [y1 - uy, ux - x0];
    default:
      return [ux - x0, uy - y0];
  }
}

/** The form /Matrix for a stamp drawn upright in points, [0 0 width height], on a page of this /Rotate and /UserUnit. */
function formMatrix(page: StampPage, width: number, height: number): PdfMatrix {
  // The viewer turns the page clockwise by /Rotate, so the form turns counter-clockwise by as
  // much, and scales points to page units: its transformed bounding box then has exactly the
  // size of /Rect, and the §12.5.5 algorithm only translates it.
  const s = 1 / page.userUnit;
  switch (page.rotate) {
    case 90:
      return [0, s, -s, 0, s * height, 0];
    case 180:
      return [-s, 0, 0, -s, s * width, s * height];
    case 270:
      return [0, -s, s, 0, 0, s * width];
    default:
      return [s, 0, 0, s, 0, 0];
  }
}

function checkBox(box: StampBoxMm): void {
  const values = [box.x, box.y, box.width, box.height];
  if (!values.every((v) => Number.isFinite(v)) || box.width <= 0 || box.height <= 0 || box.x < 0 || box.y < 0) {
    throw new MapsignError('USAGE_INVALID', `stamp box ${values.join(',')} mm must have x, y ≥ 0 and a positive width and height`);
  }
}

/**
 * Computes the widget /Rect and the appearance /Matrix for a stamp box. Refuses with
 * `STAMP_OFF_PAGE` a box larger than the visible page; a box that fits but whose offsets run past
 * an edge is moved inside the page (`isClamped`).
 */
export function placeStamp(page: StampPage, options: PlaceStampOptions): StampPlacement {
  const corner = options.corner ?? 'br';
  checkBox(options.box);
  const toUnits = (mm: number): number => millimetresToPoints(mm) / page.userUnit;
  const toMm = (units: number): number => round((units * page.userUnit) / POINTS_PER_MM);
  const shown = displayedSize(page);
  const width = toUnits(options.box.width);
  const height = toUnits(options.box.height);
  if (width > shown.width + EPSILON || height > shown.height + EPSILON) {
    const size = visiblePageSizeMm(page);
    throw new MapsignError(
      'STAMP_OFF_PAGE',
      `a stamp of ${options.box.width} × ${options.box.height} mm does not fit the visible page of ${size.width.toFixed(1)} × ${size.height.toFixed(1)} mm`,
      { details: { width: options.box.width, height: options.box.height, pageWidth: round(size.width), pageHeight: round(size.height) } },
    );
  }
  const isRight = corner === 'br' || corner === 'tr';
  const isTop = corner === 'tr' || corner === 'tl';
  const wantedX = isRight ? shown.width - toUnits(options.box.x) - width : toUnits(options.box.x);
  const wantedY = isTop ? shown.height - toUnits(options.box.y) - height : toUnits(options.box.y);
  const vx = Math.min(Math.max(wantedX, 0), Math.max(0, shown.width - width));
  const vy = Math.min(Math.max(wantedY, 0), Math.max(0, shown.height - height));
  const isClamped = Math.abs(vx - wantedX) > EPSILON || Math.abs(vy - wantedY) > EPSILON;

  const [ax, ay] = displayedToUser(page, vx, vy);
  const [bx, by] = displayedToUser(page, vx + width, vy + height);
  const rect: [number, number, number, number] = [round(Math.min(ax, bx)), round(Math.min(ay, by)), round(Math.max(ax, bx)), round(Math.max(ay, by))];
  const w = millimetresToPoints(options.box.width);
  const h = millimetresToPoints(options.box.height);
  return {
    rect,
    matrix: formMatrix(page, w, h),
    width: w,
    height: h,
    box: {
      x: toMm(isRight ? shown.width - vx - width : vx),
      y: toMm(isTop ? shown.height - vy - height : vy),
      width: options.box.width,
      height: options.box.height,
    },
    corner,
    isClamped,
  };
}

/** The placement of a stamp that fills an existing widget's /Rect (its box measured from the bottom right corner). */
export function placementForRect(page: StampPage, rect: [number, number, number, number]): StampPlacement {
  const [x0, y0, x1, y1] = [Math.min(rect[0], rect[2]), Math.min(rect[1], rect[3]), Math.max(rect[0], rect[2]), Math.max(rect[1], rect[3])];
  const [ax, ay] = userToDisplayed(page, x0, y0);
  const [bx, by] = userToDisplayed(page, x1, y1);
  const width = Math.abs(bx - ax) * page.userUnit;
  const height = Math.abs(by - ay) * page.userUnit;
  if (!(width > 0 && height > 0)) throw new MapsignError('USAGE_INVALID', 'the signature field has an empty /Rect; it cannot show a stamp');
  const toMm = (units: number): number => round((units * page.userUnit) / POINTS_PER_MM);
  return {
    rect: [x0, y0, x1, y1],
    matrix: formMatrix(page, width, height),
    width,
    height,
    box: { x: toMm(displayedSize(page).width - Math.max(ax, bx)), y: toMm(Math.min(ay, by)), width: round(width / POINTS_PER_MM), height: round(height / POINTS_PER_MM) },
    corner: 'br',
    isClamped: false,
  };
}
