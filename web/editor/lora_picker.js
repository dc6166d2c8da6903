// @ts-check
/**
 * LoRA picker: search box (debounced; Enter searches at once when the text changed), family and role
 * filters from the library's facets, one page at a time from the library route (or ComfyUI's own list
 * when there is no library), architecture and role badges, a compatibility hint against the graph's
 * checkpoint, keyboard selection, preview on hover, and the library's background block-energy progress
 * (`lwb.library.energy` events) with a pause/resume button.
 *
 * Compatibility hints are asked only for rows scrolled into view (IntersectionObserver), through the
 * metadata cache (`compat:<ckpt>:<lora>`), two at a time, the hovered row first. A preview is fetched
 * after a short hover, the previous fetch aborted: an image as a blob whose object URL is revoked when
 * replaced or when the picker closes; a video plays from the route's URL (ComfyUI's Content-Security-
 * Policy allows blob: images but not blob: media). Every name and fact is inserted as text.
 */

import { comfyEvents } from "./comfy_events.js";
import { compatHint, filterChoices, HintQueue, pageCount, parsePage } from "../lib/picker_model.js";
import { ENERGY_EVENT, energyProgress } from "../lib/progress_text.js";
import { h, clear } from "./dom.js";
import { ownKeys } from "./key_guard.js";
import { ensureStyles } from "./styles.js";
import { starButton, userDataEditor, userDataOf } from "../library/user_data_editor.js";

/** ComfyUI websocket event the library sends with scan progress (modules/library/service.py). */
const SCAN_EVENT = "lwb.library.scan";

export const SEARCH_DELAY_MS = 150;
export const HOVER_DELAY_MS = 120;
export const PAGE_SIZE = 50;

/**
 * @typedef {import("../lib/api.js").LoraEntry & {trigger_words?: string[], model_name?: string | null, id?: string,
 *   favourite?: boolean, user_tags?: string[], note?: string}} PickerEntry
 * @typedef {{api: import("../lib/api.js").EditorApi, title: string, initialQuery?: string,
 *   cache?: import("../lib/metadata_cache.js").MetadataCache | null, ckptName?: string | null,
 *   searchDelayMs?: number, onPick: (name: string) => void, onClose?: () => void,
 *   onRendered?: (info: {query: string, page: number, total: number, rows: number}) => void}} PickerOptions
 */

/**
 * @param {PickerOptions} o
 * @returns {{close: () => void, element: HTMLElement, search: (query: string) => void}}
 */
