// @ts-check
/**
 * The "LoRA Library" workspace: search, sort and view in the header, the filter panel with counts, the
 * active filters as removable chips, the virtualised grid of the whole library (one page of results is
 * fetched per screenful, by row offset, a bounded number kept), selection (click, Ctrl/Shift-click,
 * boxes) with bulk tag / favourite, and two inner views: one LoRA's details and the profiles manager.
 * The filter and sort state lives in localStorage and survives a reload. Built once; `mount` puts it in
 * whatever container the sidebar (or the floating fallback) gives.
 */

import { PageCache } from "../lib/library_window.js";
import { ThumbnailQueue } from "../lib/thumbnail_queue.js";
import { SORTS, activeChips, clearFilters, filterParams, formatCount, loadState, normaliseState, queryKey,
  saveState, searchParams } from "../lib/library_filters.js";
import { DRAG_TYPE, dragPayload } from "../lib/library_targets.js";
import { comfyEvents } from "../editor/comfy_events.js";
import { h } from "../editor/dom.js";
import { ownKeys } from "../editor/key_guard.js";
import { ensureStyles } from "../editor/styles.js";
import { detailView } from "./detail_view.js";
import { FilterPanel } from "./filter_panel.js";
import { addLoraToNode, targetNodes } from "./graph_targets.js";
import { bindCard, createCard, showThumbnail } from "./library_card.js";
import { VirtualGrid } from "./library_grid.js";
import { ensureLibraryStyles } from "./library_styles.js";
import { profilesPanel } from "./profiles_panel.js";
import { enterForm } from "./user_data_editor.js";

export const PAGE_SIZE = 100;
export const SEARCH_DELAY_MS = 200;
export const MAX_IN_FLIGHT = 2;
export const THUMB_REST_MS = 120;
export const THUMBS_IN_FLIGHT = 4;

/**
 * Fetch and decode one thumbnail off the page's main thread (`decode()`); resolves to the image, which the
 * thumbnail queue keeps referenced so the card's <img> reuses it from the memory cache.
 * @param {string} url
 */
function decodeImage(url) {
  const image = new Image();
  image.decoding = "async";
  image.src = url;
  return image.decode().then(() => image);
}

export const LAYOUTS = { list: { rowHeight: 52, minCellWidth: 200 }, grid: { rowHeight: 196, minCellWidth: 150 } };
/** Thumbnail size asked of the preview route per view: twice the card's image box (sharp on a 2x screen). */
export const THUMB_PX = { list: 96, grid: 320 };
const SCAN_EVENT = "lwb.library.scan";
const NODE_TYPES = { loader: "MultiScheduledLoraLoader", combiner: "LoraBlockWeightCombiner" };

/**
 * @typedef {import("../lib/library_filters.js").LibraryState} LibraryState
 * @typedef {{api: import("../lib/api.js").EditorApi, app: any, storage: Storage,
 *   notify?: (message: string, error?: boolean) => void}} TabOptions
 */

export class LibraryTab {
  /** @param {TabOptions} options */
  constructor(options) {
    this.o = options;
    this.api = options.api;
    /** @type {LibraryState} */
    this.state = loadState(options.storage);
    /** @type {PageCache<any>} */
    this.cache = new PageCache(PAGE_SIZE);
    this.total = 0;
    /** selected LoRAs by name @type {Map<string, any>} */
    this.selection = new Map();
    this.anchor = -1;
    /** offsets wanted for the visible window, most recent call @type {number[]} */
    this.wanted = [];
    this.inFlight = 0;
    this.generation = 0;
    this.searchTimer = 0;
    /** @type {any} */
    this.facets = {};
    /** the grid's scroll position while an inner view shows @type {number | undefined} */
    this.scrollKept = undefined;
    /** whether the filter panel was open before an inner view hid it @type {boolean | undefined} */
    this.panelWasOpen = undefined;
    /** the list is moving fast: no thumbnail is fetched until it rests */
    this.flinging = false;
    /** @type {ThumbnailQueue<HTMLImageElement>} */
    this.thumbs = new ThumbnailQueue({ load: decodeImage, apply: showThumbnail, maxInFlight: THUMBS_IN_FLIGHT });
    this.lastScrollTop = 0;
    this.restTimer = 0;
    /** nothing is asked of the server until the tab is first shown */
    this.started = false;
    this.build();
    comfyEvents()?.addEventListener(SCAN_EVENT, /** @type {EventListener} */ ((/** @type {CustomEvent} */ e) => {
      if (this.started && ["done", "stopped"].includes(e.detail?.phase)) this.invalidate();
    }));
  }

