// @ts-check
/**
 * The combiner's editor: the LoRA set on the left (picker with the library, enable, remove), the live
 * combine view in the centre, and the selected LoRA's strengths, saved profile or block weights (with
 * the energy bars) on the right; policy and headroom in the header; composition history in a side panel.
 * Works on a copy of the node's state; only Save hands it back. Esc closes without saving; Ctrl+Z / Ctrl+Y
 * (Ctrl+Shift+Z) undo and redo every change.
 *
 * Every change schedules one combine preview (debounced; a newer one aborts the older request and an
 * answer for outdated inputs is dropped), so the view always shows the inputs on screen.
 */

import { addLora, checkHeadroom, combineRequest, profileVectors, requestKey, snapshotState,
  stateFromSnapshot } from "../lib/combiner_model.js";
import { UndoStack } from "../lib/undo.js";
import { blocksFor, presetVector } from "../lib/vectors.js";
import { blockPanel } from "./block_panel.js";
import { CombineView } from "./combine_view.js";
import { clear, h, numberInput } from "./dom.js";
import { HistoryPanel } from "./history_panel.js";
import { isTyping, ownKeys, undoStep } from "./key_guard.js";
import { openPicker } from "./lora_picker.js";
import { STRENGTH_LIMIT } from "./lora_panel.js";
import { ensureStyles } from "./styles.js";

export const PREVIEW_DELAY_MS = 200;

/**
 * @typedef {import("../lib/combiner_model.js").CombinerItem} CombinerItem
 * @typedef {import("../lib/combiner_model.js").CombinerState} CombinerState
 * @typedef {{state: CombinerState, policies: string[], api: import("../lib/api.js").EditorApi,
 *   cache: import("../lib/metadata_cache.js").MetadataCache, ckptName: string | null,
 *   listLoaders: () => import("./combine_view.js").LoaderChoice[],
 *   sendToLoader: (loaderId: string, response: any) => string,
 *   onSave: (state: CombinerState) => void, onClose?: () => void}} CombinerOptions
 */

export class CombinerDialog {
  /** @param {CombinerOptions} options */
  constructor(options) {
    ensureStyles(document);
    this.options = options;
    /** @type {CombinerItem[]} */
    this.items = structuredClone(options.state.items);
    this.policy = options.state.policy;
    this.headroom = options.state.headroom;
    this.selected = this.items.length ? 0 : -1;
    /** @type {any} */
    this.config = {};
    /** @type {Map<string, any>} */
    this.inspected = new Map();
    /** @type {any[] | null} */
    this.profiles = null;
    /** @type {{close: () => void} | null} */
    this.picker = null;
    this.closed = false;
    this.previewTimer = 0;
    /** @type {AbortController | null} */
    this.inflight = null;
    this.shownKey = "";
    /** @type {any} the answer for the inputs on screen, or null */
    this.response = null;
    this.undo = new UndoStack(snapshotState(this.state()));
    this.build();
    this.undoBtn.disabled = true;
    this.redoBtn.disabled = true;
    this.refresh();
    options.api.config().then((config) => { this.config = config; if (!this.closed) this.renderPanel(); });
    options.api.blockProfiles().then((list) => { this.profiles = list; if (!this.closed) this.renderPanel(); });
    this.loadInspect();
    this.schedulePreview(0);
  }

  state() { return { items: this.items, policy: this.policy, headroom: this.headroom }; }

  selectedItem() { return this.items[this.selected] ?? null; }

