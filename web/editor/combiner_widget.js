// @ts-check
/**
 * The in-graph widget of the LoRA Block-Weight Combiner: its LoRAs (colour, name, strengths) and the
 * verdict of combining them, at a glance, and a button opening the combiner editor. The hidden
 * `combiner_config` STRING widget and the node's `policy` / `headroom` widgets stay the source of truth
 * (they serialize with the workflow); this widget reads them and the editor writes them on Save.
 *
 * The verdict comes from `POST /mad-nodes/combine` (the node's own engine), asked again only when the
 * LoRAs, policy or headroom changed.
 */

import { addLora, combineRequest, readCombinerConfig, requestKey, writeCombinerConfig } from "../lib/combiner_model.js";
import { keptByLora, verdictSummary } from "../lib/combine_result.js";
import { loaderConfigWithResult } from "../lib/send_to_loader.js";
import { formatNumber } from "../lib/schedule.js";
import { CombinerDialog } from "./combiner_dialog.js";
import { h, clear } from "./dom.js";
import { graphCheckpoint, NODE_CLASS as LOADER_CLASS, CONFIG_WIDGET as LOADER_CONFIG } from "./node_widget.js";
import { ensureStyles } from "./styles.js";

export const COMBINER_CLASS = "LoraBlockWeightCombiner";
export const COMBINER_CONFIG = "combiner_config";
const WIDGET_HEIGHT = 130;
const SHOWN_ROWS = 5;
const VERDICT_DELAY_MS = 300;

/** @param {any} node @param {string} name */
const widgetOf = (node, name) => node.widgets?.find((/** @type {any} */ w) => w.name === name);

/** @param {any} widget @param {unknown} value */
function setWidget(widget, value) {
  if (!widget) return;
  widget.value = value;
  widget.callback?.(value);
}

/**
 * The node's state as the editor sees it; Error naming the problem when combiner_config is malformed.
 * @param {any} node @returns {import("../lib/combiner_model.js").CombinerState}
 */
export function combinerState(node) {
  return {
    items: readCombinerConfig(String(widgetOf(node, COMBINER_CONFIG)?.value ?? "")),
    policy: String(widgetOf(node, "policy")?.value ?? "budget"),
    headroom: Number(widgetOf(node, "headroom")?.value ?? 1),
  };
}

/** @param {any} node @param {import("../lib/combiner_model.js").CombinerState} state */
function writeState(node, state) {
  setWidget(widgetOf(node, COMBINER_CONFIG), writeCombinerConfig(state.items));
  setWidget(widgetOf(node, "policy"), state.policy);
  setWidget(widgetOf(node, "headroom"), state.headroom);
  node.graph?.setDirtyCanvas?.(true, true);
  node.lwbCombiner?.refresh();
}

/**
 * Add a LoRA to a combiner node's set (for the library's "add to combiner" and drops onto the node).
 * Returns the node's new LoRA count; throws an Error naming the problem (not a combiner, already there,
 * set full, malformed config).
 * @param {any} node @param {string} loraName
 */
export function addLoraToCombinerNode(node, loraName) {
  if (node?.comfyClass !== COMBINER_CLASS) throw new Error("not a LoRA Block-Weight Combiner node");
  const state = combinerState(node);
  state.items = addLora(state.items, loraName);
  writeState(node, state);
  return state.items.length;
}

/** The loaders of `graph` that can receive a result. @param {any} graph */
export function loaderNodes(graph) {
  return (graph?._nodes ?? graph?.nodes ?? []).filter((/** @type {any} */ n) => (n.comfyClass ?? n.type) === LOADER_CLASS);
}

/**
 * Write a combine result into the loader `loaderId` of the node's graph; the message to show.
 * @param {any} node @param {string} loaderId @param {any} response
 */
