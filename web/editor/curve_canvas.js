// @ts-check
/**
 * The full editor's interactive curve canvas: the active LoRA's points can be added (double-click),
 * dragged (several at once), selected (click, Shift/Ctrl-click, box drag) and deleted (Delete key or
 * right-click); wheel zooms about the cursor, middle-drag or Alt-drag pans. Rendering is batched into one
 * requestAnimationFrame; drag listeners live only during a drag (pointer capture); `destroy()` removes all.
 * Edits are reported through `onEdit(points, commit)`; commit=true marks an undo step.
 */

import { evaluationStrengths, evenEvaluations, staircaseBars } from "../lib/sampling_preview.js";
import { addPoint, deletePoints, movePoints, pointsInBox, snapValue } from "../lib/curve_edit.js";
import { drawAllCurves, drawGrid, drawHandles, drawStaircase, fitView, toPxX, toPxY, toWorldX, toWorldY } from "./curve_draw.js";

const HIT_PX = 9;
const MIN_SPAN = 0.02;
const MAX_SPAN = 1000;

/**
 * @typedef {import("../lib/config_model.js").EditorItem} EditorItem
 * @typedef {{x: number, y: number}} Point
 */

export class CurveCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onEdit: (points: Point[], commit: boolean) => void, onSelect?: (count: number) => void,
   *   focus?: () => void}} hooks where keyboard focus goes on a click (the dialog handles keys)
   */
  constructor(canvas, hooks) {
    this.canvas = canvas;
    this.hooks = hooks;
    /** @type {EditorItem[]} */
    this.items = [];
    this.active = -1;
    /** @type {Set<number>} */
    this.selection = new Set();
    this.snap = 0.05;
    this.snapOn = true;
    /** the model evaluations the staircase is drawn at @type {import("../lib/sampling_preview.js").Evaluation[]} */
    this.evaluations = evenEvaluations(20);
    this.view = fitView([], 1, 1);
    this.fitted = false;
    /** @type {{x0: number, y0: number, x1: number, y1: number} | null} */
    this.box = null;
    this.framePending = 0;
    /** @type {(() => void) | null} */
    this.endDrag = null;
    this.onPointerDown = this.onPointerDown.bind(this);
    this.onDoubleClick = this.onDoubleClick.bind(this);
    this.onContextMenu = this.onContextMenu.bind(this);
    this.onWheel = this.onWheel.bind(this);
    canvas.addEventListener("pointerdown", this.onPointerDown);
    canvas.addEventListener("dblclick", this.onDoubleClick);
    canvas.addEventListener("contextmenu", this.onContextMenu);
    canvas.addEventListener("wheel", this.onWheel, { passive: false });
    this.resizeObserver = new ResizeObserver(() => this.render());
    this.resizeObserver.observe(canvas);
  }

  destroy() {
    this.endDrag?.();
    cancelAnimationFrame(this.framePending);
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener("pointerdown", this.onPointerDown);
    this.canvas.removeEventListener("dblclick", this.onDoubleClick);
    this.canvas.removeEventListener("contextmenu", this.onContextMenu);
    this.canvas.removeEventListener("wheel", this.onWheel);
  }

  /** @param {EditorItem[]} items @param {number} active */
  setItems(items, active) {
    if (active !== this.active) this.selection = new Set();
    this.items = items;
    this.active = active;
    const n = this.activeItem()?.points.length ?? 0;
    this.selection = new Set([...this.selection].filter((i) => i < n));
    this.render();
  }

  activeItem() {
    return this.active >= 0 ? this.items[this.active] ?? null : null;
  }

  fit() {
    this.fitted = false;
    this.render();
  }

  /** Schedule one redraw for the next frame (many calls, one draw). */
  render() {
    if (this.framePending) return;
    this.framePending = requestAnimationFrame(() => {
      this.framePending = 0;
      this.draw();
    });
  }

  draw() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    if (this.canvas.width !== width * dpr || this.canvas.height !== height * dpr) {
      this.canvas.width = width * dpr;
      this.canvas.height = height * dpr;
    }
    if (!this.fitted) {
      this.view = fitView(this.items, width, height);
      this.fitted = true;
    }
    this.view = { ...this.view, width, height };
    const ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext("2d"));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawGrid(ctx, this.view, true);
    const item = this.activeItem();
    if (item && item.enabled && this.evaluations.length) {
      const values = evaluationStrengths(item.points, this.evaluations);
      drawStaircase(ctx, this.view, staircaseBars(this.evaluations, values), item.color);
    }
    drawAllCurves(ctx, this.view, this.items, this.active);
    if (item) drawHandles(ctx, this.view, item, this.selection);
    if (this.box) {
      const v = this.view;
      ctx.save();
      ctx.strokeStyle = "#ffffff";
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(toPxX(v, this.box.x0), toPxY(v, this.box.y0), toPxX(v, this.box.x1) - toPxX(v, this.box.x0),
        toPxY(v, this.box.y1) - toPxY(v, this.box.y0));
      ctx.restore();
    }
  }

  // ─── Pointer handling ───

  /** @param {MouseEvent} e */
  local(e) {
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    return { px, py, x: toWorldX(this.view, px), y: toWorldY(this.view, py) };
  }

  /** Index of the active curve's point under the pointer, or -1. @param {number} px @param {number} py */
  hit(px, py) {
    const item = this.activeItem();
    if (!item) return -1;
    let best = -1;
    let bestD = HIT_PX * HIT_PX;
    item.points.forEach((p, i) => {
      const d = (toPxX(this.view, p.x) - px) ** 2 + (toPxY(this.view, p.y) - py) ** 2;
      if (d <= bestD) { best = i; bestD = d; }
    });
    return best;
  }

  /** Snap applies unless Shift inverts it. @param {MouseEvent} e @param {number} v */
  snapped(e, v) {
    return this.snapOn !== e.shiftKey ? snapValue(v, this.snap) : v;
  }

  /** @param {PointerEvent} e @param {(m: PointerEvent) => void} move @param {(m: PointerEvent | null) => void} up */
  capture(e, move, up) {
    this.canvas.setPointerCapture(e.pointerId);
    const onMove = (/** @type {PointerEvent} */ m) => move(m);
    const onUp = (/** @type {PointerEvent} */ m) => { finish(); up(m); };
    const onLost = () => { finish(); up(null); };
    const finish = () => {
      this.canvas.removeEventListener("pointermove", onMove);
      this.canvas.removeEventListener("pointerup", onUp);
      this.canvas.removeEventListener("lostpointercapture", onLost);
      this.endDrag = null;
    };
    this.canvas.addEventListener("pointermove", onMove);
    this.canvas.addEventListener("pointerup", onUp);
    this.canvas.addEventListener("lostpointercapture", onLost);
    this.endDrag = finish;
  }

  /** @param {PointerEvent} e */
  onPointerDown(e) {
    e.preventDefault(); // keep focus where hooks.focus puts it
    this.hooks.focus?.();
    const at = this.local(e);
    if (e.button === 1 || (e.button === 0 && e.altKey)) return this.startPan(e, at);
    if (e.button !== 0) return;
    const item = this.activeItem();
    if (!item) return;
    const index = this.hit(at.px, at.py);
    if (index < 0) return this.startBox(e, at);
    if (e.shiftKey || e.ctrlKey || e.metaKey) {
      if (this.selection.has(index)) this.selection.delete(index); else this.selection.add(index);
      this.hooks.onSelect?.(this.selection.size);
      this.render();
      return;
    }
    if (!this.selection.has(index)) this.selection = new Set([index]);
    this.hooks.onSelect?.(this.selection.size);
    const origin = item.points.map((p) => ({ ...p }));
    const dragged = new Set(this.selection); // indices into `origin`, fixed for the whole drag
    const grabbed = origin[index];
    let changed = false;
    this.capture(e, (m) => {
      const to = this.local(m);
      const dx = this.snapped(m, to.x) - grabbed.x;
      const dy = this.snapped(m, to.y) - grabbed.y;
      const { points, selection } = movePoints(origin, dragged, dx, dy);
      this.selection = selection;
      changed = true;
      this.hooks.onEdit(points, false);
    }, () => {
      if (changed) this.hooks.onEdit(/** @type {EditorItem} */ (this.activeItem()).points, true);
    });
  }

  /** @param {PointerEvent} e @param {{px: number, py: number}} at */
  startPan(e, at) {
    e.preventDefault();
    const start = { ...this.view };
    this.capture(e, (m) => {
      const to = this.local(m);
      const dx = ((to.px - at.px) / start.width) * (start.x1 - start.x0);
      const dy = ((to.py - at.py) / start.height) * (start.y1 - start.y0);
      this.view = { ...start, x0: start.x0 - dx, x1: start.x1 - dx, y0: start.y0 + dy, y1: start.y1 + dy };
      this.render();
    }, () => {});
  }

  /** @param {PointerEvent} e @param {{x: number, y: number}} at */
  startBox(e, at) {
    const additive = e.shiftKey || e.ctrlKey;
    const before = new Set(this.selection);
    this.box = { x0: at.x, y0: at.y, x1: at.x, y1: at.y };
    this.capture(e, (m) => {
      const to = this.local(m);
      this.box = { x0: at.x, y0: at.y, x1: to.x, y1: to.y };
      const inside = pointsInBox(/** @type {EditorItem} */ (this.activeItem()).points, this.box);
      this.selection = additive ? new Set([...before, ...inside]) : inside;
      this.render();
    }, () => {
      this.box = null;
      this.hooks.onSelect?.(this.selection.size);
      this.render();
    });
  }

  /** @param {MouseEvent} e */
  onDoubleClick(e) {
    const item = this.activeItem();
    if (!item) return;
    const at = this.local(e);
    if (this.hit(at.px, at.py) >= 0) return;
    const { points, selection } = addPoint(item.points, { x: this.snapped(e, at.x), y: this.snapped(e, at.y) });
    this.selection = selection;
    this.hooks.onEdit(points, true);
  }

  /** Right-click on a point deletes it. @param {MouseEvent} e */
  onContextMenu(e) {
    e.preventDefault();
    const at = this.local(e);
    const index = this.hit(at.px, at.py);
    if (index >= 0) this.deleteSelection(new Set([index]));
  }

  /** @param {Set<number>} [which] */
  deleteSelection(which = this.selection) {
    const item = this.activeItem();
    if (!item || which.size === 0) return;
    const kept = deletePoints(item.points, which);
    if (!kept) return;
    this.selection = new Set();
    this.hooks.onEdit(kept, true);
  }

  selectAll() {
    this.selection = new Set(this.activeItem()?.points.map((_, i) => i) ?? []);
    this.hooks.onSelect?.(this.selection.size);
    this.render();
  }

  /** Zoom about the cursor (Ctrl: y only, Shift: x only). @param {WheelEvent} e */
  onWheel(e) {
    e.preventDefault();
    const at = this.local(e);
    const f = Math.exp(Math.sign(e.deltaY) * 0.1);
    const v = this.view;
    const zx = e.ctrlKey ? 1 : f;
    const zy = e.shiftKey ? 1 : f;
    const spanX = (v.x1 - v.x0) * zx;
    const spanY = (v.y1 - v.y0) * zy;
    if (spanX < MIN_SPAN || spanY < MIN_SPAN || spanX > MAX_SPAN || spanY > MAX_SPAN) return;
    this.view = {
      ...v,
      x0: at.x - (at.x - v.x0) * zx, x1: at.x + (v.x1 - at.x) * zx,
      y0: at.y - (at.y - v.y0) * zy, y1: at.y + (v.y1 - at.y) * zy,
    };
    this.render();
  }
}
