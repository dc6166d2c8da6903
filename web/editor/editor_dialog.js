// @ts-check
/**
 * The full editor: LoRA list (left), curve canvas with staircase preview (centre), settings of the
 * selected LoRA with block weights (right), profiles and undo/redo in the header. Works on a copy of the
 * node's config; only Save hands it back. Esc closes without saving; Ctrl+Z / Ctrl+Y (Ctrl+Shift+Z) undo
 * and redo. Keys never reach ComfyUI's graph shortcuts while the editor is open.
 */

import { activeProfile, cloneModel, createProfile, deleteProfile, duplicateProfile, freeName, newItem,
  readConfig, renameProfile, switchProfile, writeConfig } from "../lib/config_model.js";
import { resample } from "../lib/curve_edit.js";
import { DEFAULT_SAMPLING, evaluationStrengths, evenEvaluations, familyOfArch } from "../lib/sampling_preview.js";
import { applyProfile } from "../lib/profile_model.js";
import { serializeSchedule } from "../lib/schedule.js";
import { UndoStack } from "../lib/undo.js";
import { STATS_EVENT } from "../lib/metadata_cache.js";
import { comfyEvents } from "./comfy_events.js";
import { CurveCanvas } from "./curve_canvas.js";
import { clear, h, numberInput } from "./dom.js";
import { loraPanel } from "./lora_panel.js";
import { openPicker } from "./lora_picker.js";
import { isTyping, ownKeys, undoStep } from "./key_guard.js";
import { profileBar } from "./profile_bar.js";
import { ensureStyles } from "./styles.js";

/**
 * @typedef {import("../lib/config_model.js").ConfigModel} ConfigModel
 * @typedef {import("../lib/config_model.js").EditorItem} EditorItem
 * @typedef {{model: ConfigModel, api: import("../lib/api.js").EditorApi,
 *   cache: import("../lib/metadata_cache.js").MetadataCache, ckptName: string | null,
 *   sampling?: import("../lib/sampling_preview.js").Sampling | null,
 *   onSave: (model: ConfigModel) => void, onClose?: () => void}} EditorOptions
 */

export class EditorDialog {
  /** @param {EditorOptions} options */
  constructor(options) {
    ensureStyles(document);
    this.options = options;
    this.model = cloneModel(options.model);
    this.undo = new UndoStack(writeConfig(this.model));
    this.selected = this.items().length ? 0 : -1;
    /** the staircase's sampling: the graph's KSampler, else defaults; the user may change it here */
    this.sampling = { ...(options.sampling ?? DEFAULT_SAMPLING) };
    this.steps = this.sampling.steps;
    /** "auto" (the graph checkpoint's family) or a family id */
    this.familyChoice = "auto";
    /** @type {string | null} the checkpoint's family, once known */
    this.ckptFamily = null;
    /** @type {import("../lib/sampling_preview.js").Evaluation[]} */
    this.evaluations = evenEvaluations(this.steps);
    /** the evaluations come from ComfyUI's sampler (false: evenly spaced stand-in) */
    this.exact = false;
    this.previewNote = "loading ComfyUI's schedule…";
    this.previewKey = "";
    /** @type {any} */
    this.config = {};
    /** @type {Map<string, any>} inspect answers (or {pending}/{failed}) by LoRA name */
    this.inspected = new Map();
    /** @type {Map<string, any>} */
    this.compat = new Map();
    /** @type {{close: () => void} | null} */
    this.picker = null;
    this.closed = false;
    /** stats of a pending inspect answer arrive as a websocket event (no polling) */
    this.onStatsEvent = (/** @type {Event} */ event) => { this.statsArrived(/** @type {CustomEvent} */ (event).detail); };
    comfyEvents()?.addEventListener(STATS_EVENT, this.onStatsEvent);
    this.closed = false;
    /** saved block-weight profiles (library), shown as preset buttons @type {import("../lib/profile_model.js").Profile[]} */
    this.savedProfiles = [];
    this.build();
    this.refresh();
    options.api.config().then((config) => { this.config = config; if (!this.closed) this.renderPanel(); });
    this.loadPreviewOptions();
    this.loadSavedProfiles();
    this.loadInspect();
  }