export function openPicker({ api, title, initialQuery = "", cache = null, ckptName = null,
  searchDelayMs = SEARCH_DELAY_MS, onPick, onClose, onRendered }) {
  ensureStyles(document);
  const input = h("input", { className: "lwb-text", type: "search", placeholder: "Search LoRAs…", value: initialQuery,
    style: { flex: "1" }, dataset: { role: "picker-search" } });
  const familySelect = h("select", { className: "lwb-text", dataset: { role: "picker-family" }, title: "Base model family",
    hidden: true });
  const roleSelect = h("select", { className: "lwb-text", dataset: { role: "picker-role" }, title: "Role (from the folder)",
    hidden: true });
  const list = h("div", { className: "lwb-picker-list", dataset: { role: "picker-list" } });
  const status = h("span", { className: "lwb-muted", dataset: { role: "picker-status" } });
  const energyNote = h("span", { className: "lwb-muted", dataset: { role: "picker-energy" } });
  const energyToggle = h("button", { className: "lwb-btn", dataset: { action: "energy-toggle" }, hidden: true,
    title: "Pause or resume measuring the block energy of the library in the background" });
  const ckptNote = h("span", { className: "lwb-muted", dataset: { role: "picker-ckpt" },
    text: ckptName ? `hints against ${ckptName}` : "no checkpoint in the graph: no compatibility hints" });
  const button = (/** @type {string} */ text, /** @type {string} */ action) =>
    h("button", { className: "lwb-btn", text, dataset: { action } });
  const first = button("«", "page-first");
  const prev = button("‹ Prev", "page-prev");
  const next = button("Next ›", "page-next");
  const last = button("»", "page-last");
  const pageInput = h("input", { className: "lwb-num", type: "number", min: "1", value: "1", dataset: { role: "picker-page" },
    title: "Page" });
  const pageTotal = h("span", { className: "lwb-muted" });
  const preview = h("div", { className: "lwb-preview", dataset: { role: "picker-preview" } },
    h("div", { className: "lwb-muted", text: "Hover a LoRA for its preview." }));
  const dialog = h("div", { className: "lwb-dialog lwb-picker", tabIndex: -1 },
    h("div", { className: "lwb-head" }, h("span", { className: "lwb-title", text: title }), input, familySelect, roleSelect),
    h("div", { className: "lwb-picker-body" }, list, preview),
    h("div", { className: "lwb-toolbar" }, first, prev, pageInput, pageTotal, next, last, status, energyNote,
      energyToggle, ckptNote,
      h("span", { className: "lwb-spacer" }),
      h("button", { className: "lwb-btn", text: "Cancel", on: { click: () => close() } })));
  const overlay = h("div", { className: "lwb-overlay lwb-picker-overlay" }, dialog);

  let page = 1;
  let pages = 1;
  let generation = 0;
  let searchTimer = 0;
  let hoverTimer = 0;
  let highlighted = 0;
  let lastQuery = /** @type {string | null} */ (null);
  /** @type {PickerEntry[]} */
  let entries = [];
  /** The answer the rows show (items and page): an equal answer keeps them, so a click is never lost to a redraw. */
  let shownRows = "";
  /** hint cells of the rows shown, by LoRA name @type {Map<string, HTMLElement>} */
  const hintCells = new Map();
  /** @type {string | null} */
  let previewUrl = null;
  let previewFor = "";
  /** @type {AbortController | null} */
  let previewFetch = null;
  let closed = false;
  /** While the library is being indexed, the scan's final progress event re-runs the search once. */
  let awaitingScan = false;
  /** Scans seen ending; a search whose answer says "scanning" but during which a scan ended runs again at once
   * (the end event came before the answer, so waiting for it would wait forever). */
  let scansEnded = 0;
  /** @param {CustomEvent} event */
  const onScanEvent = (event) => {
    const phase = event.detail?.phase;
    if (closed || !["done", "stopped", "failed"].includes(phase)) return;
    scansEnded++;
    if (!awaitingScan) return;
    awaitingScan = false;
    load();
  };
  /** Background block-energy progress: shown while it runs or is paused; the button pauses/resumes it. @param {any} progress */
  const showEnergy = (progress) => {
    const shown = energyProgress(progress);
    energyNote.textContent = shown.text;
    energyToggle.hidden = !shown.active;
    energyToggle.textContent = shown.paused ? "Resume" : "Pause";
    energyToggle.dataset.paused = String(shown.paused);
  };
  /** @param {CustomEvent} event */
  const onEnergyEvent = (event) => { if (!closed) showEnergy(event.detail); };
  energyToggle.addEventListener("click", async () => {
    const body = await api.energyControl(energyToggle.dataset.paused === "true" ? "resume" : "pause");
    if (body && !closed) showEnergy(body);
  });
  const events = comfyEvents();
  events?.addEventListener(SCAN_EVENT, /** @type {EventListener} */ (onScanEvent));
  events?.addEventListener(ENERGY_EVENT, /** @type {EventListener} */ (onEnergyEvent));

  const hints = new HintQueue(async (name) => {
    if (!cache || !ckptName || closed) return;
    const hint = compatHint(await cache.compatibility(ckptName, name));
    if (hint.kind === "none") {
      hints.stop();
      ckptNote.textContent = `no compatibility hints: ${ckptName}: ${hint.title}`;
      return;
    }
    const cell = hintCells.get(name);
    if (cell) showHint(cell, hint);
    if (previewFor === name) previewFacts(name);
  });
  if (!cache || !ckptName) hints.stop();
  const visible = new IntersectionObserver((seen) => {
    for (const e of seen) if (e.isIntersecting) hints.add(/** @type {HTMLElement} */ (e.target).dataset.name ?? "");
  }, { root: list });

  /** @param {HTMLElement} cell @param {ReturnType<typeof compatHint>} hint */
  function showHint(cell, hint) {
    cell.textContent = hint.text;
    cell.title = hint.title;
    cell.className = `lwb-hint lwb-hint-${hint.kind}`;
    cell.dataset.kind = hint.kind;
  }

  const choose = (/** @type {string} */ name) => { close(); onPick(name); };

  /** @param {PickerEntry} item @param {number} i */
  function row(item, i) {
    const hint = h("span", { className: "lwb-hint", dataset: { role: "compat-hint" } });
    const stored = cache && ckptName ? cache.peek(`compat:${ckptName}:${item.name}`) : null;
    if (stored) showHint(hint, compatHint(stored));
    hintCells.set(item.name, hint);
    const el = h("div", { className: `lwb-picker-item${i === highlighted ? " lwb-active" : ""}`,
      dataset: { index: String(i), name: item.name },
      on: { click: () => choose(item.name), mouseenter: () => hover(item.name) } },
    hint,
    h("span", { className: "lwb-picker-name", text: item.name, title: item.name }),
    item.arch ? h("span", { className: "lwb-badge", text: item.arch, dataset: { role: "arch-badge" },
      title: item.family && item.family !== item.arch ? `family ${item.family}` : "architecture" }) : null,
    item.role && item.role !== "other" ? h("span", { className: "lwb-badge lwb-badge-role", text: item.role,
      dataset: { role: "role-badge" } }) : null,
    item.error ? h("span", { className: "lwb-error", text: "⚠", title: String(item.error) }) : null,
    item.id ? favouriteSlot(item) : null);
    if (!stored && !hints.stopped) visible.observe(el);
    return el;
  }

  /** The favourite star of a library row (saved by content id; the row stays picked by its name). @param {PickerEntry} item */
  function favouriteSlot(item) {
    const slot = h("span", { dataset: { role: "picker-favourite" } });
    const draw = () => slot.replaceChildren(starButton({ favourite: Boolean(item.favourite), onToggle: async (next) => {
      try {
        const user = await api.patchUserData(String(item.id), { favourite: next });
        item.favourite = Boolean(user.favourite);
        draw();
      } catch (err) {
        status.textContent = /** @type {Error} */ (err).message;
      }
    } }));
    draw();
    return slot;
  }

  async function load() {
    const mine = ++generation;
    const query = input.value;
    const endedBefore = scansEnded;
    lastQuery = query;
    status.textContent = "Searching…";
    let result;
    try {
      result = await api.search({ query, page, pageSize: PAGE_SIZE, family: familySelect.value, role: roleSelect.value });
    } catch (err) {
      if (mine === generation) status.textContent = String(/** @type {Error} */ (err).message ?? err);
      return;
    }
    if (mine !== generation || closed) return; // a newer search answered first
    const rows = JSON.stringify([result.items, result.page]);
    if (rows !== shownRows) {
      // e.g. the scan's end runs the search again: when nothing changed, the rows (and a click on one) stay
      shownRows = rows;
      hints.reset();
      visible.disconnect();
      hintCells.clear();
      entries = /** @type {PickerEntry[]} */ (result.items);
      highlighted = 0;
      list.replaceChildren(...entries.map(row));
      list.scrollTop = 0;
    }
    page = result.page;
    pages = pageCount(result.total, result.pageSize);
    pageInput.value = String(page);
    pageInput.max = String(pages);
    pageTotal.textContent = `of ${pages}`;
    awaitingScan = Boolean(result.scan?.scanning);
    if (awaitingScan && scansEnded !== endedBefore) {
      awaitingScan = false;
      load();
      return;
    }
    const scanning = awaitingScan ? ` · indexing${progressText(result.scan.progress)}, results may be incomplete` : "";
    status.textContent = `${result.total} LoRAs${result.source === "core" ? " · ComfyUI list" : ""}${scanning}`;
    list.dataset.searches = String(mine); // how many searches have been shown: lets tests wait for theirs
    list.dataset.query = query; // and the query the rows answer
    first.disabled = prev.disabled = page <= 1;
    next.disabled = last.disabled = page >= pages;
    if (result.source === "core") { familySelect.hidden = true; roleSelect.hidden = true; }
    onRendered?.({ query, page, total: result.total, rows: entries.length });
  }

  /** @param {any} progress */
  const progressText = (progress) => (progress && Number.isFinite(progress.seen) ? ` (${progress.seen} files seen)` : "");

  async function loadFilters() {
    const { status: libStatus, roles } = await api.libraryFacets();
    if (closed || !libStatus) return;
    showEnergy(libStatus.energy);
    const { families, roles: roleChoices } = filterChoices(libStatus, roles);
    const fill = (/** @type {HTMLSelectElement} */ select, /** @type {string} */ all,
      /** @type {import("../lib/picker_model.js").Choice[]} */ choices) => {
      const keep = select.value;
      select.replaceChildren(h("option", { value: "", text: all }),
        ...choices.map((c) => h("option", { value: c.value, text: c.label })));
      select.value = choices.some((c) => c.value === keep) ? keep : "";
      select.hidden = choices.length === 0;
    };
    fill(familySelect, "All families", families);
    fill(roleSelect, "All roles", roleChoices);
  }

  /** @param {string} name */
  function hover(name) {
    hints.prioritise(name);
    clearTimeout(hoverTimer);
    hoverTimer = window.setTimeout(() => showPreview(name), HOVER_DELAY_MS);
  }

  /** The text facts of the hovered LoRA (name, architecture, role, trigger words, hint). @param {string} name */
  function previewFacts(name) {
    const item = entries.find((e) => e.name === name);
    const facts = preview.querySelector("[data-role=preview-facts]");
    if (!facts) return;
    const hint = cache && ckptName ? cache.peek(`compat:${ckptName}:${name}`) : null;
    facts.replaceChildren(...[
      h("div", { text: name, dataset: { role: "preview-name" } }),
      item?.arch ? h("div", { className: "lwb-muted", text: [item.arch, item.family, item.role].filter(Boolean).join(" · ") }) : null,
      item?.trigger_words?.length ? h("div", { className: "lwb-muted", text: `triggers: ${item.trigger_words.join(", ")}` }) : null,
      hint ? h("div", { className: compatHint(hint).kind === "ok" ? "lwb-muted" : "lwb-error",
        text: compatHint(hint).kind === "ok" ? `suits ${ckptName}` : compatHint(hint).title, dataset: { role: "preview-compat" } })
        : null].filter((el) => el !== null));
  }

  /** @param {string} name */
  async function showPreview(name) {
    if (name === previewFor || closed) return;
    previewFor = name;
    previewFetch?.abort();
    const item = entries.find((e) => e.name === name);
    const media = h("div", { className: "lwb-muted", text: "Loading preview…" });
    revokePreview();
    clear(preview);
    preview.append(h("div", { dataset: { role: "preview-facts" } }), media);
    if (item?.id) {
      preview.append(userDataEditor({ api, data: userDataOf(/** @type {any} */ (item)), onSaved: (data) => {
        Object.assign(item, { favourite: data.favourite, user_tags: data.tags, note: data.note });
      } }));
    }
    previewFacts(name);
    if (item && item.preview === null) { media.textContent = "No preview."; return; } // the library knows
    const controller = new AbortController();
    previewFetch = controller;
    const url = api.previewUrl(name);
    /** @type {Blob | null} */
    let blob = null;
    let video = false;
    try {
      const response = await api.fetch(api.previewRoute(name), { signal: controller.signal });
      video = response.ok && (response.headers.get("content-type") ?? "").startsWith("video/");
      if (video) controller.abort(); // streamed by the <video> itself
      else blob = response.ok ? await response.blob() : null;
    } catch (err) {
      if (/** @type {Error} */ (err).name === "AbortError" && !video) return;
    }
    if (closed || previewFor !== name) return;
    if (video) {
      // ComfyUI's CSP (default-src 'self', no blob: media) refuses blob videos; the route is same-origin.
      media.replaceWith(h("video", { src: url, autoplay: true, muted: true, loop: true, dataset: { role: "preview-media" } }));
      return;
    }
    if (!blob) { media.textContent = "No preview."; return; }
    previewUrl = URL.createObjectURL(blob);
    media.replaceWith(h("img", { src: previewUrl, alt: "", dataset: { role: "preview-media" } }));
  }

  function revokePreview() {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  }

  /** @param {number} index */
  function highlight(index) {
    const rows = list.children;
    if (!rows.length) return;
    rows[highlighted]?.classList.remove("lwb-active");
    highlighted = Math.max(0, Math.min(rows.length - 1, index));
    rows[highlighted].classList.add("lwb-active");
    rows[highlighted].scrollIntoView({ block: "nearest" });
    hover(entries[highlighted].name);
  }

  /** @param {number} target */
  function goTo(target) {
    const wanted = Math.max(1, Math.min(pages, target));
    if (wanted === page) return;
    page = wanted;
    load();
  }

  function searchNow() {
    clearTimeout(searchTimer);
    page = 1;
    load();
  }

  /** @param {KeyboardEvent} e */
  function onKey(e) {
    // keys typed in the preview pane's tag and note fields are theirs (Enter there must not pick a LoRA)
    if (e.key !== "Escape" && preview.contains(/** @type {Node} */ (e.target))) return;
    if (e.key === "Escape") { e.preventDefault(); close(); }
    else if (e.key === "ArrowDown") { e.preventDefault(); highlight(highlighted + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(highlighted - 1); }
    else if (e.key === "PageDown") { e.preventDefault(); goTo(page + 1); }
    else if (e.key === "PageUp") { e.preventDefault(); goTo(page - 1); }
    else if (e.key === "Enter" && e.target === pageInput) { e.preventDefault(); goTo(parsePage(pageInput.value, pages) ?? page); }
    else if (e.key === "Enter" && input.value !== lastQuery) { e.preventDefault(); searchNow(); }
    else if (e.key === "Enter" && entries[highlighted]) { e.preventDefault(); choose(entries[highlighted].name); }
  }

  function close() {
    if (closed) return;
    closed = true;
    events?.removeEventListener(SCAN_EVENT, /** @type {EventListener} */ (onScanEvent));
    events?.removeEventListener(ENERGY_EVENT, /** @type {EventListener} */ (onEnergyEvent));
    clearTimeout(searchTimer);
    clearTimeout(hoverTimer);
    hints.stop();
    visible.disconnect();
    previewFetch?.abort();
    revokePreview();
    overlay.remove();
    onClose?.();
  }

  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(searchNow, searchDelayMs);
  });
  familySelect.addEventListener("change", searchNow);
  roleSelect.addEventListener("change", searchNow);
  first.addEventListener("click", () => goTo(1));
  prev.addEventListener("click", () => goTo(page - 1));
  next.addEventListener("click", () => goTo(page + 1));
  last.addEventListener("click", () => goTo(pages));
  pageInput.addEventListener("change", () => goTo(parsePage(pageInput.value, pages) ?? page));
  ownKeys(overlay, onKey);
  overlay.addEventListener("pointerdown", (e) => { if (e.target === overlay) close(); });
  document.body.append(overlay);
  input.focus();
  load();
  loadFilters();
  return { close, element: overlay, search: (query) => { input.value = query; searchNow(); } };
}
