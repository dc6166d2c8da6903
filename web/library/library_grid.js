// @ts-check
/**
 * A virtualised grid: a scroller with a spacer as tall as every row, and a small pool of absolutely
 * positioned cells for the visible rows only (plus overscan). Scrolling re-binds pooled cells to new
 * indexes in animation frames, at most BINDS_PER_FRAME per frame, on-screen cells first; a cell's content is
 * rebuilt only when the item it shows changed.
 * The window maths live in ../lib/library_window.js.
 */

import { bindOrder, columnsFor, pagesFor, rowTop, visibleRange } from "../lib/library_window.js";
import { h } from "../editor/dom.js";

/**
 * At most this many cells are (re)bound in one frame: a jump or an arriving page would otherwise rebind the
 * whole window at once (20+ cards, a long task on a slow machine); the rest follow in the next frames.
 */
export const BINDS_PER_FRAME = 8;

/**
 * @template T
 * @typedef {{rowHeight: number, minCellWidth: number, pageSize: number,
 *   item: (index: number) => T | undefined,
 *   create: () => HTMLElement, bind: (cell: HTMLElement, item: T | undefined, index: number) => void,
 *   release?: (cell: HTMLElement) => void, bindsPerFrame?: number,
 *   needPages: (offsets: number[]) => void}} GridOptions
 */

/** @template T */
export class VirtualGrid {
  /** @param {GridOptions<T>} options */
  constructor(options) {
    this.o = options;
    this.total = 0;
    this.columns = 1;
    this.spacer = h("div", { className: "lwb-lib-spacer" });
    this.element = h("div", { className: "lwb-lib-scroller", tabIndex: 0, dataset: { role: "library-grid" } }, this.spacer);
    /** index -> cell @type {Map<number, HTMLElement>} */
    this.cells = new Map();
    /** @type {HTMLElement[]} */
    this.free = [];
    /** what each cell shows: index and item @type {WeakMap<HTMLElement, {index: number, item: T | undefined}>} */
    this.bound = new WeakMap();
    /** where each cell was last placed (updated in place: no garbage per frame) @type {WeakMap<HTMLElement, {x: number, y: number, w: number, h: number}>} */
    this.placed = new WeakMap();
    this.frame = 0;
    this.element.addEventListener("scroll", () => this.schedule(), { passive: true });
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.element);
  }

  /** @param {{rowHeight?: number, minCellWidth?: number}} layout */
  setLayout(layout) {
    Object.assign(this.o, layout);
    this.rebuild();
  }

  /** A new list (query changed): every cell rebinds, scroll goes back to the top. @param {number} total */
  reset(total) {
    this.total = total;
    this.element.scrollTop = 0;
    this.rebuild();
  }

  /** The same list with more or fewer rows (e.g. a rescan finished). @param {number} total */
  setTotal(total) {
    if (total === this.total) return;
    this.total = total;
    this.schedule();
  }

  rebuild() {
    for (const [, cell] of this.cells) { cell.remove(); this.bound.delete(cell); }
    this.cells.clear();
    this.free = [];
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.update(); });
  }

  /** Rebind the visible cells (call after items arrived or changed). */
  update() {
    // every layout read of the frame comes first: a read after the writes below would force a synchronous
    // style and layout pass (the Chromium trace of bench/library_tab.py --trace shows it inside this function)
    const width = this.element.clientWidth;
    const geometry = { scrollTop: this.element.scrollTop, viewportHeight: this.element.clientHeight };
    this.columns = columnsFor(width, this.o.minCellWidth);
    const range = visibleRange({ ...geometry, rowHeight: this.o.rowHeight, columns: this.columns, total: this.total });
    const onScreen = visibleRange({ ...geometry, rowHeight: this.o.rowHeight, columns: this.columns, total: this.total, overscan: 0 });
    const height = `${range.totalHeight}px`;
    if (this.spacer.style.height !== height) this.spacer.style.height = height;
    for (const [index, cell] of this.cells) {
      if (index < range.firstIndex || index >= range.lastIndex) {
        this.cells.delete(index);
        const shown = this.bound.get(cell);
        if (shown) shown.index = -1; // rebinds when reused
        cell.style.display = "none";
        cell.removeAttribute("data-index");
        cell.removeAttribute("data-name");
        this.o.release?.(cell);
        this.free.push(cell);
      }
    }
    const cellWidth = Math.floor(width / this.columns);
    // the cells on screen are bound first, then the overscan; past the budget the rest wait a frame
    let budget = this.o.bindsPerFrame ?? BINDS_PER_FRAME;
    let waiting = false;
    for (let k = 0; k < range.lastIndex - range.firstIndex; k++) {
      const index = bindOrder(k, range, onScreen);
      let cell = this.cells.get(index);
      if (!cell) {
        cell = this.free.pop() ?? this.element.appendChild(this.o.create());
        cell.style.display = "";
        this.cells.set(index, cell);
      }
      const x = (index % this.columns) * cellWidth;
      const y = rowTop(index, this.columns, this.o.rowHeight);
      let place = this.placed.get(cell);
      if (!place) this.placed.set(cell, place = { x: NaN, y: NaN, w: NaN, h: NaN });
      if (place.x !== x || place.y !== y) { // untouched cells keep their style: no style recalculation for them
        place.x = x;
        place.y = y;
        cell.style.transform = `translate(${x}px, ${y}px)`;
      }
      if (place.w !== cellWidth || place.h !== this.o.rowHeight) {
        place.w = cellWidth;
        place.h = this.o.rowHeight;
        cell.style.width = `${cellWidth}px`;
        cell.style.height = `${this.o.rowHeight}px`;
      }
      const item = this.o.item(index);
      const shown = this.bound.get(cell);
      if (shown && shown.index === index && shown.item === item) continue;
      if (budget <= 0) {
        // a cell new at this place waits hidden (it was cleared when freed); one that keeps its place keeps
        // showing its LoRA (or placeholder) until rebound
        if ((!shown || shown.index !== index) && cell.style.visibility !== "hidden") cell.style.visibility = "hidden";
        waiting = true;
        continue;
      }
      budget -= 1;
      if (shown) { shown.index = index; shown.item = item; } else this.bound.set(cell, { index, item });
      this.o.bind(cell, item, index);
      if (cell.style.visibility) cell.style.visibility = "";
    }
    if (waiting) this.schedule();
    const need = pagesFor(range.firstIndex, range.lastIndex, this.o.pageSize);
    if (need.length) this.o.needPages(need);
  }

  /** Rebind every visible cell even if its item object is the same (selection changed). */
  repaint() {
    for (const [index, cell] of this.cells) {
      const item = this.o.item(index);
      this.bound.set(cell, { index, item });
      this.o.bind(cell, item, index);
      if (cell.style.visibility) cell.style.visibility = "";
    }
  }

  /** Scroll so that item `index` is visible. @param {number} index */
  reveal(index) {
    const top = rowTop(index, this.columns, this.o.rowHeight);
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + this.o.rowHeight > this.element.scrollTop + this.element.clientHeight) {
      this.element.scrollTop = top + this.o.rowHeight - this.element.clientHeight;
    }
  }

  /** How many cells are in the DOM (the tests and the bench check it stays small). */
  get cellCount() { return this.cells.size + this.free.length; }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.element.remove();
  }
}
