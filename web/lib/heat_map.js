// @ts-check
/**
 * The combine view's pictures as plain data: colour scales, the heat-map layout (per block, each LoRA's
 * requested and achieved share, with the budget strip above), hit testing, and the cosine matrix of one
 * block. Pure: the canvas code in web/editor/heat_map_canvas.js only paints what this computes.
 *
 * Shares: in block b, LoRA i's requested share is ‖k_i·ΔW_i,b‖ / Σ_j ‖k_j·ΔW_j,b‖ (the requested shares
 * of a block add up to 1); its achieved share is its norm after the policy over the same denominator, so
 * a cut shows as a darker achieved cell beside its requested one, and headroom changes show at once. The
 * colour scale is 0 … the largest requested share on the map (`scaleMax`).
 */

/**
 * @typedef {{id: string, label: string, group: string, budget: number, requested: number[], achieved: number[],
 *   requestedTotal: number, achievedTotal: number, cosines: (number | null)[][]}} ViewBlock
 * @typedef {{name: string, color: string}} ViewLora
 * @typedef {{loras: ViewLora[], blocks: ViewBlock[]}} HeatInput included LoRAs only, in the blocks' order
 * @typedef {{x: number, y: number, w: number, h: number, color: string, value: number, lora: number, block: number,
 *   kind: "requested" | "achieved"}} Cell
 * @typedef {{x: number, w: number, budgetY: number, requestedY: number, achievedY: number}} StripColumn
 * @typedef {{width: number, height: number, labelWidth: number, stripTop: number, stripHeight: number,
 *   gridTop: number, rowHeight: number, colWidth: number, cells: Cell[], strip: StripColumn[], stripMax: number,
 *   rowLabels: {text: string, y: number, color: string, kind: string}[], colLabels: {text: string, x: number}[],
 *   footerTop: number, pixels: Uint8ClampedArray<ArrayBuffer>, pixelColumns: number, pixelRows: number,
 *   scaleMax: number}} HeatLayout `scaleMax`: the share the top of the colour scale stands for
 *   `pixels`: the cells as an image, one RGBA pixel per cell (row-major, two rows per LoRA)
 */

/** Viridis-like stops (dark = small share, yellow = all of the block). */
const SEQUENTIAL = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
/** Diverging stops for cosines: -1 blue, 0 near white, +1 red. */
const DIVERGING = [[49, 54, 149], [116, 173, 209], [240, 240, 240], [244, 109, 67], [165, 0, 38]];
export const MISSING_COLOR = "#3a3a40";

/** @param {number[][]} stops @param {number} t in [0, 1] @returns {number[]} */
function interpolateRgb(stops, t) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const pos = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return a.map((v, k) => Math.round(v + (b[k] - v) * f));
}

/** @param {number[]} c */
const css = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** @param {number[][]} stops @param {number} t */
const interpolate = (stops, t) => css(interpolateRgb(stops, t));

/** The share scale in 256 steps (a redraw looks colours up instead of formatting one per cell). */
export const SHARE_STEPS = 256;
const SHARE_RGB = Array.from({ length: SHARE_STEPS }, (_, i) => interpolateRgb(SEQUENTIAL, i / (SHARE_STEPS - 1)));
const SHARE_CSS = SHARE_RGB.map(css);

/** The scale step of a share in [0, 1] (clamped; NaN is 0). @param {number} share */
export const shareStep = (share) => Math.round(Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0)) * (SHARE_STEPS - 1));

/** Colour of a share in [0, 1] (clamped). @param {number} share */
export const shareColor = (share) => SHARE_CSS[shareStep(share)];

/** Colour of a cosine in [-1, 1]; null (a LoRA with no change in the block) is grey. @param {number | null} cos */
export const cosineColor = (cos) => (cos === null || !Number.isFinite(cos) ? MISSING_COLOR : interpolate(DIVERGING, (cos + 1) / 2));

/**
 * Each LoRA's requested and achieved share of one block (see the module docstring); zeros when the block
 * has no change at all.
 * @param {ViewBlock} block
 * @returns {{requested: number[], achieved: number[]}}
 */
export function blockShares(block) {
  const total = block.requested.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return { requested: block.requested.map(() => 0), achieved: block.achieved.map(() => 0) };
  return { requested: block.requested.map((v) => v / total), achieved: block.achieved.map((v) => v / total) };
}

/** The CSS gradient of the share scale, for a legend beside the canvas. */
export const shareGradient = () => `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(shareColor).join(", ")})`;

/**
 * The canvas height that fits `loras` LoRAs at the largest row height (strip, two rows each, labels),
 * within [min, max].
 * @param {number} loras @param {number} [min] @param {number} [max]
 */
export function heatHeight(loras, min = 140, max = 520) {
  return Math.min(max, Math.max(min, 4 + STRIP_HEIGHT + 6 + loras * 2 * MAX_ROW + FOOTER_HEIGHT + 4));
}

export const LABEL_WIDTH = 150;
export const STRIP_HEIGHT = 56;
export const FOOTER_HEIGHT = 18;
export const MIN_ROW = 6;
export const MAX_ROW = 18;

/**
 * Where everything goes on a `width` × `height` canvas: a label column, the budget strip (per block the
 * requested combined norm, the achieved norm and the budget line, on one scale), then two rows per LoRA
 * (requested, achieved) with one cell per block, then the block labels.
 * @param {HeatInput} input @param {number} width @param {number} height
 * @returns {HeatLayout}
 */
