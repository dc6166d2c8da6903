// @ts-check
/**
 * Where the library tab lives: a sidebar tab through the frontend's extension point
 * (`app.extensionManager.registerSidebarTab`, ComfyUI frontend 1.x), or, on a frontend without it, a
 * floating panel opened by a "LoRA Library" button in the corner of the page.
 */

import { h } from "../editor/dom.js";

export const TAB_ID = "lwb-lora-library";
export const TAB_TITLE = "LoRA Library";

/**
 * @param {any} app @param {{mount: (container: HTMLElement) => void}} tab
 * @returns {"sidebar" | "floating"} where it went
 */
export function mountLibrary(app, tab) {
  const manager = app?.extensionManager;
  if (typeof manager?.registerSidebarTab === "function") {
    manager.registerSidebarTab({
      id: TAB_ID, icon: "pi pi-images", title: TAB_TITLE, tooltip: TAB_TITLE, label: "LoRAs", type: "custom",
      render: (/** @type {HTMLElement} */ container) => tab.mount(container),
    });
    return "sidebar";
  }
  floatingLibrary(tab);
  return "floating";
}

/** The fallback: a corner button toggling a floating panel that holds the tab. @param {{mount: (c: HTMLElement) => void}} tab */
export function floatingLibrary(tab) {
  const body = h("div", { style: { flex: "1", minHeight: "0", display: "flex", flexDirection: "column" } });
  const panel = h("div", { className: "lwb-floating-library", hidden: true, dataset: { role: "floating-library" } },
    h("div", { className: "lwb-lib-bar", style: { padding: "4px 6px" } }, h("span", { className: "lwb-h", text: TAB_TITLE }),
      h("span", { className: "lwb-spacer" }),
      h("button", { className: "lwb-btn", text: "✕", title: "Close", on: { click: () => { panel.hidden = true; } } })),
    body);
  const toggle = h("button", { className: "lwb-btn lwb-library-toggle", text: TAB_TITLE, dataset: { action: "toggle-library" } });
  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) tab.mount(body);
  });
  document.body.append(panel, toggle);
  return { panel, toggle };
}