  items() { return activeProfile(this.model).loras; }

  selectedItem() { return this.items()[this.selected] ?? null; }

  // ─── Layout ───

  build() {
    this.canvasEl = h("canvas", { dataset: { role: "curve-canvas" } });
    // Keyboard focus rests on a read-only input: ComfyUI's change tracker ignores keys typed in inputs, so
    // Ctrl+Z here never undoes the graph (it listens on window before any extension can).
    this.keySink = h("input", { className: "lwb-key-sink", readOnly: true, tabIndex: -1, dataset: { role: "key-sink" },
      attrs: { "aria-hidden": "true" } });
    this.curves = new CurveCanvas(this.canvasEl, {
      focus: () => this.keySink.focus(),
      onEdit: (points, commit) => this.editPoints(points, commit),
      onSelect: (n) => { this.selectionInfo.textContent = n ? `${n} selected` : ""; },
    });
    this.profileSlot = h("span");
    this.undoBtn = h("button", { className: "lwb-btn", text: "Undo", title: "Ctrl+Z", on: { click: () => this.step(-1) } });
    this.redoBtn = h("button", { className: "lwb-btn", text: "Redo", title: "Ctrl+Y", on: { click: () => this.step(1) } });
    this.status = h("span", { className: "lwb-muted", dataset: { role: "status" } });
    this.list = h("div", { dataset: { role: "lora-list" } });
    this.panel = h("div", { className: "lwb-panel", dataset: { role: "lora-panel" } });
    this.selectionInfo = h("span", { className: "lwb-muted" });
    this.scheduleText = h("div", { className: "lwb-vector", dataset: { role: "schedule-text" } });
    this.stairText = h("div", { className: "lwb-muted", dataset: { role: "staircase-text" } });
    this.snapToggle = h("input", { type: "checkbox", checked: true, dataset: { role: "snap-toggle" }, title: "Snap (Shift inverts while dragging)" });
    this.snapToggle.addEventListener("change", () => { this.curves.snapOn = this.snapToggle.checked; });
    const snapInput = numberInput({ value: activeProfile(this.model).settings.snap, min: 0.005, max: 0.5, step: 0.005,
      onCommit: (v) => { activeProfile(this.model).settings.snap = v; this.commit("snap interval"); } });
    snapInput.dataset.role = "snap";
    this.snapInput = snapInput;
    const stepsInput = numberInput({ value: this.steps, min: 1, max: 200, step: 1,
      onCommit: (v) => { this.steps = Math.round(v); this.sampling.steps = this.steps; this.loadEvaluations(); } });
    stepsInput.dataset.role = "steps";
    this.familySelect = h("select", { dataset: { role: "preview-family" }, title: "model family of the staircase",
      on: { change: () => { this.familyChoice = this.familySelect.value; this.loadEvaluations(); } } },
    h("option", { value: "auto", text: "auto" }));
    this.samplerSelect = h("select", { dataset: { role: "preview-sampler" }, title: "sampler",
      on: { change: () => { this.sampling.sampler = this.samplerSelect.value; this.loadEvaluations(); } } },
    h("option", { value: this.sampling.sampler, text: this.sampling.sampler }));
    this.schedulerSelect = h("select", { dataset: { role: "preview-scheduler" }, title: "scheduler",
      on: { change: () => { this.sampling.scheduler = this.schedulerSelect.value; this.loadEvaluations(); } } },
    h("option", { value: this.sampling.scheduler, text: this.sampling.scheduler }));
    const side = h("div", { className: "lwb-side" },
      h("div", { className: "lwb-field" }, this.snapToggle, h("label", { text: "Snap" }), snapInput),
      h("div", { className: "lwb-field" },
        h("button", { className: "lwb-btn lwb-primary", text: "+ Add LoRA", dataset: { action: "add-lora" },
          on: { click: () => this.pick(null) } })),
      h("div", { className: "lwb-field" },
        h("button", { className: "lwb-btn", text: "Enable all", on: { click: () => this.setAllEnabled(true) } }),
        h("button", { className: "lwb-btn", text: "Disable all", on: { click: () => this.setAllEnabled(false) } })),
      this.list,
      h("div", { className: "lwb-spacer" }),
      h("button", { className: "lwb-btn lwb-danger", text: "Clear Metadata Cache", dataset: { action: "clear-cache" },
        on: { click: () => this.clearCache() } }));
    const main = h("div", { className: "lwb-main" }, this.keySink, this.canvasEl,
      h("div", { className: "lwb-toolbar" }, h("label", { text: "Preview" }), this.familySelect, this.samplerSelect,
        this.schedulerSelect, stepsInput, h("label", { text: "steps" }),
        h("button", { className: "lwb-btn", text: "Fit", on: { click: () => this.curves.fit() } }),
        h("button", { className: "lwb-btn", text: "Delete point(s)", on: { click: () => this.curves.deleteSelection() } }),
        this.selectionInfo,
        h("span", { className: "lwb-muted", text: "double-click: add · drag: move · Del/right-click: delete · wheel: zoom · Alt/middle-drag: pan" })),
      h("div", { className: "lwb-toolbar lwb-readout" },
        this.stairText, this.scheduleText));
    this.dialog = h("div", { className: "lwb-dialog lwb-editor", tabIndex: -1 },
      h("div", { className: "lwb-head" }, h("span", { className: "lwb-title", text: "Multi Scheduled LoRA Loader" }),
        this.profileSlot, this.undoBtn, this.redoBtn, this.status, h("span", { className: "lwb-spacer" }),
        h("button", { className: "lwb-btn", text: "Close", title: "Esc: close without saving", on: { click: () => this.close() } }),
        h("button", { className: "lwb-btn lwb-primary", text: "Save", dataset: { action: "save" }, on: { click: () => this.save() } })),
      h("div", { className: "lwb-body" }, side, main, this.panel));
    this.overlay = h("div", { className: "lwb-overlay lwb-editor-overlay" }, this.dialog);
    ownKeys(this.overlay, (e) => this.onKey(e));
    document.body.append(this.overlay);
    this.keySink.focus();
  }

