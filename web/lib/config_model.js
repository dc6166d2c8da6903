// @ts-check
/**
 * The editor's model of `schedule_config`: every profile, not only the active one.
 * Reads both seed 004 formats (legacy list, profiles object) and always writes the profiles object,
 * so a workflow saved by the seed's node opens here and a saved one runs in either backend.
 * Pure: no DOM. Profiles live in a Map so a name such as `__proto__` is just a name.
 */

import { ScheduleError, UNKNOWN_ARCH, defaultPoints, itemFromConfig } from "./schedule.js";

/**
 * @typedef {import("./schedule.js").LoraItem & {color: string}} EditorItem
 * @typedef {{loras: EditorItem[], settings: {snap: number}}} Profile
 * @typedef {{active: string, profiles: Map<string, Profile>}} ConfigModel
 */

export const DEFAULT_PROFILE = "Default";
export const DEFAULT_SNAP = 0.05;
export const MAX_PROFILE_NAME = 80;
export const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
  "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075",
  "#a9a9a9", "#ffe119"];
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

/** @returns {Profile} */
export const emptyProfile = (snap = DEFAULT_SNAP) => ({ loras: [], settings: { snap } });

/** @returns {ConfigModel} */
export const emptyModel = () => ({ active: DEFAULT_PROFILE, profiles: new Map([[DEFAULT_PROFILE, emptyProfile()]]) });

/** @param {number} index */
export const paletteColor = (index) => PALETTE[index % PALETTE.length];

/**
 * A new item for a LoRA file: full strength, flat curve at 1 (runs as the core LoRA loader would).
 * @param {string} loraName @param {number} index position, picks the colour
 * @returns {EditorItem}
 */
export function newItem(loraName, index) {
  return { lora_name: loraName, enabled: true, strength_model: 1, strength_clip: 1, points: defaultPoints(),
    arch: UNKNOWN_ARCH, preset: null, vectors: {}, color: paletteColor(index) };
}

/** @param {unknown} raw @param {string} what @param {number} index @returns {EditorItem} */
function readItem(raw, what, index) {
  const item = itemFromConfig(raw, what);
  const color = /** @type {{color?: unknown}} */ (raw).color;
  return { ...item, color: typeof color === "string" && COLOR_RE.test(color) ? color : paletteColor(index) };
}

/** @param {unknown} raw @param {string} name @returns {Profile} */
function readProfile(raw, name) {
  const where = `schedule_config profile ${JSON.stringify(name)}`;
  const obj = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? /** @type {any} */ (raw) : null;
  const loras = obj ? (obj.loras ?? []) : raw;
  if (!Array.isArray(loras)) throw new ScheduleError(`${where} has no list of loras`);
  const snapRaw = obj?.settings?.snap;
  const snap = typeof snapRaw === "number" && snapRaw > 0 && snapRaw <= 0.5 ? snapRaw : DEFAULT_SNAP;
  return { loras: loras.map((entry, i) => readItem(entry, `${where} item ${i + 1}`, i)), settings: { snap } };
}

/**
 * The model of a `schedule_config` text; ScheduleError naming the profile and item when it is malformed.
 * @param {string | null | undefined} text
 * @returns {ConfigModel}
 */
export function readConfig(text) {
  if (text === null || text === undefined || !text.trim()) return emptyModel();
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ScheduleError(`schedule_config: malformed JSON: ${/** @type {Error} */ (err).message}`);
  }
  if (Array.isArray(data)) {
    return { active: DEFAULT_PROFILE, profiles: new Map([[DEFAULT_PROFILE, readProfile(data, DEFAULT_PROFILE)]]) };
  }
  if (data === null || typeof data !== "object") {
    throw new ScheduleError("schedule_config: expected a list or a profiles object");
  }
  const raw = data.profiles ?? {};
  if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
    throw new ScheduleError("schedule_config: profiles must be an object of name: profile");
  }
  /** @type {Map<string, Profile>} */
  const profiles = new Map();
  for (const [name, profile] of Object.entries(raw)) profiles.set(name, readProfile(profile, name));
  if (profiles.size === 0) return emptyModel();
  const wanted = data.active_profile ?? DEFAULT_PROFILE;
  const active = typeof wanted === "string" && profiles.has(wanted) ? wanted : [...profiles.keys()][0];
  return { active, profiles };
}

