// @ts-check
/**
 * Painting the combine view's pictures on a canvas: the heat map (budget strip, requested/achieved rows,
 * labels) and the cosine matrix. Layouts and colours come from ../lib/heat_map.js; names are drawn with
 * fillText (never markup).
 */

import { cosineCells } from "../lib/heat_map.js";

const BG = "#1b1b1f";
const TEXT = "#cfcfd4";
const MUTED = "#8a8a92";

/** One reusable offscreen canvas per document for the cell image (its size follows the layout). */
let offscreen = /** @type {HTMLCanvasElement | null} */ (null);

/** @param {import("../lib/heat_map.js").HeatLayout} layout */
function cellImage(layout) {
  offscreen ??= document.createElement("canvas");
  if (offscreen.width !== layout.pixelColumns) offscreen.width = layout.pixelColumns;
  if (offscreen.height !== layout.pixelRows) offscreen.height = layout.pixelRows;
  const octx = /** @type {CanvasRenderingContext2D} */ (offscreen.getContext("2d"));
  octx.putImageData(new ImageData(layout.pixels, layout.pixelColumns, layout.pixelRows), 0, 0);
  return offscreen;
}

/**
 * @param {CanvasRenderingContext2D} ctx @param {import("../lib/heat_map.js").HeatLayout} layout
 * @param {number | null} selected the selected block's column, outlined
 */
export function drawHeatMap(ctx, layout, selected) {
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, layout.width, layout.height);
  const { strip, stripTop, stripHeight } = layout;
  // budget strip: requested combined norm (outline), achieved (filled), budget (line)
  ctx.fillStyle = "#2a2a30";
  ctx.fillRect(layout.labelWidth, stripTop, layout.width - layout.labelWidth, stripHeight);
  const base = stripTop + stripHeight;
  for (const col of strip) {
    const pad = Math.min(3, col.w * 0.15);
    ctx.fillStyle = "#5b7fb3";
    ctx.fillRect(col.x + pad, col.achievedY, col.w - 2 * pad, base - col.achievedY);
    ctx.strokeStyle = "#d0d0d8";
    ctx.lineWidth = 1;
    ctx.strokeRect(col.x + pad + 0.5, col.requestedY + 0.5, col.w - 2 * pad - 1, Math.max(0, base - col.requestedY - 1));
  }
  ctx.strokeStyle = "#ff5a4f";
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (const col of strip) {
    ctx.moveTo(col.x, col.budgetY);
    ctx.lineTo(col.x + col.w, col.budgetY);
  }
  ctx.stroke();
  // cells: the layout's one-pixel-per-cell image, scaled up without smoothing
  if (layout.pixelColumns && layout.pixelRows) {
    const image = cellImage(layout);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, layout.labelWidth, layout.gridTop, layout.colWidth * layout.pixelColumns,
      layout.rowHeight * layout.pixelRows);
  }
  // separators between LoRAs
  ctx.strokeStyle = BG;
  ctx.lineWidth = 2;
  ctx.beginPath();
  const rows = layout.rowLabels.length;
  for (let r = 2; r < rows; r += 2) {
    const y = layout.gridTop + r * layout.rowHeight;
    ctx.moveTo(layout.labelWidth, y);
    ctx.lineTo(layout.width, y);
  }
  ctx.stroke();
  if (selected !== null && strip[selected]) {
    const col = strip[selected];
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.strokeRect(col.x + 1, stripTop, col.w - 2, layout.footerTop - stripTop);
  }
  // labels
  ctx.font = `${Math.max(9, Math.min(12, layout.rowHeight - 2))}px sans-serif`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  for (const label of layout.rowLabels) {
    ctx.fillStyle = label.kind === "requested" ? label.color : MUTED;
    ctx.fillText(label.text, 4, label.y, layout.labelWidth - 8);
  }
  ctx.fillStyle = MUTED;
  ctx.fillText("budget ─ requested ▯ achieved ▮", 4, stripTop + stripHeight / 2, layout.labelWidth - 8);
  ctx.font = "10px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.fillStyle = TEXT;
  const every = Math.max(1, Math.ceil(40 / Math.max(1, layout.colWidth)));
  layout.colLabels.forEach((label, i) => {
    if (i % every === 0 || i === selected) ctx.fillText(label.text, label.x, layout.footerTop, Math.max(layout.colWidth * every, 20));
  });
}

/**
 * @param {CanvasRenderingContext2D} ctx @param {import("../lib/heat_map.js").ViewBlock} block
 * @param {{name: string, color: string}[]} loras @param {number} size
 */
export function drawCosineMatrix(ctx, block, loras, size) {
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, size, size);
  const cells = cosineCells(block, size);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.font = `${Math.max(9, Math.min(13, (cells[0]?.w ?? 20) / 3.2))}px sans-serif`;
  for (const cell of cells) {
    ctx.fillStyle = cell.color;
    ctx.fillRect(cell.x + 1, cell.y + 1, cell.w - 2, cell.w - 2);
    if (cell.w >= 26) {
      ctx.fillStyle = cell.value !== null && Math.abs(cell.value) > 0.6 ? "#ffffff" : "#111111";
      ctx.fillText(cell.value === null ? "–" : (Math.abs(cell.value) < 0.005 ? 0 : cell.value).toFixed(2), cell.x + cell.w / 2,
        cell.y + cell.w / 2);
    }
  }
  // the LoRAs' colours along the edges, so rows and columns are recognisable
  const w = loras.length ? size / loras.length : 0;
  loras.forEach((lora, i) => {
    ctx.fillStyle = lora.color;
    ctx.fillRect(i * w + 1, 0, w - 2, 2);
    ctx.fillRect(0, i * w + 1, 2, w - 2);
  });
}
