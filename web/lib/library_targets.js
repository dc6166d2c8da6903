// @ts-check
/**
 * Where a LoRA from the library can go (no DOM): the pack's loader and combiner nodes and the widget
 * holding each one's config, the drag payload a library card carries, and adding a LoRA to a config
 * text. The edit is minimal: the JSON is parsed, one item is appended to the active profile's list (or
 * to the plain list) and written back; every other field, including ones this code does not know
 * (combiner settings), is kept as it was.
 */

import { newItem } from "./config_model.js";

/** Node type -> the hidden STRING widget holding its LoRA list. */
export const TARGET_WIDGETS = /** @type {Record<string, string>} */ ({
  MultiScheduledLoraLoader: "schedule_config",
  LoraBlockWeightCombiner: "combiner_config",
});
export const TARGET_KINDS = /** @type {Record<string, "loader" | "combiner">} */ ({
  MultiScheduledLoraLoader: "loader",
  LoraBlockWeightCombiner: "combiner",
});

/** The drag MIME type of a library card; the payload is JSON `{name, id}`. */
export const DRAG_TYPE = "application/x-lwb-lora";

/** @param {{name: string, id?: string | null}} entry */
export const dragPayload = (entry) => JSON.stringify({ name: entry.name, id: entry.id ?? null });

/**
 * The LoRA of a drag payload; null when it is not one of ours or malformed.
 * @param {string | null | undefined} text
 * @returns {{name: string, id: string | null} | null}
 */
export function readDragPayload(text) {
  if (!text) return null;
  try {
    const data = JSON.parse(text);
    if (!data || typeof data.name !== "string" || !data.name) return null;
    return { name: data.name, id: typeof data.id === "string" ? data.id : null };
  } catch {
    return null;
  }
}

/** Whether a node type takes LoRAs from the library. @param {string | undefined} type */
export const isTarget = (type) => Boolean(type && TARGET_WIDGETS[type]);

/**
 * The config text with `loraName` appended (full strength, flat curve, as the editor's "Add LoRA").
 * Throws an Error naming the problem when the text is not a config this pack can read.
 * @param {string | null | undefined} text @param {string} loraName
 * @returns {{text: string, index: number}} the new text and the new item's position in its list
 */
export function addLoraToConfig(text, loraName) {
  let data;
  try {
    data = text && text.trim() ? JSON.parse(text) : [];
  } catch (err) {
    throw new Error(`the node's config is not JSON (${/** @type {Error} */ (err).message}); open its editor to repair it`);
  }
  /** @type {any[]} */
  let list;
  if (Array.isArray(data)) list = data;
  else if (data && typeof data === "object") {
    data.profiles ??= {};
    if (typeof data.profiles !== "object" || Array.isArray(data.profiles)) throw new Error("the node's config has no profiles object");
    const names = Object.keys(data.profiles);
    const active = typeof data.active_profile === "string" && names.includes(data.active_profile) ? data.active_profile
      : names[0] ?? "Default";
    data.active_profile = active;
    const profile = data.profiles[active] ?? { loras: [], settings: { snap: 0.05 } };
    if (Array.isArray(profile)) data.profiles[active] = { loras: profile };
    else data.profiles[active] = profile;
    data.profiles[active].loras ??= [];
    list = data.profiles[active].loras;
    if (!Array.isArray(list)) throw new Error(`the node's profile ${JSON.stringify(active)} has no list of loras`);
  } else {
    throw new Error("the node's config is neither a list nor a profiles object");
  }
  const item = newItem(loraName, list.length);
  list.push({ lora_name: item.lora_name, enabled: item.enabled, strength_model: item.strength_model,
    strength_clip: item.strength_clip, points: item.points, arch: item.arch, vectors: {}, color: item.color });
  return { text: JSON.stringify(data), index: list.length - 1 };
}

/**
 * The LoRA names of a config text's active list (for "already in this node" notes); [] when unreadable.
 * @param {string | null | undefined} text
 */
export function configLoraNames(text) {
  try {
    const data = text && text.trim() ? JSON.parse(text) : [];
    const list = Array.isArray(data) ? data : data?.profiles?.[data.active_profile]?.loras
      ?? data?.profiles?.[data.active_profile] ?? [];
    return Array.isArray(list) ? list.map((i) => String(i?.lora_name ?? "")) : [];
  } catch {
    return [];
  }
}
