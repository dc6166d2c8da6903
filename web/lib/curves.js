// @ts-check
/**
 * Strength curves: seed 004's padding, evaluation, the keyframe compiler and the staircase simulation.
 * Twin of `modules/curves.py` (same arithmetic in the same order, so both give identical numbers);
 * the module docstring there explains the keyframe semantics and the accuracy bound.
 * Points are `{x, y}` objects, as in the editor and `schedule_config`.
 */

/** @typedef {{x: number, y: number}} Point */
/** @typedef {{startPercent: number, strength: number, guaranteeSteps: number}} Keyframe */

export const PAD_RAMP = 0.001;
export const DEFAULT_TOLERANCE = 0.005;
export const DEFAULT_RESOLUTION = 0.001;
const MERGE_EPS = 1e-12;

/**
 * Points checked (finite, x in [0, 1]) and sorted by x (stable).
 * @param {Point[]} points
 * @returns {Point[]}
 */
function checkPoints(points) {
  const checked = points.map((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new RangeError(`curve point ${i + 1} (${p.x}, ${p.y}) is not finite`);
    }
    if (!(p.x >= 0 && p.x <= 1)) throw new RangeError(`curve point ${i + 1}: x=${p.x} is outside [0, 1]`);
    return { x: p.x, y: p.y };
  });
  return checked.sort((a, b) => a.x - b.x);
}

/**
 * Seed 004's padding: sorted, then 0 at x=0 and x=1 with a 0.001 ramp to the first/last point.
 * @param {Point[]} points
 * @returns {Point[]}
 */
export function padPoints(points) {
  const pts = checkPoints(points);
  if (pts.length === 0) return [];
  const firstX = pts[0].x;
  const lastX = pts[pts.length - 1].x;
  /** @type {Point[]} */
  const head = [];
  /** @type {Point[]} */
  const tail = [];
  if (firstX > 0) {
    head.push({ x: 0, y: 0 });
    if (firstX > PAD_RAMP) head.push({ x: firstX - PAD_RAMP, y: 0 });
  }
  if (lastX < 1) {
    if (lastX < 1 - PAD_RAMP) tail.push({ x: lastX + PAD_RAMP, y: 0 });
    tail.push({ x: 1, y: 0 });
  }
  return [...head, ...pts, ...tail];
}

/**
 * The curve at x: linear between points, 0 outside [first x, last x]; at a vertical jump the later
 * point holds from that x on.
 * @param {Point[]} points
 * @param {number} x
 * @returns {number}
 */
export function evaluate(points, x) {
  const pts = [...points].sort((a, b) => a.x - b.x);
  if (pts.length === 0 || x < pts[0].x || x > pts[pts.length - 1].x) return 0;
  let lo = 0;
  let hi = pts.length - 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (pts[mid].x <= x) lo = mid;
    else hi = mid - 1;
  }
  if (lo === pts.length - 1) return pts[lo].y;
  const a = pts[lo];
  const b = pts[lo + 1];
  return a.y + (b.y - a.y) * ((x - a.x) / (b.x - a.x));
}

/**
 * @param {Point[]} pts padded points
 * @param {number} tolerance
 * @param {number} resolution
 * @returns {Array<[number, number]>} (start, value) pieces before merging
 */
function pieces(pts, tolerance, resolution) {
  /** @type {Array<[number, number]>} */
  const out = [];
  /** @param {number} start @param {number} value */
  const put = (start, value) => {
    if (out.length && start <= out[out.length - 1][0]) out[out.length - 1] = [out[out.length - 1][0], value];
    else out.push([start, value]);
  };
  for (let i = 0; i + 1 < pts.length; i++) {
    const { x: x0, y: y0 } = pts[i];
    const { x: x1, y: y1 } = pts[i + 1];
    const width = x1 - x0;
    if (width <= 0) continue;
    put(x0, y0);
    if (y1 === y0) continue;
    // The 1e-9 keeps float noise (0.3 - 0.299 > 0.001) from adding a piece.
    const n = Math.min(
      Math.ceil(Math.abs(y1 - y0) / (2 * tolerance) - 1e-9),
      Math.max(1, Math.ceil(width / resolution - 1e-9)),
    );
    for (let k = 1; k <= n; k++) {
      const start = x0 + width * ((2 * k - 1) / (2 * n));
      put(start, k === n ? y1 : y0 + (y1 - y0) * (k / n));
    }
  }
  return out;
}

