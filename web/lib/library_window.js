// @ts-check
/**
 * Virtual window maths of the library grid (no DOM): which rows of a fixed-height grid are visible for a
 * scroll position, which cells (item indexes) that is, and which server pages (by row offset) must be
 * loaded to fill them. Plus a bounded page cache keyed by the query, so a 30k library never holds more
 * than a few hundred items in memory and never puts more than the visible cells in the DOM.
 */

/**
 * @typedef {{scrollTop: number, viewportHeight: number, rowHeight: number, columns: number, total: number,
 *   overscan?: number}} WindowInput
 * @typedef {{firstRow: number, lastRow: number, firstIndex: number, lastIndex: number, rows: number,
 *   totalHeight: number}} WindowRange  lastIndex is exclusive; an empty list gives firstIndex === lastIndex
 */

/** Columns that fit `width` with cells at least `minCellWidth` wide (never fewer than 1). @param {number} width @param {number} minCellWidth */
export function columnsFor(width, minCellWidth) {
  if (!(width > 0) || !(minCellWidth > 0)) return 1;
  return Math.max(1, Math.floor(width / minCellWidth));
}

/**
 * The rows (and item indexes) to render for a scroll position, `overscan` rows above and below.
 * @param {WindowInput} o
 * @returns {WindowRange}
 */
export function visibleRange({ scrollTop, viewportHeight, rowHeight, columns, total, overscan = 2 }) {
  const cols = Math.max(1, Math.floor(columns));
  const count = Math.max(0, Math.floor(total));
  const rows = Math.ceil(count / cols);
  const height = Math.max(1, rowHeight);
  const totalHeight = rows * height;
  if (!rows) return { firstRow: 0, lastRow: 0, firstIndex: 0, lastIndex: 0, rows: 0, totalHeight: 0 };
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, totalHeight - 1));
  const firstRow = Math.max(0, Math.floor(top / height) - overscan);
  const lastRow = Math.min(rows, Math.ceil((top + Math.max(0, viewportHeight)) / height) + overscan);
  return { firstRow, lastRow, firstIndex: firstRow * cols, lastIndex: Math.min(count, lastRow * cols), rows, totalHeight };
}

/**
 * Offsets (multiples of `pageSize`) of the pages that cover item indexes [first, last).
 * @param {number} first @param {number} last exclusive @param {number} pageSize
 * @returns {number[]}
 */
export function pagesFor(first, last, pageSize) {
  if (!(last > first) || !(pageSize > 0)) return [];
  const out = [];
  for (let offset = Math.floor(first / pageSize) * pageSize; offset < last; offset += pageSize) out.push(offset);
  return out;
}

/**
 * The k-th item index to bind in a window `range` whose on-screen part is `onScreen` (both from
 * visibleRange, the second without overscan): the on-screen items top down, then the overscan below, then
 * the overscan above nearest first. k runs over [0, range.lastIndex - range.firstIndex).
 * @param {number} k @param {{firstIndex: number, lastIndex: number}} range @param {{firstIndex: number, lastIndex: number}} onScreen
 */
export function bindOrder(k, range, onScreen) {
  const on = onScreen.lastIndex - onScreen.firstIndex;
  if (k < on) return onScreen.firstIndex + k;
  const below = range.lastIndex - onScreen.lastIndex;
  if (k - on < below) return onScreen.lastIndex + (k - on);
  return onScreen.firstIndex - 1 - (k - on - below);
}

/** The top of item `index`'s row, to scroll it into view. @param {number} index @param {number} columns @param {number} rowHeight */
export const rowTop = (index, columns, rowHeight) => Math.floor(index / Math.max(1, columns)) * rowHeight;

/**
 * Pages of search results by row offset for one query key; a new key drops everything. At most `limit`
 * pages are kept (least recently used dropped), so memory stays bounded while scrolling a huge list.
 * @template T
 */
export class PageCache {
  /** @param {number} pageSize @param {number} [limit] */
  constructor(pageSize, limit = 24) {
    this.pageSize = pageSize;
    this.limit = limit;
    this.key = "";
    /** @type {Map<number, T[]>} */
    this.pages = new Map();
    /** offsets being fetched for the current key @type {Set<number>} */
    this.loading = new Set();
  }

  /** Switch to `key` (a query); returns whether it changed (everything was dropped). @param {string} key */
  useKey(key) {
    if (key === this.key) return false;
    this.key = key;
    this.pages.clear();
    this.loading.clear();
    return true;
  }

  /** @param {number} offset @param {T[]} items */
  put(offset, items) {
    this.pages.delete(offset);
    this.pages.set(offset, items);
    this.loading.delete(offset);
    while (this.pages.size > this.limit) {
      const oldest = /** @type {number} */ (this.pages.keys().next().value);
      this.pages.delete(oldest);
    }
  }

  /** The item at `index`, or undefined while its page is not loaded. @param {number} index @returns {T | undefined} */
  get(index) {
    const offset = Math.floor(index / this.pageSize) * this.pageSize;
    const page = this.pages.get(offset);
    return page ? page[index - offset] : undefined;
  }

  /** Mark pages as recently used (the visible ones) so they are the last dropped. @param {number[]} offsets */
  touch(offsets) {
    for (const offset of offsets) {
      const page = this.pages.get(offset);
      if (page) { this.pages.delete(offset); this.pages.set(offset, page); }
    }
  }

  /** Offsets among `offsets` neither loaded nor loading. @param {number[]} offsets */
  missing(offsets) {
    return offsets.filter((o) => !this.pages.has(o) && !this.loading.has(o));
  }

  /** Every loaded item with its index, in index order. @returns {{index: number, item: T}[]} */
  loaded() {
    const out = [];
    for (const offset of [...this.pages.keys()].sort((a, b) => a - b)) {
      /** @type {T[]} */ (this.pages.get(offset)).forEach((item, i) => out.push({ index: offset + i, item }));
    }
    return out;
  }

  /** Replace loaded items for which `fn` returns a new value (a favourite toggled, tags edited). @param {(item: T) => T | null} fn */
  update(fn) {
    for (const page of this.pages.values()) {
      page.forEach((item, i) => {
        const next = fn(item);
        if (next) page[i] = next;
      });
    }
  }
}