export function sendResultToLoader(node, loaderId, response) {
  const loader = loaderNodes(node.graph).find((/** @type {any} */ n) => String(n.id) === String(loaderId));
  if (!loader) throw new Error(`no Multi Scheduled LoRA Loader #${loaderId} in the graph`);
  const widget = widgetOf(loader, LOADER_CONFIG);
  if (!widget) throw new Error(`loader #${loaderId} has no ${LOADER_CONFIG}`);
  const { text, replaced, count } = loaderConfigWithResult(response, String(widget.value ?? ""));
  setWidget(widget, text);
  loader.lwbEditor?.refresh();
  node.graph?.setDirtyCanvas?.(true, true);
  const profile = JSON.parse(text).active_profile;
  return `sent ${count} LoRA${count === 1 ? "" : "s"} to #${loader.id} (profile ${profile})`
    + (replaced !== null ? "; its unreadable config was replaced" : "");
}

/**
 * Attach the widget; returns the handle the entry keeps on `node.lwbCombiner`.
 * @param {any} node @param {{api: import("../lib/api.js").EditorApi, cache: () => Promise<import("../lib/metadata_cache.js").MetadataCache>}} deps
 */
export function attachCombinerWidget(node, deps) {
  ensureStyles(document);
  const config = widgetOf(node, COMBINER_CONFIG);
  if (!config) throw new Error(`${COMBINER_CLASS}: no ${COMBINER_CONFIG} widget to attach the editor to`);
  config.hidden = true;
  config.computeSize = () => [0, -4];
  const rows = h("div", { className: "lwb-combiner-rows", dataset: { role: "combiner-rows" } });
  const verdict = h("div", { className: "lwb-summary lwb-muted", dataset: { role: "combiner-verdict" } });
  /** @type {CombinerDialog | null} */
  let editor = null;
  const open = h("button", { className: "lwb-btn lwb-primary", text: "Open combiner", dataset: { action: "open-combiner" } });
  const root = h("div", { className: "lwb-node-widget lwb-combiner-widget" }, rows, h("div", { className: "lwb-node-row" }, verdict, open));
  let timer = 0;
  let shownKey = "";
  let generation = 0;
  let lastSeen = "";
  /** @type {Map<string, {included: boolean, kept: number | null, reason: string}> | null} */
  let lastKept = null;

  const seen = () => `${config.value}\u0000${widgetOf(node, "policy")?.value}\u0000${widgetOf(node, "headroom")?.value}`;

  const render = () => {
    lastSeen = seen();
    clear(rows);
    let state;
    try {
      state = combinerState(node);
    } catch (err) {
      verdict.textContent = `combiner_config: ${/** @type {Error} */ (err).message}`;
      verdict.className = "lwb-summary lwb-error";
      return;
    }
    const enabled = state.items.filter((i) => i.enabled);
    for (const item of state.items.slice(0, SHOWN_ROWS)) {
      rows.append(h("div", { className: `lwb-combiner-row${item.enabled ? "" : " lwb-off"}`, dataset: { role: "combiner-row" } },
        h("span", { className: "lwb-swatch-sm", style: { background: item.color } }),
        h("span", { className: "lwb-lora-name", text: item.lora_name, title: item.lora_name }),
        h("span", { className: "lwb-muted", text: `${formatNumber(item.strength_model)} / ${formatNumber(item.strength_clip)}` }),
        h("span", { className: "lwb-kept", dataset: { role: "combiner-kept", name: item.lora_name } })));
    }
    if (state.items.length > SHOWN_ROWS) rows.append(h("div", { className: "lwb-muted", text: `+ ${state.items.length - SHOWN_ROWS} more` }));
    if (!enabled.length) {
      verdict.textContent = state.items.length ? "all LoRAs disabled" : "no LoRA: open the combiner to add some";
      verdict.className = "lwb-summary lwb-muted";
      shownKey = "";
      return;
    }
    let body;
    try {
      body = combineRequest(state);
    } catch (err) {
      verdict.textContent = /** @type {Error} */ (err).message;
      return;
    }
    const key = requestKey(body);
    if (key === shownKey) {
      if (lastKept) showKept(lastKept);
      return;
    }
    clearTimeout(timer);
    verdict.textContent = `${enabled.length} LoRAs · ${state.policy} · checking…`;
    timer = window.setTimeout(async () => {
      const mine = ++generation;
      try {
        const answer = await deps.api.combine(body);
        if (mine !== generation) return;
        const summary = verdictSummary(answer);
        lastKept = keptByLora(answer);
        showKept(lastKept);
        verdict.textContent = `${state.policy} ×${formatNumber(state.headroom)} · ${summary.text}`;
        verdict.className = `lwb-summary lwb-${summary.level}`;
        shownKey = key;
      } catch (err) {
        if (mine !== generation) return;
        verdict.textContent = `✕ ${/** @type {Error} */ (err).message}`;
        verdict.className = "lwb-summary lwb-error";
      }
    }, VERDICT_DELAY_MS);
  };

  /** Each row's share kept by the policy (×0.35) or "excluded", with the reason as its tooltip. */
  const showKept = (/** @type {ReturnType<typeof keptByLora>} */ kept) => {
    for (const cell of rows.querySelectorAll("[data-role=combiner-kept]")) {
      const el = /** @type {HTMLElement} */ (cell);
      const k = kept.get(el.dataset.name ?? "");
      el.textContent = !k ? "" : !k.included ? "excluded" : k.kept === null ? "" : `×${k.kept.toFixed(2)}`;
      el.title = !k ? "" : !k.included ? k.reason : "achieved / requested change, over all blocks";
      el.className = `lwb-kept${k && !k.included ? " lwb-error" : k && k.kept !== null && k.kept < 0.999 ? " lwb-warn" : " lwb-ok"}`;
    }
  };

  const openEditor = async () => {
    if (editor) return;
    let state;
    try {
      state = combinerState(node);
    } catch (err) {
      verdict.textContent = `cannot open: ${/** @type {Error} */ (err).message}`;
      return;
    }
    const policies = widgetOf(node, "policy")?.options?.values ?? [state.policy];
    editor = new CombinerDialog({
      state, policies: [...policies], api: deps.api, cache: await deps.cache(), ckptName: graphCheckpoint(node),
      listLoaders: () => loaderNodes(node.graph).map((/** @type {any} */ n) => ({ id: n.id, title: String(n.title ?? LOADER_CLASS) })),
      sendToLoader: (id, response) => sendResultToLoader(node, id, response),
      onSave: (saved) => writeState(node, saved),
      onClose: () => { editor = null; },
    });
  };
  open.addEventListener("click", openEditor);

  const widget = node.addDOMWidget("combiner_preview", "lwb-combiner-preview", root, {
    serialize: false, hideOnZoom: false,
    getValue: () => "", setValue: () => {},
    getMinHeight: () => WIDGET_HEIGHT, getHeight: () => WIDGET_HEIGHT,
  });
  widget.serialize = false;
  // policy and headroom edited on the node itself also refresh the verdict
  for (const name of ["policy", "headroom"]) {
    const w = widgetOf(node, name);
    if (!w) continue;
    const original = w.callback;
    w.callback = function chained(/** @type {any[]} */ ...args) {
      const result = original?.apply(this, args);
      render();
      return result;
    };
  }
  render();

  return {
    widget,
    openEditor,
    /** @param {string} loraName */
    addLora: (loraName) => addLoraToCombinerNode(node, loraName),
    /** Re-read the widgets (workflow load, paste, an outside edit). */
    refresh: () => { if (seen() !== lastSeen) render(); },
    /** The dialog, when open (tests and the library tab use it). */
    get editor() { return editor; },
    destroy() {
      clearTimeout(timer);
      generation++;
      open.removeEventListener("click", openEditor);
      editor?.close();
    },
  };
}