  refresh() {
    this.renderProfiles();
    this.renderList();
    this.renderPanel();
    this.refreshCanvas();
    this.undoBtn.disabled = !this.undo.canUndo;
    this.redoBtn.disabled = !this.undo.canRedo;
    this.snapInput.value = String(activeProfile(this.model).settings.snap);
  }

  refreshCanvas() {
    const item = this.selectedItem();
    this.curves.snap = activeProfile(this.model).settings.snap;
    this.curves.evaluations = this.evaluations;
    this.curves.setItems(this.items(), this.selected);
    if (item) {
      const values = evaluationStrengths(item.points, this.evaluations).map((v) => Math.round(v * 1000) / 1000);
      const what = this.exact ? `per model evaluation (${this.previewNote})` : `per step (${this.steps} steps, ${this.previewNote})`;
      this.stairText.textContent = `${item.lora_name}: multiplier ${what}: ${values.join(", ")}`;
    } else {
      this.stairText.textContent = "";
    }
    this.stairText.dataset.exact = String(this.exact);
    let text;
    try {
      text = serializeSchedule(this.items()) || "(no enabled LoRA)";
    } catch (err) {
      text = `cannot write this schedule: ${/** @type {Error} */ (err).message}`;
    }
    this.scheduleText.textContent = text;
  }

  renderProfiles() {
    clear(this.profileSlot);
    const guard = (/** @type {() => ConfigModel} */ fn, /** @type {string} */ label) => {
      try {
        this.model = fn();
      } catch (err) {
        this.status.textContent = /** @type {Error} */ (err).message;
        return;
      }
      this.selected = this.items().length ? 0 : -1;
      this.commit(label);
    };
    this.profileSlot.append(profileBar({
      names: [...this.model.profiles.keys()], active: this.model.active,
      onSwitch: (name) => guard(() => switchProfile(this.model, name), "switch profile"),
      onCreate: (name) => guard(() => createProfile(this.model, name.trim() || freeName(this.model, "Profile")), "new profile"),
      onDuplicate: (name) => guard(() => duplicateProfile(this.model, name.trim() || freeName(this.model, `${this.model.active} Copy`)),
        "duplicate profile"),
      onRename: (name) => guard(() => renameProfile(this.model, name), "rename profile"),
      onDelete: () => guard(() => deleteProfile(this.model), "delete profile"),
    }));
  }

