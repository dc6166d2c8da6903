// @ts-check
/**
 * Block weights of one LoRA: preset buttons, one slider per block in the architecture's order and
 * groups, each beside its block-energy bar, reset, and the resulting `vectors=` text. Rebuilt by the
 * dialog on each change (a few dozen rows); every label is text.
 */

import { blocksFor, effectiveVector, energyBars, formatVectors, groupBlocks, presetVector, presetsSupported,
  setBlockValue } from "../lib/vectors.js";
import { layoutOf, profileMatches, profileProblem, variantFor, weightsFromVector } from "../lib/profile_model.js";
import { h } from "./dom.js";

export const SLIDER_MIN = -1;
export const SLIDER_MAX = 2;

/**
 * @typedef {import("../lib/config_model.js").EditorItem} EditorItem
 * @typedef {(change: {preset: string | null, vectors: Record<string, number>}, commit: boolean) => void} OnChange
 * @typedef {import("../lib/profile_model.js").Profile} Profile
 * @typedef {{list: Profile[], apply: (profile: Profile) => void,
 *   save: (draft: {name: string, layout: string, weights: number[]}) => void}} ProfileHooks
 */

/**
 * @param {{config: import("../lib/vectors.js").UiConfig, item: EditorItem, arch: string, stats: any,
 *   statsNote: string, step: number, onChange: OnChange, profiles?: ProfileHooks}} o
 */
export function blockPanel({ config, item, arch, stats, statsNote, step, onChange, profiles }) {
  const blocks = blocksFor(config, arch, stats, item.vectors);
  const full = effectiveVector(config, blocks, item);
  const bars = energyBars(stats, blocks);
  const strategies = config.PRESET_STRATEGIES ?? {};
  const presetsOk = presetsSupported(config, arch);
  const shownVector = item.preset && strategies[item.preset] ? presetVector(config, blocks, item.preset) : item.vectors;
  const root = h("div", { className: "lwb-section lwb-blocks" },
    h("div", { className: "lwb-h", text: `Block weights · ${arch}` }),
    statsNote ? h("div", { className: "lwb-muted", text: statsNote, dataset: { role: "stats-note" } }) : null);
  const presetRow = h("div", { className: "lwb-presets" });
  for (const [key, strategy] of Object.entries(strategies)) {
    presetRow.append(h("button", {
      className: `lwb-btn${item.preset === key ? " lwb-on" : ""}`, text: strategy.label ?? key, disabled: !presetsOk,
      title: presetsOk ? `preset=${key}` : `presets need a known block layout (${arch})`, dataset: { preset: key },
      on: { click: () => onChange({ preset: key, vectors: {} }, true) },
    }));
  }
  presetRow.append(h("button", { className: "lwb-btn", text: "Reset", dataset: { action: "reset-blocks" },
    on: { click: () => onChange({ preset: null, vectors: {} }, true) } }));
  root.append(presetRow);
  if (profiles) root.append(profileRow(config, arch, stats, full, profiles));
  if (!blocks.length) {
    root.append(h("div", { className: "lwb-muted", text: "No block layout known for this LoRA's architecture." }));
  }
  for (const group of groupBlocks(config, blocks)) {
    root.append(h("div", { className: "lwb-muted", text: group.name }));
    for (const block of group.blocks) root.append(blockRow(block, full[block.id], bars[block.id], step, (value, commit) =>
      onChange(setBlockValue(config, blocks, item, block.id, value), commit)));
  }
  const text = item.preset ? `preset=${item.preset}` : formatVectors(item.vectors) || "(all blocks 1)";
  root.append(h("div", { className: "lwb-muted", text: "Runs as:" }),
    h("div", { className: "lwb-vector", text, dataset: { role: "vector-text" } }));
  if (item.preset && Object.keys(shownVector).length) {
    root.append(h("div", { className: "lwb-vector lwb-muted", text: `= ${formatVectors(shownVector)}` }));
  }
  return root;
}

/**
 * @param {import("../lib/vectors.js").Block} block @param {number} value @param {number} bar @param {number} step
 * @param {(value: number, commit: boolean) => void} onValue
 */
function blockRow(block, value, bar, step, onValue) {
  const shown = h("span", { text: value.toFixed(2) });
  const slider = h("input", { type: "range", min: String(SLIDER_MIN), max: String(SLIDER_MAX), step: String(step),
    value: String(value), dataset: { block: block.id }, title: block.id });
  slider.addEventListener("input", () => { shown.textContent = Number(slider.value).toFixed(2); });
  slider.addEventListener("change", () => onValue(Number(slider.value), true));
  const fill = h("div", { style: { width: `${Math.round(bar * 100)}%` } });
  return h("div", { className: "lwb-block" }, h("span", { text: block.label, title: block.id }), slider, shown,
    h("div", { className: "lwb-bar", title: `energy ${Math.round(bar * 100)}% of the largest block` }, fill));
}

/**
 * Saved profiles of this LoRA's layout as preset buttons (on when the LoRA's vector is the profile's),
 * and "save as profile" from the current vector. A profile that does not fit (another variant of the
 * layout) shows disabled, its title saying why.
 * @param {any} config @param {string} arch @param {any} stats @param {Record<string, number>} full @param {ProfileHooks} hooks
 */
function profileRow(config, arch, stats, full, hooks) {
  const info = layoutOf(config, arch);
  const row = h("div", { className: "lwb-presets", dataset: { role: "profile-presets" } });
  if (!info) return row;
  const present = stats?.energy_distribution ? Object.keys(stats.energy_distribution) : [];
  for (const profile of hooks.list.filter((p) => p.layout === info.layout)) {
    const problem = profileProblem(profile, config, arch, present);
    row.append(h("button", {
      className: `lwb-btn lwb-profile-btn${!problem && profileMatches(profile, full) ? " lwb-on" : ""}`, text: profile.name,
      disabled: Boolean(problem), title: problem ?? `profile ${profile.name} (${profile.layout}, ${profile.weights.length} blocks)`,
      dataset: { profile: profile.name }, on: { click: () => hooks.apply(profile) },
    }));
  }
  const variant = variantFor(info.variants, present);
  const name = h("input", { className: "lwb-text", type: "text", placeholder: "new profile name", maxLength: 100,
    dataset: { role: "save-profile-name" }, style: { width: "120px" } });
  const save = h("button", { className: "lwb-btn", text: "Save as profile", dataset: { action: "save-profile" },
    disabled: !variant, title: variant ? `saves these ${variant.length} block weights as a ${info.layout} profile`
      : "the LoRA's blocks fit no variant of its layout" });
  save.addEventListener("click", () => {
    if (!variant || !name.value.trim()) { name.focus(); return; }
    hooks.save({ name: name.value.trim(), layout: info.layout, weights: weightsFromVector(full, variant.blocks) });
  });
  row.append(name, save);
  return row;
}
