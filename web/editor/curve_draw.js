// @ts-check
/**
 * Drawing of curves on a 2D canvas context; shared by the node widget and the full editor.
 * A `View` maps world (x over 0..1 of the run, y = strength multiplier) to canvas pixels.
 */

import { padPoints } from "../lib/curves.js";

/**
 * @typedef {{x0: number, x1: number, y0: number, y1: number, width: number, height: number}} View
 * @typedef {import("../lib/config_model.js").EditorItem} EditorItem
 */

/** @param {View} v @param {number} x */
export const toPxX = (v, x) => ((x - v.x0) / (v.x1 - v.x0)) * v.width;
/** @param {View} v @param {number} y */
export const toPxY = (v, y) => v.height - ((y - v.y0) / (v.y1 - v.y0)) * v.height;
/** @param {View} v @param {number} px */
export const toWorldX = (v, px) => v.x0 + (px / v.width) * (v.x1 - v.x0);
/** @param {View} v @param {number} py */
export const toWorldY = (v, py) => v.y0 + ((v.height - py) / v.height) * (v.y1 - v.y0);

/** A grid spacing of 1, 2 or 5 x 10^n giving about `targetPx` between lines. @param {number} span @param {number} px */
export function gridStep(span, px, targetPx = 60) {
  const raw = (span * targetPx) / Math.max(px, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** A view that fits every curve (y at least 0..1.2), with a small margin. @param {EditorItem[]} items */
export function fitView(items, width, height) {
  let lo = 0;
  let hi = 1.2;
  for (const item of items) for (const p of item.points) { lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); }
  const pad = (hi - lo) * 0.08;
  return { x0: -0.04, x1: 1.04, y0: lo - pad, y1: hi + pad, width, height };
}

/** @param {CanvasRenderingContext2D} ctx @param {View} v @param {boolean} labels */
export function drawGrid(ctx, v, labels) {
  ctx.save();
  ctx.fillStyle = "#1b1b1f";
  ctx.fillRect(0, 0, v.width, v.height);
  ctx.fillStyle = "#24242b";
  ctx.fillRect(toPxX(v, 0), 0, toPxX(v, 1) - toPxX(v, 0), v.height);
  ctx.lineWidth = 1;
  ctx.font = "10px sans-serif";
  ctx.fillStyle = "#8a8a95";
  const sx = gridStep(v.x1 - v.x0, v.width);
  for (let x = Math.ceil(v.x0 / sx) * sx; x <= v.x1; x += sx) {
    const px = Math.round(toPxX(v, x)) + 0.5;
    ctx.strokeStyle = "#303038";
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, v.height); ctx.stroke();
    if (labels) ctx.fillText(`${Math.round(x * 1000) / 10}%`, px + 2, v.height - 3);
  }
  const sy = gridStep(v.y1 - v.y0, v.height, 40);
  for (let y = Math.ceil(v.y0 / sy) * sy; y <= v.y1; y += sy) {
    const py = Math.round(toPxY(v, y)) + 0.5;
    ctx.strokeStyle = Math.abs(y) < sy / 2 ? "#55555f" : "#303038";
    ctx.beginPath(); ctx.moveTo(0, py); ctx.lineTo(v.width, py); ctx.stroke();
    if (labels) ctx.fillText(String(Math.round(y * 1000) / 1000), 2, py - 2);
  }
  ctx.restore();
}

/**
 * One curve as it runs: padded (0 outside its first and last point), straight segments.
 * @param {CanvasRenderingContext2D} ctx @param {View} v @param {EditorItem} item
 * @param {{active?: boolean, dim?: boolean}} [style]
 */
export function drawCurve(ctx, v, item, { active = false, dim = false } = {}) {
  const pts = padPoints(item.points);
  if (!pts.length) return;
  ctx.save();
  ctx.globalAlpha = dim ? 0.4 : 1;
  ctx.strokeStyle = item.color;
  ctx.lineWidth = active ? 3 : 1.5;
  if (!item.enabled) ctx.setLineDash([5, 4]);
  ctx.beginPath();
  ctx.moveTo(toPxX(v, pts[0].x), toPxY(v, pts[0].y));
  for (let i = 1; i < pts.length; i++) ctx.lineTo(toPxX(v, pts[i].x), toPxY(v, pts[i].y));
  ctx.stroke();
  ctx.restore();
}

/**
 * Handles of the active curve; selected ones filled white.
 * @param {CanvasRenderingContext2D} ctx @param {View} v @param {EditorItem} item @param {Set<number>} selection
 */
export function drawHandles(ctx, v, item, selection) {
  ctx.save();
  item.points.forEach((p, i) => {
    ctx.beginPath();
    ctx.arc(toPxX(v, p.x), toPxY(v, p.y), 5, 0, Math.PI * 2);
    ctx.fillStyle = selection.has(i) ? "#ffffff" : item.color;
    ctx.fill();
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1;
    ctx.stroke();
  });
  ctx.restore();
}

/**
 * The strength each model evaluation will receive, as held bars from its sigma percent to the next one's.
 * @param {CanvasRenderingContext2D} ctx @param {View} v @param {{x0: number, x1: number, value: number}[]} bars
 * @param {string} color
 */
export function drawStaircase(ctx, v, bars, color) {
  ctx.save();
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.18;
  const zero = toPxY(v, 0);
  for (const { x0, x1, value } of bars) {
    const xa = toPxX(v, x0);
    const xb = toPxX(v, x1);
    const y = toPxY(v, value);
    ctx.fillRect(xa, Math.min(y, zero), Math.max(1, xb - xa - 1), Math.abs(zero - y));
  }
  ctx.globalAlpha = 0.9;
  ctx.strokeStyle = color;
  ctx.setLineDash([2, 2]);
  ctx.beginPath();
  for (const { x0, x1, value } of bars) {
    const y = toPxY(v, value);
    ctx.moveTo(toPxX(v, x0), y);
    ctx.lineTo(toPxX(v, x1), y);
  }
  ctx.stroke();
  ctx.restore();
}

/**
 * Every curve, enabled ones last (on top), the active one highlighted.
 * @param {CanvasRenderingContext2D} ctx @param {View} v @param {EditorItem[]} items @param {number} [activeIndex]
 */
export function drawAllCurves(ctx, v, items, activeIndex = -1) {
  const order = items.map((_, i) => i).sort((a, b) => Number(items[a].enabled) - Number(items[b].enabled));
  for (const i of order) {
    if (i === activeIndex) continue;
    drawCurve(ctx, v, items[i], { dim: activeIndex >= 0 || !items[i].enabled });
  }
  if (activeIndex >= 0 && items[activeIndex]) drawCurve(ctx, v, items[activeIndex], { active: true });
}