  renderList() {
    clear(this.list);
    this.items().forEach((item, i) => {
      const eye = h("input", { type: "checkbox", checked: item.enabled, title: "enabled", dataset: { role: "row-enabled" } });
      eye.addEventListener("click", (e) => e.stopPropagation());
      eye.addEventListener("change", () => { item.enabled = eye.checked; this.commit("toggle LoRA"); });
      const compat = this.compat.get(item.lora_name);
      const row = h("div", { className: `lwb-lora-row${i === this.selected ? " lwb-active" : ""}${item.enabled ? "" : " lwb-off"}`,
        dataset: { index: String(i) }, on: { click: () => { this.selected = i; this.refresh(); this.loadInspect(); } } },
      h("div", { className: "lwb-swatch", style: { background: item.color } }),
      h("span", { className: "lwb-lora-name", text: item.lora_name, title: item.lora_name }),
      compat && compat.compatible === false ? h("span", { className: "lwb-error", text: "⚠", title: String(compat.message ?? "") }) : null,
      eye,
      h("button", { className: "lwb-btn", text: "✕", title: "remove", dataset: { action: "remove-lora" },
        on: { click: (e) => { e.stopPropagation(); this.removeItem(i); } } }));
      this.list.append(row);
    });
  }

  renderPanel() {
    clear(this.panel);
    const item = this.selectedItem();
    const found = item ? this.inspected.get(item.lora_name) : null;
    const note = !item ? "" : !found ? "" : found.pending ? "Inspecting…"
      : found.failed ? `Inspection failed: ${found.failed}` : found.stats_error ? `No block energy: ${found.stats_error}`
        : found.stats_pending ? "Computing block energy… the bars fill when it is done." : "";
    this.panel.append(loraPanel({
      item, config: this.config, inspect: found && !found.pending && !found.failed ? found : null, inspectNote: note,
      snap: activeProfile(this.model).settings.snap,
      actions: {
        update: (patch, label) => { Object.assign(/** @type {EditorItem} */ (item), patch); this.commit(label); },
        swap: () => this.pick(this.selected),
        refresh: () => this.loadInspect(true),
        resample: (count, mode) => this.resampleSelected(count, mode),
        blocks: (change, commit) => { Object.assign(/** @type {EditorItem} */ (item), change); if (commit) this.commit("block weights"); },
      },
      profiles: {
        list: this.savedProfiles,
        apply: (profile) => this.applySavedProfile(profile),
        save: (draft) => this.saveBlockProfile(draft),
      },
    }));
  }

  // ─── Staircase preview: ComfyUI's own schedule ───

  /** Fill the family/sampler/scheduler menus and learn the checkpoint's family, then load the evaluations. */
  async loadPreviewOptions() {
    const { api, ckptName } = this.options;
    const [options, arch] = await Promise.all([api.staircaseOptions().catch(() => null),
      ckptName ? api.checkpointArch(ckptName) : Promise.resolve(null)]);
    if (this.closed) return;
    this.ckptFamily = familyOfArch(arch);
    if (options) {
      const fill = (/** @type {HTMLSelectElement} */ select, /** @type {string[]} */ values, /** @type {string} */ current) => {
        select.replaceChildren(...values.map((v) => h("option", { value: v, text: v })));
        select.value = values.includes(current) ? current : values[0];
      };
      fill(this.samplerSelect, options.samplers, this.sampling.sampler);
      fill(this.schedulerSelect, options.schedulers, this.sampling.scheduler);
      this.sampling.sampler = this.samplerSelect.value;
      this.sampling.scheduler = this.schedulerSelect.value;
      const auto = this.ckptFamily ? `auto: ${this.ckptFamily}` : "auto: SDXL (no checkpoint family)";
      this.familySelect.replaceChildren(h("option", { value: "auto", text: auto }),
        ...options.families.map((/** @type {string} */ f) => h("option", { value: f, text: f })));
      this.familySelect.value = this.familyChoice;
    }
    this.loadEvaluations();
  }

