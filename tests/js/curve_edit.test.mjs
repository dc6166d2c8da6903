// Curve edits of the editor: add, move several, delete, snap and resample over the whole shape.
import { test } from "node:test";
import assert from "node:assert/strict";

import { addPoint, deletePoints, interpolate, movePoints, pointsInBox, resample, snapValue } from "../../web/lib/curve_edit.js";
import { evaluate } from "../../web/lib/curves.js";

const ramp = [{ x: 0, y: 0 }, { x: 0.5, y: 1 }, { x: 1, y: 0 }];

test("snap rounds to the interval without float noise", () => {
  assert.equal(snapValue(0.3333, 0.05), 0.35);
  assert.equal(snapValue(0.71, 0.1), 0.7);
  assert.equal(snapValue(0.123, 0), 0.123, "no interval, no snap");
});

test("an added point is clamped to [0, 1], sorted in and selected", () => {
  const { points, selection } = addPoint(ramp, { x: 1.3, y: 0.25 });
  assert.deepEqual(points.at(-1), { x: 1, y: 0.25 });
  assert.deepEqual([...selection], [3]);
  const mid = addPoint(ramp, { x: 0.25, y: 2 });
  assert.deepEqual(mid.points.map((p) => p.x), [0, 0.25, 0.5, 1]);
  assert.deepEqual([...mid.selection], [1]);
});

test("moving a selection keeps its shape at the edge and re-sorts", () => {
  const { points, selection } = movePoints(ramp, new Set([0, 1]), -0.2, 0.5);
  assert.deepEqual(points.slice(0, 2), [{ x: 0, y: 0.5 }, { x: 0.5, y: 1.5 }], "stopped together at x=0");
  assert.deepEqual([...selection].sort(), [0, 1]);
  const past = movePoints(ramp, new Set([1]), 0.45, 0);
  assert.deepEqual(past.points.map((p) => p.x), [0, 0.95, 1]);
  const swapped = movePoints([{ x: 0.2, y: 0 }, { x: 0.4, y: 1 }], new Set([0]), 0.5, 0);
  assert.deepEqual(swapped.points, [{ x: 0.4, y: 1 }, { x: 0.7, y: 0 }]);
  assert.deepEqual([...swapped.selection], [1], "the selection follows the moved point");
});

test("deleting keeps at least one point", () => {
  assert.deepEqual(deletePoints(ramp, new Set([1])), [ramp[0], ramp[2]]);
  assert.equal(deletePoints(ramp, new Set([0, 1, 2])), null);
});

test("box selection", () => {
  assert.deepEqual([...pointsInBox(ramp, { x0: 0.6, x1: -1, y0: -1, y1: 2 })], [0, 1]);
});

test("resample follows every point of the shape (the seed used only the end points)", () => {
  const triangle = resample(ramp, 5, "linear");
  assert.deepEqual(triangle, [{ x: 0, y: 0 }, { x: 0.25, y: 0.5 }, { x: 0.5, y: 1 }, { x: 0.75, y: 0.5 }, { x: 1, y: 0 }]);
  for (const p of resample(ramp, 41, "linear")) assert.ok(Math.abs(p.y - evaluate(ramp, p.x)) < 1e-4);
  const window = resample([{ x: 0.3, y: 1 }, { x: 0.7, y: 1 }], 3, "linear");
  assert.deepEqual(window, [{ x: 0.3, y: 1 }, { x: 0.5, y: 1 }, { x: 0.7, y: 1 }], "stays over the curve's own span");
  const eased = resample(ramp, 9, "ease");
  assert.equal(eased[4].y, 1);
  assert.ok(eased[1].y < 0.25, "ease starts slower than linear");
  const stepped = resample(ramp, 5, "step");
  assert.deepEqual(stepped.map((p) => p.y), [0, 0, 1, 1, 0]);
  assert.throws(() => resample(ramp, 1, "linear"), /from 2 to/);
  assert.throws(() => interpolate(ramp, 0.5, "bezier"), /unknown interpolation/);
});