/** @param {EditorItem} item */
function wireItem(item) {
  /** @type {Record<string, unknown>} */
  const out = {
    lora_name: item.lora_name, enabled: item.enabled, strength_model: item.strength_model,
    strength_clip: item.strength_clip, points: item.points.map((p) => ({ x: p.x, y: p.y })), arch: item.arch,
    vectors: { ...item.vectors }, color: item.color,
  };
  if (item.preset) out.preset = item.preset;
  return out;
}

/**
 * The profiles object (seed 004 format 2) as JSON text.
 * @param {ConfigModel} model
 */
export function writeConfig(model) {
  const profiles = Object.fromEntries([...model.profiles].map(([name, p]) => [name, {
    loras: p.loras.map(wireItem), settings: { snap: p.settings.snap },
  }]));
  return JSON.stringify({ active_profile: model.active, profiles });
}

/** @param {ConfigModel} model */
export const activeProfile = (model) => /** @type {Profile} */ (model.profiles.get(model.active));

/** A deep copy (the undo stack keeps these). @param {ConfigModel} model @returns {ConfigModel} */
export const cloneModel = (model) => readConfig(writeConfig(model));

// ─── Profile operations: each returns a new model, or throws an Error naming the problem ───

/** @param {ConfigModel} model @param {string} name */
function checkNewName(model, name) {
  const trimmed = name.trim();
  if (!trimmed) throw new Error("a profile needs a name");
  if (trimmed.length > MAX_PROFILE_NAME) throw new Error(`profile name longer than ${MAX_PROFILE_NAME} characters`);
  if (model.profiles.has(trimmed)) throw new Error(`a profile named ${JSON.stringify(trimmed)} already exists`);
  return trimmed;
}

/** The first free name of the form `base`, `base 2`, `base 3`... @param {ConfigModel} model @param {string} base */
export function freeName(model, base) {
  if (!model.profiles.has(base)) return base;
  for (let i = 2; ; i++) if (!model.profiles.has(`${base} ${i}`)) return `${base} ${i}`;
}

/** @param {ConfigModel} model @param {string} name */
export function createProfile(model, name) {
  const next = cloneModel(model);
  const checked = checkNewName(next, name);
  next.profiles.set(checked, emptyProfile(activeProfile(model).settings.snap));
  next.active = checked;
  return next;
}

/** @param {ConfigModel} model @param {string} name */
export function duplicateProfile(model, name) {
  const next = cloneModel(model);
  const checked = checkNewName(next, name);
  next.profiles.set(checked, /** @type {Profile} */ (cloneModel(model).profiles.get(model.active)));
  next.active = checked;
  return next;
}

/** Rename the active profile, keeping its position. @param {ConfigModel} model @param {string} name */
export function renameProfile(model, name) {
  if (name.trim() === model.active) return cloneModel(model);
  const checked = checkNewName(model, name);
  const copy = cloneModel(model);
  const profiles = new Map([...copy.profiles].map(([key, p]) => [key === model.active ? checked : key, p]));
  return { active: checked, profiles };
}

/** Delete the active profile; deleting the last one leaves an empty Default. @param {ConfigModel} model */
export function deleteProfile(model) {
  const next = cloneModel(model);
  next.profiles.delete(model.active);
  if (next.profiles.size === 0) return emptyModel();
  next.active = [...next.profiles.keys()][0];
  return next;
}

/** @param {ConfigModel} model @param {string} name */
export function switchProfile(model, name) {
  if (!model.profiles.has(name)) throw new Error(`no profile named ${JSON.stringify(name)}`);
  return { ...cloneModel(model), active: name };
}
