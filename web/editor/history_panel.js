// @ts-check
/**
 * Composition history beside the combine view: recent compositions (node runs and previews the user
 * kept), one shown in detail, and Restore, which loads its LoRAs, policy and headroom into the editor.
 * "Keep this preview" records the preview on screen. Everything shown is text.
 */

import { compositionDetail, compositionRow, stateFromComposition } from "../lib/history_model.js";
import { clear, h } from "./dom.js";

export const HISTORY_LIMIT = 50;

/**
 * @typedef {{api: import("../lib/api.js").EditorApi, current: () => ({request: any, response: any} | null),
 *   restore: (state: import("../lib/combiner_model.js").CombinerState) => void}} HistoryOptions
 */

export class HistoryPanel {
  /** @param {HistoryOptions} options */
  constructor(options) {
    this.options = options;
    this.list = h("div", { className: "lwb-history-list", dataset: { role: "history-list" } });
    this.detail = h("div", { className: "lwb-history-detail", dataset: { role: "history-detail" } });
    this.status = h("div", { className: "lwb-muted", dataset: { role: "history-status" } });
    this.element = h("div", { className: "lwb-panel lwb-history", dataset: { role: "history" }, hidden: true },
      h("div", { className: "lwb-field" }, h("span", { className: "lwb-h", text: "Composition history" }),
        h("button", { className: "lwb-btn", text: "Keep this preview", dataset: { action: "keep-composition" },
          title: "Record the combination on screen in the history", on: { click: () => this.keep() } }),
        h("button", { className: "lwb-btn", text: "↻", title: "Reload", on: { click: () => this.load() } })),
      this.status, this.list, this.detail);
    /** @type {string | number | null} */
    this.shown = null;
  }

  /** Show or hide the panel; returns whether it is open. */
  toggle() {
    this.element.hidden = !this.element.hidden;
    if (!this.element.hidden) this.load();
    return !this.element.hidden;
  }

  async load() {
    this.status.textContent = "loading…";
    let entries;
    try {
      entries = await this.options.api.compositions(HISTORY_LIMIT);
    } catch (err) {
      this.status.textContent = `history unavailable: ${/** @type {Error} */ (err).message}`;
      return;
    }
    clear(this.list);
    this.status.textContent = entries.length ? `${entries.length} recent` : "No composition recorded yet.";
    for (const entry of entries) {
      const row = compositionRow(entry);
      this.list.append(h("div", { className: `lwb-history-row${row.id === this.shown ? " lwb-active" : ""}`,
        dataset: { role: "history-row", id: String(row.id) }, on: { click: () => this.show(row.id) } },
      h("div", {}, h("span", { className: "lwb-badge", text: row.source }), ` ${row.when}`),
      h("div", { className: "lwb-lora-name", text: row.title, title: row.title }),
      h("div", { className: "lwb-muted", text: row.subtitle })));
    }
  }

  /** @param {string | number} id */
  async show(id) {
    this.shown = id;
    for (const row of this.list.children) row.classList.toggle("lwb-active", /** @type {HTMLElement} */ (row).dataset.id === String(id));
    clear(this.detail);
    let entry;
    try {
      entry = await this.options.api.composition(id);
    } catch (err) {
      this.detail.append(h("div", { className: "lwb-error", text: /** @type {Error} */ (err).message }));
      return;
    }
    const detail = compositionDetail(entry);
    this.detail.append(h("div", { className: "lwb-h", text: detail.heading }));
    for (const line of detail.lines) this.detail.append(h("div", { className: "lwb-muted", text: line }));
    this.detail.append(h("button", { className: "lwb-btn lwb-primary", text: "Restore", dataset: { action: "restore-composition" },
      title: "Load these LoRAs, policy and headroom into the editor", on: { click: () => {
        try {
          this.options.restore(stateFromComposition(entry));
        } catch (err) {
          this.status.textContent = `cannot restore: ${/** @type {Error} */ (err).message}`;
        }
      } } }));
  }

  async keep() {
    const current = this.options.current();
    if (!current) { this.status.textContent = "nothing to keep: wait for the preview"; return; }
    try {
      await this.options.api.keepComposition(current.request);
      await this.load();
      this.status.textContent = "kept";
    } catch (err) {
      this.status.textContent = `not kept: ${/** @type {Error} */ (err).message}`;
    }
  }
}
