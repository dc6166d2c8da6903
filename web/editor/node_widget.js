// @ts-check
/**
 * The in-graph widget of Multi Scheduled LoRA Loader: a DOM widget (so both the classic canvas and the
 * Vue node renderer show it) wrapping a `<canvas>` with every LoRA's curve, a one-line summary and a
 * button opening the full editor. The hidden `schedule_config` STRING widget stays the source of truth:
 * this widget reads it when drawing and writes it on Save; it serializes nothing itself.
 */

import { activeProfile, readConfig, writeConfig } from "../lib/config_model.js";
import { graphSampling } from "../lib/sampling_preview.js";
import { drawAllCurves, drawGrid, fitView } from "./curve_draw.js";
import { fitCanvas, h } from "./dom.js";
import { EditorDialog } from "./editor_dialog.js";
import { ensureStyles } from "./styles.js";

export const NODE_CLASS = "MultiScheduledLoraLoader";
export const CONFIG_WIDGET = "schedule_config";
const WIDGET_HEIGHT = 150;

export const CHECKPOINT_LOADERS = ["CheckpointLoaderSimple", "CheckpointLoader", "ImageOnlyCheckpointLoader"];

/**
 * The checkpoint the compatibility hints compare with: the one feeding `node`'s MODEL input, else (the
 * node is not wired yet) the first checkpoint loader of the graph.
 * @param {any} node
 * @returns {string | null}
 */
export function graphCheckpoint(node) {
  const upstream = upstreamCheckpoint(node);
  if (upstream) return upstream;
  for (const other of node.graph?._nodes ?? node.graph?.nodes ?? []) {
    if (!CHECKPOINT_LOADERS.includes(other.comfyClass ?? other.type)) continue;
    const ckpt = other.widgets?.find((/** @type {any} */ w) => w.name === "ckpt_name");
    if (ckpt && typeof ckpt.value === "string" && ckpt.value) return ckpt.value;
  }
  return null;
}

/**
 * The checkpoint feeding `node`'s MODEL input: the first upstream node with a `ckpt_name` widget.
 * @param {any} node
 * @returns {string | null}
 */
export function upstreamCheckpoint(node) {
  const graph = node.graph;
  const seen = new Set();
  const queue = [node];
  while (queue.length && seen.size < 200) {
    const current = queue.shift();
    if (seen.has(current.id)) continue;
    seen.add(current.id);
    const ckpt = current.widgets?.find((/** @type {any} */ w) => w.name === "ckpt_name");
    if (current !== node && ckpt && typeof ckpt.value === "string") return ckpt.value;
    for (const input of current.inputs ?? []) {
      if (input.type !== "MODEL" || input.link == null) continue;
      const link = graph?.links?.get ? graph.links.get(input.link) : graph?.links?.[input.link];
      const origin = link && graph.getNodeById(link.origin_id);
      if (origin) queue.push(origin);
    }
  }
  return null;
}

/**
 * Attach the widget to a node; returns a `destroy` the caller runs from `onRemoved`.
 * @param {any} node @param {{api: import("../lib/api.js").EditorApi, cache: () => Promise<import("../lib/metadata_cache.js").MetadataCache>}} deps
 */
export function attachScheduleWidget(node, deps) {
  ensureStyles(document);
  const config = node.widgets?.find((/** @type {any} */ w) => w.name === CONFIG_WIDGET);
  if (!config) throw new Error(`${NODE_CLASS}: no ${CONFIG_WIDGET} widget to attach the editor to`);
  config.hidden = true;
  config.computeSize = () => [0, -4];
  const canvas = h("canvas", { dataset: { role: "node-curves" } });
  const summary = h("span", { className: "lwb-summary", dataset: { role: "node-summary" } });
  /** @type {EditorDialog | null} */
  let editor = null;
  const open = h("button", { className: "lwb-btn lwb-primary", text: "Open editor", dataset: { action: "open-editor" } });
  const root = h("div", { className: "lwb-node-widget" }, canvas, h("div", { className: "lwb-node-row" }, summary, open));
  let frame = 0;
  let lastText = /** @type {string | null} */ (null);

  const draw = () => {
    frame = 0;
    const text = String(config.value ?? "");
    let items = [];
    try {
      const model = readConfig(text);
      items = activeProfile(model).loras;
      const on = items.filter((i) => i.enabled).length;
      summary.textContent = `${model.active} · ${on}/${items.length} active`;
      summary.title = items.map((i) => i.lora_name).join("\n");
    } catch (err) {
      summary.textContent = `schedule_config: ${/** @type {Error} */ (err).message}`;
    }
    const { ctx, width, height } = fitCanvas(canvas);
    const view = fitView(items, width, height);
    drawGrid(ctx, view, false);
    drawAllCurves(ctx, view, items.filter((i) => i.enabled));
    lastText = text;
  };
  const redraw = () => { if (!frame) frame = requestAnimationFrame(draw); };
  const resize = new ResizeObserver(redraw);
  resize.observe(canvas);

  const openEditor = async () => {
    if (editor) return;
    let model;
    try {
      model = readConfig(String(config.value ?? ""));
    } catch (err) {
      summary.textContent = `cannot open: ${/** @type {Error} */ (err).message}`;
      return;
    }
    editor = new EditorDialog({
      model, api: deps.api, cache: await deps.cache(), ckptName: graphCheckpoint(node),
      sampling: graphSampling(node.graph?._nodes ?? node.graph?.nodes ?? [], node),
      onSave: (saved) => {
        config.value = writeConfig(saved);
        config.callback?.(config.value);
        node.graph?.setDirtyCanvas?.(true, true);
        redraw();
      },
      onClose: () => { editor = null; },
    });
  };
  open.addEventListener("click", openEditor);

  const widget = node.addDOMWidget("schedule_preview", "lwb-schedule-preview", root, {
    serialize: false, hideOnZoom: false,
    getValue: () => "", setValue: () => {},
    getMinHeight: () => WIDGET_HEIGHT, getHeight: () => WIDGET_HEIGHT,
  });
  widget.serialize = false;
  redraw();

  return {
    widget,
    openEditor,
    /** Redraw when the config changed without our Save (workflow load, paste): the entry calls it from onConfigure. */
    refresh: () => { if (String(config.value ?? "") !== lastText) redraw(); },
    destroy() {
      resize.disconnect();
      cancelAnimationFrame(frame);
      open.removeEventListener("click", openEditor);
      editor?.close();
    },
  };
}