  family() {
    return this.familyChoice === "auto" ? this.ckptFamily ?? "SDXL" : this.familyChoice;
  }

  /** Ask the staircase route for the current settings; until it answers, evenly spaced steps stand in. */
  async loadEvaluations() {
    const request = { family: this.family(), ...this.sampling, steps: this.steps };
    const key = JSON.stringify(request);
    this.previewKey = key;
    this.exact = false;
    this.evaluations = evenEvaluations(this.steps);
    this.previewNote = "evenly spaced until ComfyUI's schedule arrives";
    this.refreshCanvas();
    try {
      const answer = await this.options.api.staircase(request);
      if (this.closed || this.previewKey !== key) return;
      this.evaluations = answer.evaluations;
      this.exact = true;
      this.previewNote = `${request.family} · ${request.sampler} · ${request.scheduler} · ${request.steps} steps · `
        + `${answer.evaluations.length} evaluations, from ComfyUI's sampler`;
    } catch (err) {
      if (this.closed || this.previewKey !== key) return;
      this.previewNote = `evenly spaced: ${/** @type {Error} */ (err).message}`;
    }
    this.refreshCanvas();
  }

  // ─── Saved block-weight profiles (library) ───

  async loadSavedProfiles() {
    try {
      this.savedProfiles = await this.options.api.profiles();
    } catch (err) {
      this.savedProfiles = [];
      console.warn(`[LoRAWeightsBuilder] profiles: ${err}`);
    }
    if (!this.closed) this.renderPanel();
  }

