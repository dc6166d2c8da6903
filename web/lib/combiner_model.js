// @ts-check
/**
 * The combiner editor's model of `combiner_config`: the LoRA set (name, enabled, strengths, an optional
 * block vector or a saved block-weight profile by name) plus the node's policy and headroom, and the
 * `POST /mad-nodes/combine` request built from it. Pure: no DOM, no fetch.
 *
 * `combiner_config` is written as a JSON list of items (the node reads a list or a profiles object; the
 * list is the simpler of the two and all the combiner needs). A preset chosen in the block panel is
 * stored as its explicit vector, and a saved profile as its name plus a copy of its values
 * (`profileVectors`), so the node, the route and the schedule string see the same numbers.
 */

import { PALETTE } from "./config_model.js";
import { ScheduleError, UNKNOWN_ARCH, itemFromConfig, parseScheduleConfig } from "./schedule.js";

/**
 * @typedef {{lora_name: string, enabled: boolean, strength_model: number, strength_clip: number, arch: string,
 *   vectors: Record<string, number>, profile: string | null, color: string}} CombinerItem
 * @typedef {{items: CombinerItem[], policy: string, headroom: number}} CombinerState
 */

/** Most LoRAs one combine accepts (the route refuses more). */
export const MAX_LORAS = 32;
export const HEADROOM_MIN = 0.05;
export const HEADROOM_MAX = 100;
export const MAX_PROFILE_CHARS = 100;
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

/** The first palette colour no item uses yet (the palette wraps when all are taken). @param {CombinerItem[]} items */
export function freeColor(items) {
  const used = new Set(items.map((i) => i.color));
  return PALETTE.find((c) => !used.has(c)) ?? PALETTE[items.length % PALETTE.length];
}

/**
 * A new item at full strength, all blocks 1.
 * @param {string} loraName @param {CombinerItem[]} items the set it joins (picks a free colour)
 * @returns {CombinerItem}
 */
export function newCombinerItem(loraName, items) {
  return { lora_name: loraName, enabled: true, strength_model: 1, strength_clip: 1, arch: UNKNOWN_ARCH,
    vectors: {}, profile: null, color: freeColor(items) };
}

/** @param {unknown} raw @param {string} what */
function readProfileName(raw, what) {
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw !== "string") throw new ScheduleError(`${what}: profile must be a profile name (text)`);
  const name = raw.trim();
  if (name.length > MAX_PROFILE_CHARS) throw new ScheduleError(`${what}: profile name longer than ${MAX_PROFILE_CHARS} characters`);
  return name || null;
}

/**
 * The items of a `combiner_config` text (list, or a profiles object's active profile); ScheduleError naming
 * the item when it is malformed. A preset is expanded later by the dialog (it needs the block layout); here
 * it is kept out of the model, and the item keeps its explicit vectors.
 * @param {string | null | undefined} text
 * @returns {CombinerItem[]}
 */
export function readCombinerConfig(text) {
  if (text === null || text === undefined || !text.trim()) return [];
  parseScheduleConfig(text); // the same validation (and messages) as the loader's config
  const data = JSON.parse(text);
  const raw = Array.isArray(data) ? data : (() => {
    const profile = data.profiles?.[data.active_profile ?? "Default"];
    return Array.isArray(profile) ? profile : (profile?.loras ?? []);
  })();
  /** @type {CombinerItem[]} */
  const items = [];
  raw.forEach((/** @type {any} */ entry, /** @type {number} */ i) => {
    const what = `combiner_config item ${i + 1}`;
    const item = itemFromConfig(entry, what);
    const color = typeof entry.color === "string" && COLOR_RE.test(entry.color) ? entry.color : freeColor(items);
    items.push({ lora_name: item.lora_name, enabled: item.enabled, strength_model: item.strength_model,
      strength_clip: item.strength_clip, arch: item.arch, vectors: { ...item.vectors },
      profile: readProfileName(entry.profile, `${what} (${item.lora_name})`), color,
      ...(item.preset ? { preset: item.preset } : {}) });
  });
  return items;
}

