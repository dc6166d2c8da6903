// @ts-check
/**
 * The widget of "Show Text (Weights Builder)": a read-only textarea holding the last executed text exactly
 * (its `value`, never markup), so a schedule string can be read and copied as it is.
 */

import { h } from "./dom.js";

export const SHOW_TEXT_CLASS = "LoraWeightsBuilderShowText";

/**
 * @param {any} node a LiteGraph node of SHOW_TEXT_CLASS
 * @returns {{ show(text: string): void, text(): string }}
 */
export function attachShowTextWidget(node) {
  const area = h("textarea", {
    className: "lwb-show-text",
    readOnly: true,
    spellcheck: false,
    attrs: { "aria-label": "text", "data-lwb": "show-text" },
    style: { width: "100%", height: "100%", minHeight: "60px", boxSizing: "border-box", resize: "none",
      fontFamily: "monospace", fontSize: "11px", whiteSpace: "pre", overflow: "auto" },
  });
  node.addDOMWidget("shown_text", "lwb_show_text", area, { serialize: false, getValue: () => area.value });
  return {
    show(text) { area.value = text; },
    text() { return area.value; },
  };
}

/**
 * The text of an `executed` message of this node (`{"text": [str]}`), joined.
 * @param {any} message
 * @returns {string}
 */
export function executedText(message) {
  const parts = message?.text;
  return Array.isArray(parts) ? parts.map(String).join("") : "";
}