  /** Apply a saved profile to the selected LoRA (an undo step). @param {import("../lib/profile_model.js").Profile} profile */
  applySavedProfile(profile) {
    const item = this.selectedItem();
    if (!item) return;
    const found = this.inspected.get(item.lora_name);
    const arch = item.arch !== "UNKNOWN" ? item.arch : (found?.arch ?? "UNKNOWN");
    const present = found?.stats?.energy_distribution ? Object.keys(found.stats.energy_distribution) : [];
    try {
      Object.assign(item, applyProfile(profile, this.config, arch, present));
    } catch (err) {
      this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    this.commit(`profile ${profile.name}`);
  }

  /** Save the selected LoRA's block vector as a library profile. @param {{name: string, layout: string, weights: number[]}} draft */
  async saveBlockProfile(draft) {
    try {
      const saved = await this.options.api.createProfile(draft);
      this.status.textContent = `saved profile ${saved.name}`;
    } catch (err) {
      const e = /** @type {any} */ (err);
      this.status.textContent = e.body?.problems?.join("; ") ?? e.message;
      return;
    }
    await this.loadSavedProfiles();
  }

  // ─── Edits ───

  /** Record the current model as an undo step and redraw. @param {string} label */
  commit(label) {
    this.undo.push(writeConfig(this.model));
    this.status.textContent = label;
    this.refresh();
  }

  /** @param {{x: number, y: number}[]} points @param {boolean} commit */
  editPoints(points, commit) {
    const item = this.selectedItem();
    if (!item) return;
    item.points = points;
    if (commit) this.commit("edit curve");
    else this.refreshCanvas();
  }

  /** @param {-1 | 1} direction */
  step(direction) {
    const state = direction < 0 ? this.undo.undo() : this.undo.redo();
    if (state === null) return;
    this.model = readConfig(state);
    this.selected = Math.min(Math.max(this.selected, 0), this.items().length - 1);
    this.status.textContent = direction < 0 ? "undone" : "redone";
    this.refresh();
  }

  /** @param {boolean} enabled */
  setAllEnabled(enabled) {
    for (const item of this.items()) item.enabled = enabled;
    this.commit(enabled ? "enable all" : "disable all");
  }

  /** @param {number} index */
  removeItem(index) {
    this.items().splice(index, 1);
    this.selected = Math.min(this.selected, this.items().length - 1);
    this.commit("remove LoRA");
  }

  /** @param {number} count @param {string} mode */
  resampleSelected(count, mode) {
    const item = this.selectedItem();
    if (!item) return;
    try {
      item.points = resample(item.points, count, mode);
    } catch (err) {
      this.status.textContent = /** @type {Error} */ (err).message;
      return;
    }
    this.commit("resample");
  }

  /** Add a LoRA (index null) or swap the file of item `index`, keeping its curve and settings. @param {number | null} index */
  pick(index) {
    const current = index === null ? null : this.items()[index];
    this.picker = openPicker({
      api: this.options.api, cache: this.options.cache, ckptName: this.options.ckptName,
      title: current ? `Swap ${current.lora_name}` : "Add LoRA",
      initialQuery: current ? current.lora_name.replaceAll("\\", "/").split("/").slice(0, -1).join("/") : "",
      onClose: () => { this.picker = null; this.keySink.focus(); },
      onPick: (name) => {
        if (current) {
          Object.assign(current, { lora_name: name, arch: "UNKNOWN" });
        } else {
          this.items().push(newItem(name, this.items().length));
          this.selected = this.items().length - 1;
        }
        this.commit(current ? "swap file" : "add LoRA");
        this.loadInspect();
      },
    });
  }

  // ─── Metadata ───

  /** @param {boolean} [refresh] */
  async loadInspect(refresh = false) {
    const item = this.selectedItem();
    if (!item) return;
    const name = item.lora_name;
    if (!refresh && this.inspected.has(name)) return;
    this.inspected.set(name, { pending: true });
    this.renderPanel();
    try {
      const body = await this.options.cache.inspect(name, { refresh, onStale: (fresh) => {
        this.inspected.set(name, fresh);
        if (!this.closed) this.renderPanel();
      } });
      this.inspected.set(name, body?.error ? { failed: String(body.error) } : body);
    } catch (err) {
      this.inspected.set(name, { failed: String(err) });
    }
    if (this.closed) return;
    this.renderPanel();
    const ckpt = this.options.ckptName;
    if (ckpt && !this.compat.has(name)) {
      this.compat.set(name, await this.options.cache.compatibility(ckpt, name).catch(() => null));
      if (!this.closed) this.renderList();
    }
  }

  /** A `lwb.inspect.stats` event: fill the bars of the LoRA whose answer was pending. @param {any} detail */
  async statsArrived(detail) {
    const body = await this.options.cache.statsArrived(detail);
    const shown = body ? this.inspected.get(detail.lora_name) : null;
    if (this.closed || !shown?.stats_pending || shown.fingerprint !== body.fingerprint) return;
    this.inspected.set(detail.lora_name, body);
    this.renderPanel();
  }

  async clearCache() {
    this.status.textContent = "clearing…";
    try {
      await this.options.cache.clearAll();
      this.inspected.clear();
      this.compat.clear();
      this.status.textContent = "metadata cache cleared (browser and server)";
      this.loadInspect();
    } catch (err) {
      this.status.textContent = String(/** @type {Error} */ (err).message ?? err);
    }
  }

  // ─── Keys and closing ───

  /** @param {KeyboardEvent} e */
  onKey(e) {
    if (e.key === "Escape") { e.preventDefault(); this.close(); return; }
    if (isTyping(e, this.keySink)) return;
    const step = undoStep(e);
    if (step) { e.preventDefault(); this.step(step); }
    else if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); this.curves.deleteSelection(); }
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "a") { e.preventDefault(); this.curves.selectAll(); }
  }

  save() {
    this.options.onSave(cloneModel(this.model));
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    comfyEvents()?.removeEventListener(STATS_EVENT, this.onStatsEvent);
    this.picker?.close();
    this.curves.destroy();
    this.overlay.remove();
    this.options.onClose?.();
  }
}