  build() {
    ensureStyles(document);
    ensureLibraryStyles(document);
    const s = this.state;
    this.search = h("input", { className: "lwb-text lwb-lib-search", type: "search", placeholder: "Search name, trigger, tag, note…",
      value: s.q, dataset: { role: "library-search" } });
    this.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.patch({ q: this.search.value }), SEARCH_DELAY_MS);
    });

    this.sort = h("select", { className: "lwb-text", dataset: { role: "library-sort" }, title: "Sort by" },
      ...SORTS.map((o) => h("option", { value: o.value, text: o.label })));
    this.sort.value = s.sort;
    this.sort.addEventListener("change", () => this.patch({ sort: this.sort.value }));
    this.order = h("button", { className: "lwb-btn", dataset: { action: "library-order" } });
    this.order.addEventListener("click", () => this.patch({ order: this.state.order === "asc" ? "desc" : "asc" }));
    this.viewBtn = h("button", { className: "lwb-btn", dataset: { action: "library-view" } });
    this.viewBtn.addEventListener("click", () => this.patch({ view: this.state.view === "list" ? "grid" : "list" }));
    this.filtersBtn = h("button", { className: "lwb-btn", text: "Filters", dataset: { action: "library-filters" } });
    this.panel = new FilterPanel((patch) => this.patch(patch));
    this.panel.element.hidden = true;
    this.filtersBtn.addEventListener("click", () => { this.panel.element.hidden = !this.panel.element.hidden; });
    this.chips = h("div", { className: "lwb-chips", dataset: { role: "library-chips" } });
    this.count = h("span", { className: "lwb-muted", dataset: { role: "library-count" } });
    this.bulk = h("div", { className: "lwb-lib-bulk", dataset: { role: "bulk-bar" }, hidden: true });
    this.status = h("div", { className: "lwb-muted lwb-lib-status", dataset: { role: "library-status" } });
    const layout = LAYOUTS[/** @type {"list" | "grid"} */ (s.view)];
    this.grid = new VirtualGrid({
      ...layout, pageSize: PAGE_SIZE,
      item: (i) => this.cache.get(i),
      create: createCard,
      bind: (cell, item, index) => bindCard(cell, item, index, { selected: Boolean(item && this.selection.has(item.name)),
        previewUrl: (n) => this.api.thumbnailUrl(n, THUMB_PX[/** @type {"list" | "grid"} */ (this.state.view)]),
        thumbnail: (img, url) => this.thumbs.want(img, url) }),
      release: (cell) => { this.thumbs.want(/** @type {HTMLImageElement} */ (cell.querySelector("img")), ""); },
      needPages: (offsets) => { this.wanted = offsets; this.cache.touch(offsets); this.pump(); },
    });
    this.grid.element.classList.toggle("lwb-grid-mode", s.view === "grid");
    this.grid.element.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.wireGrid();
    this.main = h("div", { className: "lwb-lib-main" }, this.grid.element);
    this.element = h("div", { className: "lwb-library", dataset: { role: "lora-library" } },
      h("div", { className: "lwb-lib-bar" }, enterForm(this.search, () => {
        clearTimeout(this.searchTimer);
        this.patch({ q: this.search.value });
      })),
      h("div", { className: "lwb-lib-bar" }, this.sort, this.order, this.viewBtn, this.filtersBtn,
        h("span", { className: "lwb-spacer" }),
        h("button", { className: "lwb-btn", text: "Profiles", dataset: { action: "library-profiles" }, on: { click: () => this.showProfiles() } })),
      this.panel.element,
      h("div", { className: "lwb-lib-bar" }, this.count, this.chips),
      this.bulk, this.main, this.status);
    ownKeys(this.element, (e) => this.onKey(e));
    this.renderHeader();
  }

  /** Put the tab into `container` (the sidebar gives a fresh one each time the tab opens). @param {HTMLElement} container */
  mount(container) {
    if (this.element.parentElement !== container) container.replaceChildren(this.element);
    if (!container.style.height) container.style.height = "100%"; // the sidebar's slot is otherwise as tall as its content
    if (!this.started) { this.started = true; this.query(true); }
    this.grid.schedule();
  }

  // ─── State and loading ───

  /** @param {Partial<LibraryState>} patch */
  patch(patch) {
    this.started = true;
    const before = queryKey(this.state);
    this.state = normaliseState({ ...this.state, ...patch });
    saveState(this.o.storage, this.state);
    if ("view" in patch) {
      this.grid.element.classList.toggle("lwb-grid-mode", this.state.view === "grid");
      this.grid.setLayout(LAYOUTS[/** @type {"list" | "grid"} */ (this.state.view)]);
    }
    this.renderHeader();
    if (queryKey(this.state) !== before) this.query(true);
  }

  renderHeader() {
    const s = this.state;
    if (this.search.value !== s.q && document.activeElement !== this.search) this.search.value = s.q;
    this.sort.value = s.sort;
    this.order.textContent = s.order === "asc" ? "↑" : "↓";
    this.order.title = s.order === "asc" ? "Ascending (click for descending)" : "Descending (click for ascending)";
    this.viewBtn.textContent = s.view === "list" ? "▦ Grid" : "☰ List";
    const chips = activeChips(s);
    this.chips.replaceChildren(...chips.map((c) => h("button", { className: "lwb-chip", text: `${c.text} ×`, title: "Remove this filter",
      dataset: { action: "remove-filter" }, on: { click: () => this.patch(c.patch) } })),
    chips.length > 1 ? h("button", { className: "lwb-chip", text: "Clear all", dataset: { action: "clear-filters" },
      on: { click: () => this.patch(clearFilters(this.state)) } }) : "");
    this.filtersBtn.textContent = chips.length ? `Filters (${chips.length})` : "Filters";
    this.panel.update(s, this.facets);
  }

  /** A new result list: first page and facet counts, then the grid from the top. @param {boolean} reset */
  async query(reset) {
    const key = queryKey(this.state);
    const mine = ++this.generation;
    this.cache.useKey(key);
    this.status.textContent = "Searching…";
    /** @type {Promise<any>} */
    const facets = this.api.libraryFacetCounts(filterParams(this.state)).catch((err) => ({ error: err }));
    let first;
    try {
      first = await this.api.libraryWindow(searchParams(this.state, 0, PAGE_SIZE));
    } catch (err) {
      if (mine === this.generation) this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    if (mine !== this.generation) return;
    this.cache.put(0, first.items ?? []);
    this.total = Number(first.total) || 0;
    if (reset) this.grid.reset(this.total); else { this.grid.setTotal(this.total); this.grid.update(); }
    this.count.textContent = `${formatCount(this.total)} LoRA${this.total === 1 ? "" : "s"}`;
    this.count.dataset.total = String(this.total);
    const scanning = first.scan?.scanning ? " · indexing, results may be incomplete" : "";
    this.status.textContent = `${formatCount(this.total)} shown${scanning}`;
    const answer = await facets;
    if (mine !== this.generation) return;
    if (answer.error) { this.status.textContent = `facet counts: ${answer.error.message}`; return; }
    this.facets = answer.facets ?? {};
    this.panel.update(this.state, this.facets);
    this.element.dataset.ready = String(this.generation);
  }

  /** Drop the loaded pages (data changed on the server) and reload what is visible, keeping the scroll. */
  invalidate() {
    this.cache.useKey("");
    this.query(false);
  }

  /** Fetch the wanted pages, at most MAX_IN_FLIGHT at once; pages scrolled past before their turn are skipped. */
  pump() {
    while (this.inFlight < MAX_IN_FLIGHT) {
      const [offset] = this.cache.missing(this.wanted);
      if (offset === undefined) return;
      const key = this.cache.key;
      this.cache.loading.add(offset);
      this.inFlight += 1;
      this.api.libraryWindow(searchParams(this.state, offset, PAGE_SIZE))
        .then((page) => {
          if (this.cache.key !== key) return;
          this.cache.put(offset, page.items ?? []);
          if (Number(page.total) !== this.total) { this.total = Number(page.total) || 0; this.grid.setTotal(this.total); }
          this.grid.update();
        })
        .catch((err) => {
          this.cache.loading.delete(offset);
          this.status.textContent = /** @type {Error} */ (err).message;
        })
        .finally(() => { this.inFlight -= 1; this.pump(); });
    }
  }

  /**
   * No thumbnail is fetched while the list moves more than a screen per scroll event (the cards it passes
   * would be gone before their image arrives); the cards then shown get theirs once it rests.
   */
  onScroll() {
    const top = this.grid.element.scrollTop;
    if (Math.abs(top - this.lastScrollTop) > this.grid.element.clientHeight) {
      this.flinging = true;
      this.thumbs.setPaused(true);
    }
    this.lastScrollTop = top;
    clearTimeout(this.restTimer);
    this.restTimer = window.setTimeout(() => {
      if (!this.flinging) return;
      this.flinging = false;
      this.thumbs.setPaused(false);
    }, THUMB_REST_MS);
  }

  // ─── Grid interaction (delegated) ───

  wireGrid() {
    const el = this.grid.element;
    const cardOf = (/** @type {Event} */ e) => /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest?.(".lwb-card"));
    el.addEventListener("click", (e) => {
      const card = cardOf(e);
      if (!card) return;
      const index = Number(card.dataset.index);
      const item = this.cache.get(index);
      if (!item) return;
      const action = /** @type {HTMLElement} */ (e.target).closest?.("[data-action]")?.getAttribute("data-action");
      if (action === "favourite") { e.stopPropagation(); this.setFavourite([item], !item.favourite); return; }
      if (action === "details") { this.showDetail(item); return; }
      if (action === "select" || e.ctrlKey || e.metaKey) this.toggle(item, index);
      else if (e.shiftKey && this.anchor >= 0) this.selectRange(this.anchor, index);
      else { this.selection.clear(); this.toggle(item, index); }
    });
    el.addEventListener("dblclick", (e) => {
      const card = cardOf(e);
      const item = card ? this.cache.get(Number(card.dataset.index)) : null;
      if (item) this.showDetail(item);
    });
    el.addEventListener("dragstart", (e) => {
      const card = cardOf(e);
      const item = card ? this.cache.get(Number(card.dataset.index)) : null;
      if (!item || !e.dataTransfer) { e.preventDefault(); return; }
      e.dataTransfer.setData(DRAG_TYPE, dragPayload(item));
      e.dataTransfer.setData("text/plain", item.name);
      e.dataTransfer.effectAllowed = "copy";
    });
  }

  /** @param {any} item @param {number} index */
  toggle(item, index) {
    if (this.selection.has(item.name)) this.selection.delete(item.name);
    else this.selection.set(item.name, item);
    this.anchor = index;
    this.selectionChanged();
  }

  /** Select the loaded items between two indexes (inclusive). @param {number} a @param {number} b */
  selectRange(a, b) {
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
      const item = this.cache.get(i);
      if (item) this.selection.set(item.name, item);
    }
    this.selectionChanged();
  }

  selectionChanged() {
    this.grid.repaint();
    this.renderBulk();
  }

  renderBulk() {
    const n = this.selection.size;
    this.bulk.hidden = n === 0;
    if (!n) { this.bulk.replaceChildren(); return; }
    const tag = h("input", { className: "lwb-text", type: "text", placeholder: "tag", maxLength: 64, dataset: { role: "bulk-tag" },
      style: { width: "90px" } });
    const run = (/** @type {"add_tags" | "remove_tags"} */ field) => {
      const value = tag.value.trim();
      if (value) this.bulkEdit({ [field]: [value] }, `${field === "add_tags" ? "tagged" : "untagged"} ${value}`);
    };
    this.bulk.replaceChildren(h("span", { text: `${formatCount(n)} selected`, dataset: { role: "bulk-count" } }),
      enterForm(tag, () => run("add_tags")),
      h("button", { className: "lwb-btn", text: "+ Tag", dataset: { action: "bulk-add-tag" }, on: { click: () => run("add_tags") } }),
      h("button", { className: "lwb-btn", text: "− Tag", dataset: { action: "bulk-remove-tag" }, on: { click: () => run("remove_tags") } }),
      h("button", { className: "lwb-btn", text: "★", title: "Favourite all", dataset: { action: "bulk-favourite" },
        on: { click: () => this.setFavourite([...this.selection.values()], true) } }),
      h("button", { className: "lwb-btn", text: "☆", title: "Unfavourite all", dataset: { action: "bulk-unfavourite" },
        on: { click: () => this.setFavourite([...this.selection.values()], false) } }),
      h("button", { className: "lwb-btn", text: "Clear", dataset: { action: "bulk-clear" },
        on: { click: () => { this.selection.clear(); this.selectionChanged(); } } }));
  }

  /** @param {any} patch @param {string} done */
  async bulkEdit(patch, done) {
    const ids = [...new Set([...this.selection.values()].map((i) => i.id))];
    this.status.textContent = "saving…";
    try {
      const answer = await this.api.bulkUserData(ids, patch);
      this.status.textContent = `${done} on ${formatCount(answer.updated ?? ids.length)} LoRA${ids.length === 1 ? "" : "s"}`;
      this.status.dataset.done = String(Date.now());
    } catch (err) {
      this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    this.invalidate();
  }

  /** @param {any[]} items @param {boolean} favourite */
  async setFavourite(items, favourite) {
    const ids = [...new Set(items.map((i) => i.id))];
    try {
      if (ids.length === 1) await this.api.patchUserData(ids[0], { favourite });
      else await this.api.bulkUserData(ids, { favourite });
    } catch (err) {
      this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    const set = new Set(ids);
    this.cache.update((item) => (set.has(item.id) ? { ...item, favourite } : null));
    this.status.textContent = `${favourite ? "favourite" : "not favourite"}: ${ids.length === 1 ? items[0].name : `${ids.length} LoRAs`}`;
    this.status.dataset.done = String(Date.now());
    if (this.state.favourite || this.state.sort !== "name") this.invalidate();
    else { this.grid.update(); this.query(false); }
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(/** @type {HTMLElement} */ (e.target).tagName);
    if (typing) return;
    if (e.key === "Escape" && this.selection.size) { this.selection.clear(); this.selectionChanged(); }
    else if (e.key === "Enter" && this.anchor >= 0) {
      const item = this.cache.get(this.anchor);
      if (item) this.showDetail(item);
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "a" && e.target === this.grid.element) {
      e.preventDefault();
      for (const { item } of this.cache.loaded()) this.selection.set(item.name, item);
      this.selectionChanged();
    }
  }

  // ─── Inner views ───

  /** @param {HTMLElement} view */
  swapMain(view) {
    this.scrollKept ??= this.grid.element.scrollTop;
    this.panelWasOpen ??= !this.panel.element.hidden;
    this.panel.element.hidden = true;
    this.main.replaceChildren(view);
  }

  backToGrid() {
    this.panel.element.hidden = !this.panelWasOpen;
    this.panelWasOpen = undefined;
    this.main.replaceChildren(this.grid.element);
    if (this.scrollKept !== undefined) this.grid.element.scrollTop = this.scrollKept;
    this.scrollKept = undefined;
    this.invalidate();
  }

  /** @param {any} item */
  showDetail(item) {
    this.swapMain(detailView({
      api: this.api, item,
      targets: () => targetNodes(this.o.app.graph),
      addTo: (target, name) => this.addTo(target, name),
      onBack: () => this.backToGrid(),
      onUserSaved: (data) => this.cache.update((i) => (i.id === data.id
        ? { ...i, favourite: data.favourite, user_tags: data.tags, note: data.note } : null)),
    }));
  }

  showProfiles() {
    this.swapMain(profilesPanel({ api: this.api, onBack: () => this.backToGrid() }));
  }

  /**
   * Add a LoRA to node `target` (an id, or "new:loader" / "new:combiner" to place a new node first).
   * @param {string} target @param {string} name
   */
  addTo(target, name) {
    const graph = this.o.app.graph;
    let node;
    if (target.startsWith("new:")) {
      const type = NODE_TYPES[/** @type {"loader" | "combiner"} */ (target.slice(4))];
      const LiteGraph = /** @type {any} */ (window).LiteGraph;
      node = LiteGraph?.createNode?.(type);
      if (!node) throw new Error(`cannot create a ${type} node`);
      const canvas = this.o.app.canvas;
      const [cx, cy] = canvas?.ds?.visible_area ? [canvas.ds.visible_area[0] + 40, canvas.ds.visible_area[1] + 40] : [100, 100];
      node.pos = [cx, cy];
      graph.add(node);
    } else {
      node = graph.getNodeById(Number(target)) ?? graph.getNodeById(target);
      if (!node) throw new Error(`node #${target} is no longer in the graph`);
    }
    const message = addLoraToNode(node, name);
    this.o.notify?.(message);
    return message;
  }
}
