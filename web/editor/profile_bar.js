// @ts-check
/**
 * Profile controls: a select of profile names (as text), a name field, New / Duplicate / Rename / Delete.
 * Delete asks for a second click instead of a blocking dialog.
 */

import { h } from "./dom.js";

/**
 * @param {{names: string[], active: string, onSwitch: (name: string) => void,
 *   onCreate: (name: string) => void, onDuplicate: (name: string) => void, onRename: (name: string) => void,
 *   onDelete: () => void}} o
 */
export function profileBar({ names, active, onSwitch, onCreate, onDuplicate, onRename, onDelete }) {
  const select = h("select", { className: "lwb-text", dataset: { role: "profile-select" }, title: "Profile" });
  for (const name of names) select.append(h("option", { value: name, text: name, selected: name === active }));
  select.addEventListener("change", () => onSwitch(select.value));
  const field = h("input", { className: "lwb-text", type: "text", placeholder: "profile name", maxLength: 80,
    dataset: { role: "profile-name" }, style: { width: "120px" } });
  const del = h("button", { className: "lwb-btn lwb-danger", text: "Delete", dataset: { action: "profile-delete" } });
  del.addEventListener("click", () => {
    if (del.dataset.armed) { onDelete(); return; }
    del.dataset.armed = "1";
    del.textContent = "Delete: sure?";
  });
  del.addEventListener("blur", () => { delete del.dataset.armed; del.textContent = "Delete"; });
  const button = (/** @type {string} */ text, /** @type {string} */ action, /** @type {(n: string) => void} */ fn) =>
    h("button", { className: "lwb-btn", text, dataset: { action }, on: { click: () => fn(field.value) } });
  return h("span", { className: "lwb-profiles", style: { display: "inline-flex", gap: "4px", alignItems: "center" } },
    select, field, button("New", "profile-new", onCreate), button("Duplicate", "profile-duplicate", onDuplicate),
    button("Rename", "profile-rename", onRename), del);
}