  build() {
    this.status = h("span", { className: "lwb-muted", dataset: { role: "status" } });
    // Keyboard focus rests on a read-only input: ComfyUI's change tracker ignores keys typed in inputs, so
    // Ctrl+Z here undoes the editor, never the graph (as in the loader's editor).
    this.keySink = h("input", { className: "lwb-key-sink", readOnly: true, tabIndex: -1, dataset: { role: "key-sink" },
      attrs: { "aria-hidden": "true" } });
    this.undoBtn = h("button", { className: "lwb-btn", text: "Undo", title: "Ctrl+Z", dataset: { action: "undo" },
      on: { click: () => this.step(-1) } });
    this.redoBtn = h("button", { className: "lwb-btn", text: "Redo", title: "Ctrl+Y", dataset: { action: "redo" },
      on: { click: () => this.step(1) } });
    this.policySelect = h("select", { className: "lwb-text", dataset: { role: "policy" }, title: "Policy" });
    for (const p of this.options.policies) this.policySelect.append(h("option", { value: p, text: p, selected: p === this.policy }));
    this.policySelect.addEventListener("change", () => { this.policy = this.policySelect.value; this.changed("policy"); });
    this.headroomInput = numberInput({ value: this.headroom, min: 0.05, max: 100, step: 0.05,
      onCommit: (v) => { this.headroom = checkHeadroom(v); this.changed("headroom"); } });
    this.headroomInput.dataset.role = "headroom";
    this.list = h("div", { dataset: { role: "lora-list" } });
    this.panel = h("div", { className: "lwb-panel", dataset: { role: "lora-panel" } });
    this.view = new CombineView({
      listLoaders: this.options.listLoaders,
      send: (id) => this.options.sendToLoader(id, this.response),
      colorOf: (name) => this.items.find((i) => i.lora_name === name)?.color ?? "#999999",
    });
    this.history = new HistoryPanel({
      api: this.options.api,
      current: () => (this.response ? { request: combineRequest(this.state()), response: this.response } : null),
      restore: (state) => this.restore(state),
    });
    const side = h("div", { className: "lwb-side" },
      h("div", { className: "lwb-field" },
        h("button", { className: "lwb-btn lwb-primary", text: "+ Add LoRA", dataset: { action: "add-lora" },
          on: { click: () => this.pick() } })),
      this.list);
    this.historyToggle = h("button", { className: "lwb-btn", text: "History", dataset: { action: "history" },
      on: { click: () => this.toggleHistory() } });
    this.dialog = h("div", { className: "lwb-dialog lwb-editor lwb-combiner", tabIndex: -1 },
      h("div", { className: "lwb-head" }, h("span", { className: "lwb-title", text: "LoRA Block-Weight Combiner" }),
        h("label", { text: "Policy" }), this.policySelect, h("label", { text: "Headroom" }), this.headroomInput,
        this.undoBtn, this.redoBtn, this.status, h("span", { className: "lwb-spacer" }), this.historyToggle,
        h("button", { className: "lwb-btn", text: "Close", title: "Esc: close without saving", on: { click: () => this.close() } }),
        h("button", { className: "lwb-btn lwb-primary", text: "Save", dataset: { action: "save" }, on: { click: () => this.save() } })),
      h("div", { className: "lwb-body" }, side, h("div", { className: "lwb-main lwb-scroll" }, this.view.element), this.panel,
        this.history.element));
    this.dialog.prepend(this.keySink);
    this.dialog.addEventListener("click", (e) => {
      const target = /** @type {HTMLElement} */ (e.target);
      if (!["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(target.tagName)) this.keySink.focus();
    });
    this.overlay = h("div", { className: "lwb-overlay lwb-editor-overlay" }, this.dialog);
    ownKeys(this.overlay, (e) => this.onKey(e));
    document.body.append(this.overlay);
    this.keySink.focus();
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    if (e.key === "Escape") { e.preventDefault(); this.close(); return; }
    const step = isTyping(e, this.keySink) ? 0 : undoStep(e);
    if (step) { e.preventDefault(); this.step(step); }
  }

  /** @param {-1 | 1} direction */
  step(direction) {
    const snapshot = direction < 0 ? this.undo.undo() : this.undo.redo();
    if (snapshot === null) return;
    const state = stateFromSnapshot(snapshot);
    this.items = state.items;
    this.policy = state.policy;
    this.headroom = state.headroom;
    this.policySelect.value = this.policy;
    this.headroomInput.value = String(this.headroom);
    this.selected = Math.min(Math.max(this.selected, 0), this.items.length - 1);
    this.show(direction < 0 ? "undone" : "redone");
  }

  refresh() {
    this.renderList();
    this.renderPanel();
  }

  renderList() {
    clear(this.list);
    this.items.forEach((item, i) => {
      const eye = h("input", { type: "checkbox", checked: item.enabled, title: "enabled", dataset: { role: "row-enabled" } });
      eye.addEventListener("click", (e) => e.stopPropagation());
      eye.addEventListener("change", () => { item.enabled = eye.checked; this.changed("toggle LoRA"); });
      this.list.append(h("div", {
        className: `lwb-lora-row${i === this.selected ? " lwb-active" : ""}${item.enabled ? "" : " lwb-off"}`,
        dataset: { index: String(i) }, on: { click: () => { this.selected = i; this.refresh(); this.loadInspect(); } } },
      h("div", { className: "lwb-swatch", style: { background: item.color } }),
      h("span", { className: "lwb-lora-name", text: item.lora_name, title: item.lora_name }),
      eye,
      h("button", { className: "lwb-btn", text: "✕", title: "remove", dataset: { action: "remove-lora" },
        on: { click: (e) => { e.stopPropagation(); this.remove(i); } } })));
    });
    if (!this.items.length) this.list.append(h("div", { className: "lwb-muted", text: "No LoRA yet: add two or more." }));
  }

  renderPanel() {
    clear(this.panel);
    const item = this.selectedItem();
    if (!item) {
      this.panel.append(h("div", { className: "lwb-muted", text: "Pick a LoRA on the left to edit its strengths and blocks." }));
      return;
    }
    const found = this.inspected.get(item.lora_name);
    const stats = found && !found.pending && !found.failed ? found.stats ?? null : null;
    const arch = item.arch !== "UNKNOWN" ? item.arch : (found?.arch ?? "UNKNOWN");
    const note = !found ? "" : found.pending ? "Inspecting…" : found.failed ? `Inspection failed: ${found.failed}` : "";
    const profileSelect = h("select", { className: "lwb-text", dataset: { role: "block-profile" }, title: "Saved block-weight profile" });
    profileSelect.append(h("option", { value: "", text: "(none: block weights below)" }));
    const layout = this.config.ARCH_BLOCK_MAPPINGS?.[arch]?.layout ?? null;
    const fitting = (this.profiles ?? []).filter((p) => !layout || p.layout === layout);
    for (const p of fitting) {
      profileSelect.append(h("option", { value: String(p.name), text: `${p.name} · ${p.layout}`, selected: p.name === item.profile }));
    }
    if (item.profile && !(this.profiles ?? []).some((p) => p.name === item.profile)) {
      profileSelect.append(h("option", { value: item.profile, text: `${item.profile} (not found)`, selected: true }));
    }
    profileSelect.addEventListener("change", () => {
      const chosen = fitting.find((p) => p.name === profileSelect.value);
      try {
        item.vectors = chosen ? profileVectors(chosen) : {};
      } catch (err) {
        this.status.textContent = /** @type {Error} */ (err).message;
        profileSelect.value = item.profile ?? "";
        return;
      }
      item.profile = chosen ? chosen.name : null;
      this.changed(chosen ? `profile ${chosen.name}` : "no profile");
    });
    this.panel.append(
      h("div", { className: "lwb-h", text: item.lora_name, title: item.lora_name, dataset: { role: "item-name" } }),
      h("div", { className: "lwb-muted", text: `architecture: ${arch}` }),
      h("div", { className: "lwb-field" }, h("label", { text: "Model strength" }),
        numberInput({ value: item.strength_model, min: -STRENGTH_LIMIT, max: STRENGTH_LIMIT, step: 0.05,
          onCommit: (v) => { item.strength_model = v; this.changed("model strength"); } })),
      h("div", { className: "lwb-field" }, h("label", { text: "CLIP strength" }),
        numberInput({ value: item.strength_clip, min: -STRENGTH_LIMIT, max: STRENGTH_LIMIT, step: 0.05,
          onCommit: (v) => { item.strength_clip = v; this.changed("CLIP strength"); } })),
      h("div", { className: "lwb-field" }, h("label", { text: "Block profile" }), profileSelect));
    if (item.profile) {
      this.panel.append(h("div", { className: "lwb-muted",
        text: `The saved profile ${item.profile} sets this LoRA's block weights (its values are copied into the node).` }));
      return;
    }
    const editable = { preset: /** @type {string | null} */ (null), vectors: item.vectors };
    this.panel.append(blockPanel({ config: this.config, item: /** @type {any} */ (editable), arch, stats, statsNote: note, step: 0.05,
      onChange: (change, commit) => {
        const blocks = blocksFor(this.config, arch, stats, item.vectors);
        item.vectors = change.preset ? presetVector(this.config, blocks, change.preset) : change.vectors;
        delete /** @type {any} */ (item).preset;
        if (commit) this.changed(change.preset ? `preset ${change.preset}` : "block weights");
      } }));
  }

  /** Something the combine depends on changed: record an undo step, redraw, preview again. @param {string} label */
  changed(label) {
    this.undo.push(snapshotState(this.state()));
    this.show(label);
  }

  /** @param {string} label */
  show(label) {
    this.status.textContent = label;
    this.undoBtn.disabled = !this.undo.canUndo;
    this.redoBtn.disabled = !this.undo.canRedo;
    this.refresh();
    this.schedulePreview(PREVIEW_DELAY_MS);
  }

  /** @param {number} index */
  remove(index) {
    this.items.splice(index, 1);
    this.selected = Math.min(this.selected, this.items.length - 1);
    this.changed("remove LoRA");
  }

  /** Add `name` to the set (the picker, or a drop from the library). @param {string} name */
  add(name) {
    try {
      this.items = addLora(this.items, name);
    } catch (err) {
      this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    this.selected = this.items.length - 1;
    this.changed("add LoRA");
    this.loadInspect();
  }

  pick() {
    this.picker = openPicker({
      api: this.options.api, cache: this.options.cache, ckptName: this.options.ckptName, title: "Add LoRA to the combiner",
      onClose: () => { this.picker = null; this.keySink.focus(); },
      onPick: (name) => this.add(name),
    });
  }

  /** @param {CombinerState} state */
  restore(state) {
    this.items = structuredClone(state.items);
    this.policy = state.policy;
    this.headroom = state.headroom;
    this.policySelect.value = this.policy;
    this.headroomInput.value = String(this.headroom);
    this.selected = this.items.length ? 0 : -1;
    this.changed("restored from history");
    this.loadInspect();
  }

  toggleHistory() {
    const open = this.history.toggle();
    this.panel.hidden = open;
    this.historyToggle.classList.toggle("lwb-on", open);
  }

  // ─── Preview ───

  /** @param {number} delay */
  schedulePreview(delay) {
    clearTimeout(this.previewTimer);
    // Until the preview starts, what is shown answers older inputs (`data-preview-due` says so, for tests too).
    this.dialog.dataset.previewDue = "1";
    this.previewTimer = window.setTimeout(() => this.preview(), delay);
  }

  async preview() {
    delete this.dialog.dataset.previewDue;
    let body;
    try {
      body = combineRequest(this.state());
    } catch (err) {
      this.view.show(null, `error: ${/** @type {Error} */ (err).message}`);
      return;
    }
    const key = requestKey(body);
    if (key === this.shownKey && this.response) return;
    this.inflight?.abort();
    this.response = null;
    if (!body.loras.length) {
      this.shownKey = key;
      this.view.show(null, "Add LoRAs to see how they combine.");
      return;
    }
    const controller = new AbortController();
    this.inflight = controller;
    this.view.sendButton.disabled = true;
    this.dialog.dataset.combining = "1";
    try {
      const answer = await this.options.api.combine(body, controller.signal);
      if (controller.signal.aborted || this.closed) return;
      this.response = answer;
      this.shownKey = key;
      this.view.show(answer);
    } catch (err) {
      if (controller.signal.aborted || this.closed) return;
      this.shownKey = "";
      this.view.show(null, `error: ${/** @type {Error} */ (err).message}`);
    } finally {
      if (this.inflight === controller) {
        this.inflight = null;
        delete this.dialog.dataset.combining;
        this.dialog.dataset.previewKey = key;
      }
    }
  }

  // ─── Metadata ───

  async loadInspect() {
    const item = this.selectedItem();
    if (!item || this.inspected.has(item.lora_name)) return;
    const name = item.lora_name;
    this.inspected.set(name, { pending: true });
    try {
      const body = await this.options.cache.inspect(name, { onStale: (fresh) => {
        this.inspected.set(name, fresh);
        if (!this.closed) this.renderPanel();
      } });
      this.inspected.set(name, body?.error ? { failed: String(body.error) } : body);
    } catch (err) {
      this.inspected.set(name, { failed: String(err) });
    }
    if (!this.closed) this.renderPanel();
  }

  save() {
    this.options.onSave(structuredClone(this.state()));
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.previewTimer);
    this.inflight?.abort();
    this.picker?.close();
    this.view.destroy();
    this.overlay.remove();
    this.options.onClose?.();
  }
}
