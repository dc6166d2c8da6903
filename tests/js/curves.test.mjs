// Curves in the browser twin: the shared vectors, and the staircase the editor previews.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { compileCurve, evaluate, padPoints, staircase } from "../../web/lib/curves.js";

const VECTORS = JSON.parse(readFileSync(new URL("../vectors/schedule_strings.json", import.meta.url), "utf8"));
/** @param {number[][]} raw */
const pts = (raw) => raw.map(([x, y]) => ({ x, y }));
/** @param {number[]} got @param {number[]} want @param {number} tol @param {string} what */
function close(got, want, tol, what) {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol + 1e-12, `${what}[${i}]: ${g} vs ${want[i]}`));
}

test("evaluate vectors", () => {
  for (const c of VECTORS.curve_evaluate) close([evaluate(pts(c.points), c.x)], [c.y], 1e-12, JSON.stringify(c));
});

test("padPoints vectors", () => {
  for (const c of VECTORS.curve_pad) {
    close(padPoints(pts(c.points)).flatMap((p) => [p.x, p.y]), c.padded.flat(), 1e-12, JSON.stringify(c.points));
  }
});

for (const c of VECTORS.staircase) {
  test(`staircase: ${c.name}`, () => {
    close(staircase(pts(c.points), c.steps, c.percents), c.expected, c.abs_tol, c.name);
  });
}

for (const c of VECTORS.compile) {
  test(`compile: ${c.name}`, () => {
    const got = compileCurve(pts(c.points));
    if (c.keyframes === null) return assert.equal(got, null);
    assert.ok(got);
    close(got.flatMap((k) => [k.startPercent, k.strength, k.guaranteeSteps]), c.keyframes.flat(), 1e-9, c.name);
  });
}

for (const c of VECTORS.compile_exact) {
  test(`compile exactly as the Python compiler: ${c.name}`, () => {
    // Same operations in the same order give identical floats: the editor shows what the node runs.
    const kfs = compileCurve(pts(c.points));
    assert.deepEqual(kfs?.map((k) => [k.startPercent, k.strength, k.guaranteeSteps]), c.keyframes);
    assert.deepEqual(staircase(pts(c.points), c.percents.length, c.percents), c.staircase);
  });
}

test("staircase rejects a percent list of the wrong length", () => {
  assert.throws(() => staircase([{ x: 0, y: 1 }], 3, [0, 0.5]), /2 sigma percents for 3 steps/);
});
