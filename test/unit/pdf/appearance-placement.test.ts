import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMapsignError } from '../../../src/errors.js';
import { placeStamp, placementForRect, visiblePageSizeMm, type PdfMatrix, type StampCorner, type StampPage } from '../../../src/pdf/appearance-placement.js';

const MM = 72 / 25.4;
const A1: StampPage = { mediaBox: [0, 0, 1684, 2384], cropBox: [0, 0, 1684, 2384], rotate: 0, userUnit: 1 };
const ROTATIONS = [0, 90, 180, 270] as const;

/** Where a user-space point appears on the displayed page, in mm from its bottom left corner. */
function displayedMm(page: StampPage, ux: number, uy: number): [number, number] {
  const [x0, y0, x1, y1] = page.cropBox;
  const [vx, vy] = {
    0: [ux - x0, uy - y0],
    90: [uy - y0, x1 - ux],
    180: [x1 - ux, y1 - uy],
    270: [y1 - uy, ux - x0],
  }[page.rotate] as [number, number];
  return [(vx * page.userUnit) / MM, (vy * page.userUnit) / MM];
}

/** The displayed box of a /Rect, in mm: [left, bottom, right, top]. */
function displayedBox(page: StampPage, rect: [number, number, number, number]): [number, number, number, number] {
  const [ax, ay] = displayedMm(page, rect[0], rect[1]);
  const [bx, by] = displayedMm(page, rect[2], rect[3]);
  return [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
}

function apply(m: PdfMatrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** Where the stamp's own "up" direction points on the displayed page. */
function displayedUp(page: StampPage, matrix: PdfMatrix): [number, number] {
  const [ox, oy] = apply(matrix, 0, 0);
  const [ux, uy] = apply(matrix, 0, 1);
  const [ax, ay] = displayedMm(page, ox, oy);
  const [bx, by] = displayedMm(page, ux, uy);
  return [Math.sign(Math.round((bx - ax) * 1e6)), Math.sign(Math.round((by - ay) * 1e6))];
}

describe('placeStamp', () => {
  it.each(ROTATIONS)('puts a box measured from the bottom right corner there on a page with /Rotate %i', (rotate) => {
    const page = { ...A1, rotate };
    const placement = placeStamp(page, { box: { x: 10, y: 12, width: 98, height: 46 } });
    const size = visiblePageSizeMm(page);
    const [left, bottom, right, top] = displayedBox(page, placement.rect);
    expect(size.width - right).toBeCloseTo(10, 2);
    expect(bottom).toBeCloseTo(12, 2);
    expect(right - left).toBeCloseTo(98, 2);
    expect(top - bottom).toBeCloseTo(46, 2);
    expect(placement.isClamped).toBe(false);
  });

  it.each(ROTATIONS)('turns the appearance so that it reads upright on a page with /Rotate %i', (rotate) => {
    const page = { ...A1, rotate };
    const placement = placeStamp(page, { box: { x: 10, y: 10, width: 98, height: 46 } });
    expect(displayedUp(page, placement.matrix)).toEqual([0, 1]);
    // The form's bounding box, transformed by /Matrix, has the size of /Rect: only a translation remains (§12.5.5).
    const corners = [apply(placement.matrix, 0, 0), apply(placement.matrix, placement.width, placement.height)];
    const [r0, r1, r2, r3] = placement.rect;
    expect(Math.abs(corners[1]![0] - corners[0]![0])).toBeCloseTo(r2 - r0, 2);
    expect(Math.abs(corners[1]![1] - corners[0]![1])).toBeCloseTo(r3 - r1, 2);
  });

  it.each<[StampCorner, (b: [number, number, number, number], s: { width: number; height: number }) => [number, number]]>([
    ['br', (b, s) => [s.width - b[2], b[1]]],
    ['bl', (b) => [b[0], b[1]]],
    ['tr', (b, s) => [s.width - b[2], s.height - b[3]]],
    ['tl', (b, s) => [b[0], s.height - b[3]]],
  ])('measures x and y from the %s corner of the displayed page', (corner, offsets) => {
    for (const rotate of ROTATIONS) {
      const page = { ...A1, rotate };
      const placement = placeStamp(page, { box: { x: 25, y: 40, width: 60, height: 30 }, corner });
      const [x, y] = offsets(displayedBox(page, placement.rect), visiblePageSizeMm(page));
      expect(x).toBeCloseTo(25, 2);
      expect(y).toBeCloseTo(40, 2);
    }
  });

  it('converts millimetres to page units through /UserUnit', () => {
    const page = { ...A1, userUnit: 2 };
    const placement = placeStamp(page, { box: { x: 10, y: 10, width: 98, height: 46 } });
    const [x0, y0, x1, y1] = placement.rect;
    expect(x1 - x0).toBeCloseTo((98 * MM) / 2, 2);
    expect(y1 - y0).toBeCloseTo((46 * MM) / 2, 2);
    expect(1684 - x1).toBeCloseTo((10 * MM) / 2, 2);
    expect(placement.matrix).toEqual([0.5, 0, 0, 0.5, 0, 0]);
    expect(placement.width).toBeCloseTo(98 * MM, 6);
  });

  it('measures from the visible crop box, not the media box', () => {
    const page: StampPage = { ...A1, cropBox: [36, 54, 1648, 2348] };
    const placement = placeStamp(page, { box: { x: 10, y: 10, width: 50, height: 20 } });
    expect(placement.rect[2]).toBeCloseTo(1648 - 10 * MM, 2);
    expect(placement.rect[1]).toBeCloseTo(54 + 10 * MM, 2);
  });

  it('clips the crop box to the media box', () => {
    const page: StampPage = { ...A1, cropBox: [-100, -100, 5000, 5000] };
    const placement = placeStamp(page, { box: { x: 0, y: 0, width: 50, height: 20 } });
    expect(placement.rect[2]).toBeCloseTo(1684, 2);
    expect(placement.rect[1]).toBeCloseTo(0, 2);
  });

  it('moves a box whose offsets run past the page inside it, and says so', () => {
    const placement = placeStamp(A1, { box: { x: 580, y: 830, width: 98, height: 46 } });
    expect(placement.isClamped).toBe(true);
    const [x0, y0, x1, y1] = placement.rect;
    expect(x0).toBeCloseTo(0, 2);
    expect(y1).toBeCloseTo(2384, 2);
    expect(x1).toBeLessThanOrEqual(1684);
    expect(y0).toBeGreaterThanOrEqual(0);
    expect(placement.box.x).toBeCloseTo(594.08 - 98, 1);
  });

  it('refuses a box larger than the visible page with STAMP_OFF_PAGE', () => {
    const attempt = (): unknown => placeStamp({ ...A1, rotate: 90 }, { box: { x: 0, y: 0, width: 100, height: 600 } });
    expect(attempt).toThrow();
    try {
      attempt();
    } catch (error) {
      expect(isMapsignError(error, 'STAMP_OFF_PAGE')).toBe(true);
    }
  });

  it('refuses negative offsets and empty boxes as usage errors', () => {
    expect(() => placeStamp(A1, { box: { x: -1, y: 0, width: 10, height: 10 } })).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
    expect(() => placeStamp(A1, { box: { x: 0, y: 0, width: 0, height: 10 } })).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
  });

  it('always lands inside the visible page for any rotation, unit, crop box and box that fits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ROTATIONS),
        fc.constantFrom(0.5, 1, 2, 3.7),
        fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 })),
        fc.constantFrom<StampCorner>('br', 'bl', 'tr', 'tl'),
        fc.tuple(fc.double({ min: 0, max: 2000, noNaN: true }), fc.double({ min: 0, max: 2000, noNaN: true })),
        fc.tuple(fc.double({ min: 1, max: 300, noNaN: true }), fc.double({ min: 1, max: 300, noNaN: true })),
        (rotate, userUnit, [cx, cy], corner, [x, y], [width, height]) => {
          const page: StampPage = { mediaBox: [0, 0, 1684, 2384], cropBox: [cx, cy, 1684 - cx, 2384 - cy], rotate, userUnit };
          const size = visiblePageSizeMm(page);
          if (width > size.width || height > size.height) return;
          const [r0, r1, r2, r3] = placeStamp(page, { box: { x, y, width, height }, corner }).rect;
          const tolerance = 0.01;
          expect(r0).toBeGreaterThanOrEqual(cx - tolerance);
          expect(r1).toBeGreaterThanOrEqual(cy - tolerance);
          expect(r2).toBeLessThanOrEqual(1684 - cx + tolerance);
          expect(r3).toBeLessThanOrEqual(2384 - cy + tolerance);
        },
      ),
    );
  });
});

describe('placementForRect', () => {
  it.each(ROTATIONS)('fills an existing widget rectangle upright on a page with /Rotate %i', (rotate) => {
    const page = { ...A1, rotate, userUnit: 2 };
    const rect: [number, number, number, number] = [1000, 100, 1200, 180];
    const placement = placementForRect(page, rect);
    expect(placement.rect).toEqual(rect);
    expect(displayedUp(page, placement.matrix)).toEqual([0, 1]);
    const isQuarterTurn = rotate === 90 || rotate === 270;
    expect(placement.width).toBeCloseTo((isQuarterTurn ? 80 : 200) * 2, 6);
    expect(placement.height).toBeCloseTo((isQuarterTurn ? 200 : 80) * 2, 6);
  });
});