/**
 * `combiner_config` as JSON text: a list of items (a profile, when set, travels by name).
 * @param {CombinerItem[]} items
 */
export function writeCombinerConfig(items) {
  return JSON.stringify(items.map((item) => {
    /** @type {Record<string, unknown>} */
    const out = { lora_name: item.lora_name, enabled: item.enabled, strength_model: item.strength_model,
      strength_clip: item.strength_clip, arch: item.arch, vectors: { ...item.vectors }, color: item.color };
    const preset = /** @type {any} */ (item).preset;
    if (preset) out.preset = preset;
    if (item.profile) out.profile = item.profile;
    return out;
  }));
}

/**
 * Add a LoRA to the set; Error naming the problem when it is already there or the set is full.
 * @param {CombinerItem[]} items @param {string} loraName
 * @returns {CombinerItem[]}
 */
export function addLora(items, loraName) {
  const name = String(loraName ?? "").trim();
  if (!name) throw new Error("a LoRA needs a name");
  if (items.some((i) => i.lora_name === name)) throw new Error(`${name} is already in the set`);
  if (items.length >= MAX_LORAS) throw new Error(`at most ${MAX_LORAS} LoRAs can be combined`);
  return [...items, newCombinerItem(name, items)];
}

/**
 * A headroom the node accepts, or an Error naming the problem.
 * @param {number} value
 */
export function checkHeadroom(value) {
  if (!Number.isFinite(value)) throw new Error(`headroom: ${value} is not a finite number`);
  if (value < HEADROOM_MIN || value > HEADROOM_MAX) {
    throw new Error(`headroom: ${value} is outside [${HEADROOM_MIN}, ${HEADROOM_MAX}]`);
  }
  return value;
}

/**
 * A saved block-weight profile (`/mad-nodes/profiles`) as the item's block vector: weight i on block i.
 * The item keeps the profile's name and this copy of its values, so the node (which reads the vector)
 * and the route (which fills the profile's values, explicit values winning) run the same numbers even
 * when the profile is edited later. Error naming the profile when its weights fit no block list.
 * @param {{name: string, weights: number[], blocks?: string[]}} profile
 * @returns {Record<string, number>}
 */
export function profileVectors(profile) {
  const blocks = profile.blocks ?? [];
  if (!blocks.length || blocks.length !== profile.weights.length) {
    throw new Error(`profile ${JSON.stringify(profile.name)}: its ${profile.weights.length} weights match no block list of its layout`);
  }
  return Object.fromEntries(blocks.map((b, i) => [b, Number(profile.weights[i])]));
}

/**
 * The body of `POST /mad-nodes/combine` for the enabled items: the same LoRAs, numbers and policy the
 * node will run (the node reads the same config through the same engine).
 * @param {CombinerState} state
 */
export function combineRequest({ items, policy, headroom }) {
  const loras = items.filter((i) => i.enabled).map((item) => {
    /** @type {Record<string, unknown>} */
    const out = { lora_name: item.lora_name, strength_model: item.strength_model, strength_clip: item.strength_clip };
    if (Object.keys(item.vectors).length) out.vectors = { ...item.vectors };
    if (item.profile) out.profile = item.profile;
    const preset = /** @type {any} */ (item).preset;
    if (preset) out.preset = preset;
    return out;
  });
  return { loras, policy, headroom: checkHeadroom(headroom) };
}

/** A stable key of a request (the view skips a combine whose inputs did not change). @param {unknown} body */
export const requestKey = (body) => JSON.stringify(body);

/** The editor state as one string (undo history). @param {CombinerState} state */
export const snapshotState = (state) => JSON.stringify({ config: writeCombinerConfig(state.items), policy: state.policy,
  headroom: state.headroom });

/** The state a snapshot holds. @param {string} text @returns {CombinerState} */
export function stateFromSnapshot(text) {
  const data = JSON.parse(text);
  return { items: readCombinerConfig(data.config), policy: String(data.policy), headroom: Number(data.headroom) };
}