export function heatLayout(input, width, height) {
  const { loras, blocks } = input;
  const labelWidth = Math.min(LABEL_WIDTH, Math.max(60, Math.round(width * 0.22)));
  const colWidth = blocks.length ? Math.max(1, (width - labelWidth) / blocks.length) : 0;
  const stripTop = 4;
  const stripHeight = Math.min(STRIP_HEIGHT, Math.max(20, height * 0.25));
  const gridTop = stripTop + stripHeight + 6;
  const rows = loras.length * 2;
  const free = Math.max(0, height - gridTop - FOOTER_HEIGHT);
  const rowHeight = rows ? Math.max(MIN_ROW, Math.min(MAX_ROW, free / rows)) : 0;
  const stripMax = Math.max(1e-12, ...blocks.map((b) => Math.max(b.requestedTotal, b.achievedTotal, b.budget)));
  const allShares = blocks.map(blockShares);
  // the colour scale runs from 0 to the largest requested share on the map (1 when there is none), so with
  // many LoRAs the cells still span the whole scale and a cut stays visible
  const scaleMax = Math.max(0, ...allShares.flatMap((sh) => sh.requested)) || 1;
  const scaleY = (/** @type {number} */ v) => stripTop + stripHeight - (Math.max(0, v) / stripMax) * stripHeight;
  /** @type {Cell[]} */
  const cells = [];
  // one RGBA pixel per cell (column = block, row = LoRA × kind): the canvas scales it up in one drawImage
  const pixels = new Uint8ClampedArray(Math.max(1, blocks.length * rows) * 4);
  const paint = (/** @type {number} */ row, /** @type {number} */ col, /** @type {number} */ step) => {
    const at = (row * blocks.length + col) * 4;
    const [r, g, b] = SHARE_RGB[step];
    pixels[at] = r; pixels[at + 1] = g; pixels[at + 2] = b; pixels[at + 3] = 255;
  };
  /** @type {StripColumn[]} */
  const strip = [];
  blocks.forEach((block, b) => {
    const x = labelWidth + b * colWidth;
    strip.push({ x, w: colWidth, budgetY: scaleY(block.budget), requestedY: scaleY(block.requestedTotal),
      achievedY: scaleY(block.achievedTotal) });
    const shares = allShares[b];
    for (let l = 0; l < loras.length; l++) {
      const y = gridTop + l * 2 * rowHeight;
      const req = shares.requested[l] ?? 0;
      const got = shares.achieved[l] ?? 0;
      const reqStep = shareStep(req / scaleMax);
      const gotStep = shareStep(got / scaleMax);
      paint(l * 2, b, reqStep);
      paint(l * 2 + 1, b, gotStep);
      cells.push({ x, y, w: colWidth, h: rowHeight, color: SHARE_CSS[reqStep], value: req, lora: l, block: b, kind: "requested" });
      cells.push({ x, y: y + rowHeight, w: colWidth, h: rowHeight, color: SHARE_CSS[gotStep], value: got, lora: l, block: b,
        kind: "achieved" });
    }
  });
  const rowLabels = loras.flatMap((lora, l) => [
    { text: lora.name, y: gridTop + (l * 2 + 0.5) * rowHeight, color: lora.color, kind: "requested" },
    { text: "→ achieved", y: gridTop + (l * 2 + 1.5) * rowHeight, color: lora.color, kind: "achieved" },
  ]);
  const colLabels = blocks.map((block, b) => ({ text: block.label, x: labelWidth + (b + 0.5) * colWidth }));
  return { width, height, labelWidth, stripTop, stripHeight, gridTop, rowHeight, colWidth, cells, strip, stripMax,
    rowLabels, colLabels, footerTop: gridTop + rows * rowHeight + 2, pixels, pixelColumns: blocks.length, pixelRows: rows,
    scaleMax };
}

/**
 * What is under (x, y): a cell (block and LoRA), a block column of the strip or the labels, or null.
 * @param {HeatLayout} layout @param {number} x @param {number} y
 * @returns {{block: number, lora: number | null, kind: "requested" | "achieved" | null} | null}
 */
export function hitTest(layout, x, y) {
  if (x < layout.labelWidth || !layout.colWidth) return null;
  const block = Math.floor((x - layout.labelWidth) / layout.colWidth);
  if (block < 0 || block >= layout.strip.length) return null;
  if (y >= layout.gridTop && y < layout.footerTop - 2 && layout.rowHeight > 0) {
    const row = Math.floor((y - layout.gridTop) / layout.rowHeight);
    return { block, lora: Math.floor(row / 2), kind: row % 2 ? "achieved" : "requested" };
  }
  return y >= 0 && y <= layout.height ? { block, lora: null, kind: null } : null;
}

/**
 * The n × n cosine matrix of a block, as cells on a `size` square (diagonal 1 where the LoRA changes the
 * block, null where a LoRA has no change there).
 * @param {ViewBlock} block @param {number} size
 * @returns {{x: number, y: number, w: number, value: number | null, color: string, i: number, j: number}[]}
 */
export function cosineCells(block, size) {
  const n = block.cosines.length;
  const w = n ? size / n : 0;
  const out = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = block.cosines[i][j];
      out.push({ x: j * w, y: i * w, w, value, color: cosineColor(value), i, j });
    }
  }
  return out;
}
