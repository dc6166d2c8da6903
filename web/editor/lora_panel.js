// @ts-check
/**
 * The right-hand panel for the selected LoRA: name, enable, model/CLIP strength, swap file, resample,
 * staircase step count, and the block-weight panel. Built from the dialog's state on every change.
 */

import { INTERPOLATIONS, MAX_RESAMPLE } from "../lib/curve_edit.js";
import { blockPanel } from "./block_panel.js";
import { h, numberInput } from "./dom.js";

export const STRENGTH_LIMIT = 15;

/**
 * @typedef {import("../lib/config_model.js").EditorItem} EditorItem
 * @typedef {{update: (patch: Partial<EditorItem>, label: string) => void, swap: () => void,
 *   resample: (count: number, interpolation: string) => void, refresh: () => void,
 *   blocks: (change: {preset: string | null, vectors: Record<string, number>}, commit: boolean) => void}} PanelActions
 */

/**
 * @param {{item: EditorItem | null, config: any, inspect: any, inspectNote: string, snap: number,
 *   actions: PanelActions, profiles?: import("./block_panel.js").ProfileHooks}} o
 */
export function loraPanel({ item, config, inspect, inspectNote, snap, actions, profiles }) {
  if (!item) {
    return h("div", { className: "lwb-muted", text: "Add a LoRA, or pick one on the left, to edit its settings." });
  }
  const arch = item.arch !== "UNKNOWN" ? item.arch : (inspect?.arch ?? "UNKNOWN");
  const enabled = h("input", { type: "checkbox", checked: item.enabled, dataset: { role: "item-enabled" } });
  enabled.addEventListener("change", () => actions.update({ enabled: enabled.checked },
    enabled.checked ? "enable LoRA" : "disable LoRA"));
  const count = numberInput({ value: 10, min: 2, max: MAX_RESAMPLE, step: 1, onCommit: () => {} });
  const mode = h("select", { className: "lwb-text" });
  for (const name of INTERPOLATIONS) mode.append(h("option", { value: name, text: name }));
  return h("div", {},
    h("div", { className: "lwb-h", text: item.lora_name, title: item.lora_name, dataset: { role: "item-name" } }),
    h("div", { className: "lwb-muted", text: `architecture: ${arch}` }),
    h("div", { className: "lwb-field" }, h("label", { text: "Enabled" }), enabled),
    h("div", { className: "lwb-field" }, h("label", { text: "Model strength" }),
      numberInput({ value: item.strength_model, min: -STRENGTH_LIMIT, max: STRENGTH_LIMIT, step: 0.05,
        onCommit: (v) => actions.update({ strength_model: v }, "model strength") })),
    h("div", { className: "lwb-field" }, h("label", { text: "CLIP strength" }),
      numberInput({ value: item.strength_clip, min: -STRENGTH_LIMIT, max: STRENGTH_LIMIT, step: 0.05,
        onCommit: (v) => actions.update({ strength_clip: v }, "CLIP strength") })),
    h("div", { className: "lwb-field" },
      h("button", { className: "lwb-btn", text: "Swap file…", title: "Pick another file; the curve and settings stay",
        on: { click: () => actions.swap() } }),
      h("button", { className: "lwb-btn", text: "Re-inspect", on: { click: () => actions.refresh() } })),
    h("div", { className: "lwb-section" },
      h("div", { className: "lwb-h", text: "Resample curve" }),
      h("div", { className: "lwb-field" }, h("label", { text: "Points" }), count, mode,
        h("button", { className: "lwb-btn", text: "Resample", dataset: { action: "resample" },
          on: { click: () => actions.resample(Number(count.value), mode.value) } }))),
    blockPanel({ config, item, arch, stats: inspect?.stats ?? null, statsNote: inspectNote, step: snap,
      onChange: actions.blocks, profiles }));
}
