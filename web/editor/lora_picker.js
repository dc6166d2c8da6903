// @ts-check
/**
 * LoRA picker: search box (debounced), one page at a time from the library route (or ComfyUI's own list
 * when there is no library), architecture badges, keyboard selection, preview on hover. A preview is
 * fetched as a blob so images and videos both show; its object URL is revoked when replaced or closed.
 */

import { h, clear } from "./dom.js";
import { ownKeys } from "./key_guard.js";

const SEARCH_DELAY_MS = 150;
export const PAGE_SIZE = 50;

/**
 * @param {{api: import("../lib/api.js").EditorApi, title: string, initialQuery?: string,
 *   onPick: (name: string) => void, onClose?: () => void}} o
 * @returns {{close: () => void, element: HTMLElement}}
 */
export function openPicker({ api, title, initialQuery = "", onPick, onClose }) {
  const input = h("input", { className: "lwb-text", type: "search", placeholder: "Search LoRAs…", value: initialQuery,
    style: { flex: "1" }, dataset: { role: "picker-search" } });
  const list = h("div", { className: "lwb-picker-list", dataset: { role: "picker-list" } });
  const status = h("span", { className: "lwb-muted" });
  const prev = h("button", { className: "lwb-btn", text: "‹ Prev" });
  const next = h("button", { className: "lwb-btn", text: "Next ›" });
  const preview = h("div", { className: "lwb-preview" }, h("div", { className: "lwb-muted", text: "Hover a LoRA for its preview." }));
  const dialog = h("div", { className: "lwb-dialog lwb-picker", tabIndex: -1 },
    h("div", { className: "lwb-head" }, h("span", { className: "lwb-title", text: title }), input),
    h("div", { className: "lwb-picker-body" }, list, preview),
    h("div", { className: "lwb-toolbar" }, prev, next, status, h("span", { className: "lwb-spacer" }),
      h("button", { className: "lwb-btn", text: "Cancel", on: { click: () => close() } })));
  const overlay = h("div", { className: "lwb-overlay lwb-picker-overlay" }, dialog);
  let page = 1;
  let generation = 0;
  let timer = 0;
  let highlighted = 0;
  /** @type {string[]} */
  let names = [];
  /** @type {string | null} */
  let previewUrl = null;
  let previewFor = "";
  let closed = false;

  const choose = (/** @type {string} */ name) => { close(); onPick(name); };

  async function load() {
    const mine = ++generation;
    status.textContent = "Searching…";
    let result;
    try {
      result = await api.search({ query: input.value, page, pageSize: PAGE_SIZE });
    } catch (err) {
      if (mine === generation) status.textContent = String(/** @type {Error} */ (err).message ?? err);
      return;
    }
    if (mine !== generation || closed) return; // a newer search answered first
    clear(list);
    names = result.items.map((item) => item.name);
    highlighted = 0;
    result.items.forEach((item, i) => {
      const row = h("div", { className: `lwb-picker-item${i === 0 ? " lwb-active" : ""}`, dataset: { index: String(i) },
        on: { click: () => choose(item.name), mouseenter: () => showPreview(item.name) } },
      h("span", { text: item.name, style: { flex: "1" } }));
      if (item.arch) row.append(h("span", { className: "lwb-badge", text: item.arch }));
      if (item.error) row.append(h("span", { className: "lwb-error", text: "⚠", title: String(item.error) }));
      list.append(row);
    });
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
    status.textContent = `${result.total} LoRAs · page ${result.page}/${pages}${result.source === "core" ? " · ComfyUI list" : ""}`;
    prev.disabled = result.page <= 1;
    next.disabled = result.page >= pages;
  }

  /** @param {string} name */
  async function showPreview(name) {
    if (name === previewFor) return;
    previewFor = name;
    const mine = generation;
    const response = await fetch(api.previewUrl(name)).catch(() => null);
    if (closed || previewFor !== name || mine !== generation) return;
    revokePreview();
    clear(preview);
    preview.append(h("div", { className: "lwb-muted", text: name }));
    if (!response || !response.ok) { preview.append(h("div", { className: "lwb-muted", text: "No preview." })); return; }
    const blob = await response.blob();
    if (closed || previewFor !== name) return;
    previewUrl = URL.createObjectURL(blob);
    preview.append(blob.type.startsWith("video/")
      ? h("video", { src: previewUrl, autoplay: true, muted: true, loop: true })
      : h("img", { src: previewUrl, alt: "" }));
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
  }

  /** @param {KeyboardEvent} e */
  function onKey(e) {
    if (e.key === "Escape") { e.preventDefault(); close(); }
    else if (e.key === "ArrowDown") { e.preventDefault(); highlight(highlighted + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(highlighted - 1); }
    else if (e.key === "Enter" && names[highlighted]) { e.preventDefault(); choose(names[highlighted]); }
  }

  function close() {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    revokePreview();
    overlay.remove();
    onClose?.();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => { page = 1; load(); }, SEARCH_DELAY_MS);
  });
  prev.addEventListener("click", () => { page = Math.max(1, page - 1); load(); });
  next.addEventListener("click", () => { page += 1; load(); });
  ownKeys(overlay, onKey);
  overlay.addEventListener("pointerdown", (e) => { if (e.target === overlay) close(); });
  document.body.append(overlay);
  input.focus();
  load();
  return { close, element: overlay };
}