/**
 * Keyframes that make the curve run as drawn in ComfyUI, or null when it is 0 everywhere (skip).
 * @param {Point[]} points
 * @param {number} [tolerance]
 * @param {number} [resolution]
 * @returns {Keyframe[] | null}
 */
export function compileCurve(points, tolerance = DEFAULT_TOLERANCE, resolution = DEFAULT_RESOLUTION) {
  if (!(tolerance > 0 && resolution > 0)) {
    throw new RangeError(`tolerance and resolution must be > 0, got ${tolerance} and ${resolution}`);
  }
  const pts = padPoints(points);
  if (pts.length === 0) throw new RangeError("a curve needs at least one point");
  /** @type {Array<[number, number]>} */
  const merged = [];
  for (const [start, value] of pieces(pts, tolerance, resolution)) {
    if (merged.length && Math.abs(value - merged[merged.length - 1][1]) <= MERGE_EPS) continue;
    merged.push([start, value]);
  }
  if (merged.every(([, value]) => value === 0)) return null;
  return merged.map(([startPercent, strength], i) => ({ startPercent, strength, guaranteeSteps: i === 0 ? 1 : 0 }));
}

/**
 * Strength ComfyUI applies at each step, given each step's sigma percent (HookKeyframeGroup in percent space).
 * @param {Keyframe[] | null} keyframes
 * @param {number[]} sigmasPercent
 * @returns {number[]}
 */
export function simulateKeyframes(keyframes, sigmasPercent) {
  if (keyframes === null) return sigmasPercent.map(() => 0);
  if (keyframes.length === 0) return sigmasPercent.map(() => 1);
  const kfs = [...keyframes].sort((a, b) => a.startPercent - b.startPercent);
  const minQ = sigmasPercent.length ? Math.min(...sigmasPercent) : 0;
  /** @param {Keyframe} kf */
  const guarantee = (kf) => (kf.startPercent < minQ ? 0 : kf.guaranteeSteps);
  let index = 0;
  let used = 0;
  /** @type {number | null} */
  let lastQ = null;
  const out = [];
  for (const q of sigmasPercent) {
    if (q !== lastQ) {
      if (used >= guarantee(kfs[index])) {
        for (let j = index + 1; j < kfs.length; j++) {
          if (kfs[j].startPercent <= q) {
            index = j;
            used = 0;
            if (guarantee(kfs[j]) > 0) break;
          } else break;
        }
      }
      used += 1;
      lastQ = q;
    }
    out.push(kfs[index].strength);
  }
  return out;
}

/**
 * Sigma percents of evenly spaced steps.
 * @param {number} steps
 * @returns {number[]}
 */
export function linearPercents(steps) {
  return Array.from({ length: steps }, (_, i) => i / steps);
}

/**
 * Strength per step that ComfyUI will apply (the editor's staircase preview).
 * @param {Point[]} points
 * @param {number} steps
 * @param {number[] | null} [sigmasPercent] each step's sigma percent; evenly spaced when omitted
 * @param {number} [tolerance]
 * @param {number} [resolution]
 * @returns {number[]}
 */
export function staircase(points, steps, sigmasPercent = null, tolerance = DEFAULT_TOLERANCE,
  resolution = DEFAULT_RESOLUTION) {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`steps must be >= 1, got ${steps}`);
  const percents = sigmasPercent ?? linearPercents(steps);
  if (percents.length !== steps) throw new RangeError(`${percents.length} sigma percents for ${steps} steps`);
  return simulateKeyframes(compileCurve(points, tolerance, resolution), percents);
}
