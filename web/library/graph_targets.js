// @ts-check
/**
 * The graph side of "add to loader / combiner" and of dropping a library card onto a node: which nodes
 * can take a LoRA, adding one to a node's config widget (then redrawing its in-graph widget), and the
 * drop handler on the canvas. Works with the classic canvas (hit test in graph coordinates) and with
 * the Vue node renderer (the DOM element under the pointer names its node).
 */

import { DRAG_TYPE, TARGET_KINDS, TARGET_WIDGETS, addLoraToConfig, isTarget, readDragPayload } from "../lib/library_targets.js";
import { COMBINER_CLASS, addLoraToCombinerNode } from "../editor/combiner_widget.js";

/**
 * @typedef {{node: any, kind: "loader" | "combiner", label: string}} Target
 */

/** @param {any} graph @returns {Target[]} */
export function targetNodes(graph) {
  const nodes = graph?._nodes ?? graph?.nodes ?? [];
  return nodes.filter((/** @type {any} */ n) => isTarget(n.comfyClass ?? n.type)).map((/** @type {any} */ node) => {
    const type = node.comfyClass ?? node.type;
    return { node, kind: TARGET_KINDS[type], label: `#${node.id} ${node.title ?? type}` };
  });
}

/**
 * Append a LoRA to a loader's or combiner's list; returns the message to show. Throws an Error naming the
 * node and the problem (not a target, no config widget, unreadable config).
 * @param {any} node @param {string} loraName
 */
export function addLoraToNode(node, loraName) {
  const type = node?.comfyClass ?? node?.type;
  if (!isTarget(type)) throw new Error(`node #${node?.id} (${type}) does not take LoRAs from the library`);
  if (type === COMBINER_CLASS) {
    // the combiner editor's own rule (no duplicates, a bounded set, its item fields)
    const count = addLoraToCombinerNode(node, loraName);
    return `added ${loraName} to #${node.id} ${node.title ?? type} (${count} LoRA${count === 1 ? "" : "s"})`;
  }
  const widget = node.widgets?.find((/** @type {any} */ w) => w.name === TARGET_WIDGETS[type]);
  if (!widget) throw new Error(`node #${node.id} has no ${TARGET_WIDGETS[type]} widget`);
  let text;
  try {
    ({ text } = addLoraToConfig(String(widget.value ?? ""), loraName));
  } catch (err) {
    throw new Error(`node #${node.id}: ${/** @type {Error} */ (err).message}`);
  }
  widget.value = text;
  widget.callback?.(text);
  node.lwbEditor?.refresh?.();
  node.lwbCombiner?.refresh?.();
  node.graph?.setDirtyCanvas?.(true, true);
  node.graph?.change?.();
  return `added ${loraName} to #${node.id} ${node.title ?? type}`;
}

/**
 * The target node under a drop: the Vue node element the pointer is over, else the canvas hit test.
 * @param {any} app @param {DragEvent} event
 */
export function nodeAtEvent(app, event) {
  const graph = app.graph;
  const element = /** @type {Element | null} */ (event.target instanceof Element ? event.target : null);
  const vueNode = element?.closest?.("[data-node-id]");
  if (vueNode) {
    const node = graph?.getNodeById?.(Number(vueNode.getAttribute("data-node-id")) || vueNode.getAttribute("data-node-id"));
    if (node) return node;
  }
  const canvas = app.canvas;
  if (!canvas?.convertEventToCanvasOffset || !graph?.getNodeOnPos) return null;
  const [x, y] = canvas.convertEventToCanvasOffset(event);
  return graph.getNodeOnPos(x, y, graph._nodes ?? graph.nodes) ?? null;
}

/**
 * Accept library cards dropped onto loader and combiner nodes (capture phase, so ComfyUI's own file drop
 * handler never sees our drags; other drags pass through untouched). Returns the remover.
 * @param {any} app @param {{onAdded: (message: string) => void, onError: (message: string) => void}} report
 */
export function installDropTarget(app, report) {
  const ours = (/** @type {DragEvent} */ e) => Boolean(e.dataTransfer?.types?.includes(DRAG_TYPE));
  const over = (/** @type {DragEvent} */ e) => {
    if (!ours(e)) return;
    const node = nodeAtEvent(app, e);
    if (node && isTarget(node.comfyClass ?? node.type)) {
      e.preventDefault();
      /** @type {DataTransfer} */ (e.dataTransfer).dropEffect = "copy";
    }
    e.stopPropagation();
  };
  const drop = (/** @type {DragEvent} */ e) => {
    if (!ours(e)) return;
    e.preventDefault();
    e.stopPropagation();
    const lora = readDragPayload(e.dataTransfer?.getData(DRAG_TYPE));
    const node = nodeAtEvent(app, e);
    if (!lora) { report.onError("the dragged LoRA could not be read"); return; }
    if (!node || !isTarget(node.comfyClass ?? node.type)) {
      report.onError(`drop ${lora.name} onto a Multi Scheduled LoRA Loader or a LoRA Block-Weight Combiner node`);
      return;
    }
    try {
      report.onAdded(addLoraToNode(node, lora.name));
    } catch (err) {
      report.onError(/** @type {Error} */ (err).message);
    }
  };
  document.addEventListener("dragover", over, true);
  document.addEventListener("drop", drop, true);
  return () => {
    document.removeEventListener("dragover", over, true);
    document.removeEventListener("drop", drop, true);
  };
}
