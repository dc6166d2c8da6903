// @ts-check
/**
 * Pure edits of one curve's points for the editor: snap, add, move (several at once), delete, resample.
 * Every function returns new arrays; points are `{x, y}` with x in [0, 1], sorted by x.
 * Selections are Sets of indices into the returned (sorted) array.
 */

import { formatNumber } from "./schedule.js";

/** @typedef {{x: number, y: number}} Point */

export const MIN_SNAP = 0.001;
export const MAX_RESAMPLE = 200;
export const INTERPOLATIONS = /** @type {const} */ (["linear", "ease", "cubic", "step"]);

/** The number as the schedule string will write it (4 decimals), so the editor shows what runs. @param {number} v */
export const round4 = (v) => Number(formatNumber(v)) + 0;

const clamp01 = (/** @type {number} */ v) => Math.min(1, Math.max(0, v));

/** @param {number} value @param {number} interval */
export function snapValue(value, interval) {
  if (!(interval >= MIN_SNAP)) return value;
  return Number((Math.round(value / interval) * interval).toFixed(10)) + 0;
}

/**
 * @param {Point[]} points @param {Set<Point>} chosen
 * @returns {{points: Point[], selection: Set<number>}}
 */
function sortKeeping(points, chosen) {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  return { points: sorted, selection: new Set(sorted.flatMap((p, i) => (chosen.has(p) ? [i] : []))) };
}

/**
 * Add a point (x clamped to [0, 1]); it becomes the selection.
 * @param {Point[]} points @param {Point} point
 */
export function addPoint(points, point) {
  const added = { x: round4(clamp01(point.x)), y: round4(point.y) };
  return sortKeeping([...points, added], new Set([added]));
}

/**
 * Move the selected points by (dx, dy) from where they were when the drag began (`origin`), keeping
 * every x in [0, 1]; the whole selection stops together at an edge so its shape is kept.
 * @param {Point[]} origin points at drag start @param {Set<number>} selection @param {number} dx @param {number} dy
 */
export function movePoints(origin, selection, dx, dy) {
  const xs = [...selection].map((i) => origin[i].x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const shift = Math.min(1 - hi, Math.max(-lo, dx));
  /** @type {Set<Point>} */
  const chosen = new Set();
  const moved = origin.map((p, i) => {
    if (!selection.has(i)) return p;
    const q = { x: round4(clamp01(p.x + shift)), y: round4(p.y + dy) };
    chosen.add(q);
    return q;
  });
  return sortKeeping(moved, chosen);
}

/**
 * Delete the selected points; a curve keeps at least one point (returns null when nothing would remain).
 * @param {Point[]} points @param {Set<number>} selection
 * @returns {Point[] | null}
 */
export function deletePoints(points, selection) {
  const kept = points.filter((_, i) => !selection.has(i));
  return kept.length ? kept : null;
}

/** @type {Record<string, (t: number) => number>} */
const EASES = {
  linear: (t) => t,
  ease: (t) => (1 - Math.cos(Math.PI * t)) / 2,
  cubic: (t) => (t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2),
  step: (t) => (t < 1 ? 0 : 1),
};

/**
 * The curve at x in [first x, last x], with `interpolation` between neighbouring points.
 * @param {Point[]} sorted @param {number} x @param {string} interpolation
 */
export function interpolate(sorted, x, interpolation) {
  const ease = EASES[interpolation];
  if (!ease) throw new RangeError(`unknown interpolation ${JSON.stringify(interpolation)}; use ${INTERPOLATIONS.join(", ")}`);
  if (x <= sorted[0].x) return sorted[0].y;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i];
    const b = sorted[i + 1];
    if (x < b.x || (x === b.x && i + 2 === sorted.length)) {
      if (b.x === a.x) return b.y;
      return a.y + (b.y - a.y) * ease((x - a.x) / (b.x - a.x));
    }
  }
  return sorted[sorted.length - 1].y;
}

/**
 * `count` evenly spaced points over the whole curve (first x to last x), following every point of the
 * shape with the chosen interpolation between them (the seed used only the two end points).
 * @param {Point[]} points @param {number} count @param {string} interpolation
 * @returns {Point[]}
 */
export function resample(points, count, interpolation) {
  if (!(Number.isInteger(count) && count >= 2 && count <= MAX_RESAMPLE)) {
    throw new RangeError(`resample: point count must be a whole number from 2 to ${MAX_RESAMPLE}, got ${count}`);
  }
  if (points.length === 0) throw new RangeError("resample: the curve has no points");
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const x0 = sorted[0].x;
  const x1 = sorted[sorted.length - 1].x;
  return Array.from({ length: count }, (_, i) => {
    const x = i === count - 1 ? x1 : x0 + ((x1 - x0) * i) / (count - 1);
    return { x: round4(x), y: round4(interpolate(sorted, x, interpolation)) };
  });
}

/**
 * Indices of points inside a rectangle in curve coordinates.
 * @param {Point[]} points @param {{x0: number, x1: number, y0: number, y1: number}} box
 */
export function pointsInBox(points, box) {
  const [xa, xb] = [Math.min(box.x0, box.x1), Math.max(box.x0, box.x1)];
  const [ya, yb] = [Math.min(box.y0, box.y1), Math.max(box.y0, box.y1)];
  return new Set(points.flatMap((p, i) => (p.x >= xa && p.x <= xb && p.y >= ya && p.y <= yb ? [i] : [])));
}
