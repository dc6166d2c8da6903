// @ts-check
/**
 * Schedule items, `schedule_config` / schedule-string parsing and serialization.
 * Twin of `modules/schedule_model.py`, `schedule_parse.py` and `schedule_serialize.py`: the same
 * grammar, the same errors (messages and line numbers) and byte-identical serialized strings; the
 * shared vectors in `tests/vectors/schedule_strings.json` hold both to that.
 */

import { padPoints } from "./curves.js";

/**
 * @typedef {{x: number, y: number}} Point
 * @typedef {{lora_name: string, enabled: boolean, strength_model: number, strength_clip: number,
 *   points: Point[], arch: string, preset: string | null, vectors: Record<string, number>}} LoraItem
 */

export const UNKNOWN_ARCH = "UNKNOWN";
export const CUSTOM_PRESET = "CUSTOM";
export const MAX_ABS_VALUE = 1e6;
export const MAX_POINTS = 10000;
/** Preset names are built-in presets or saved profiles' names (at most 100 characters). */
export const MAX_PRESET_CHARS = 100;
/** The built-in presets (modules/blocks/presets.py); any other preset name is a profile used as a template,
 * written with its resolved vector so the string runs where the profile does not exist. */
export const BUILTIN_PRESETS = ["LINEAR", "STYLE_FOCUSED", "BALANCED", "HEAVY_STYLE", "REALISM"];
const LEGACY_FIELDS = 9;
const IDENT_RE = /^[A-Za-z0-9_.-]+$/;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;
const MODEL_EXTENSIONS = [".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"];

/** @returns {Point[]} */
export const defaultPoints = () => [{ x: 0, y: 1 }, { x: 1, y: 1 }];

export class ScheduleError extends Error {
  /**
   * @param {string} message
   * @param {number | null} [line] 1-based line of a schedule string
   */
  constructor(message, line = null) {
    super(line !== null ? `line ${line}: ${message}` : message);
    this.name = "ScheduleError";
    this.line = line;
    this.detail = message;
  }
}

/** Python's repr of a str, for identical error messages (the texts here never hold quotes or escapes).
 * @param {string} s */
const repr = (s) => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s}'`);

/**
 * The seed's 4-decimal trimmed number: nearest on the exact binary value, ties to even, `-0` -> `0`.
 * @param {number} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) {
    throw new ScheduleError(`cannot write the number ${value}`);
  }
  const mag = Math.abs(value);
  let text = mag.toFixed(4); // exact rounding, ties away from zero
  if (/\.\d{4}50*$/.test(mag.toFixed(30))) {
    const lower = Math.floor(mag * 10000); // exact: a tie is k + 0.5 over 10^4, representable
    const even = lower % 2 === 0 ? lower : lower + 1;
    text = (even / 10000).toFixed(4);
  }
  text = text.replace(/0+$/, "").replace(/\.$/, "");
  if (value < 0 && text !== "0") text = `-${text}`;
  return text;
}

/**
 * @param {number} value
 * @param {string} what
 * @param {number | null} line
 */
function checkValue(value, what, line) {
  if (!Number.isFinite(value)) throw new ScheduleError(`${what}: ${value} is not a finite number`, line);
  if (Math.abs(value) > MAX_ABS_VALUE) {
    throw new ScheduleError(`${what}: out of range (|value| <= 1e+06)`, line);
  }
  return value + 0; // -0 -> 0
}

/**
 * A finite decimal number within ±MAX_ABS_VALUE, same grammar as the Python parser.
 * @param {string} text
 * @param {string} what
 * @param {number | null} [line]
 */
export function parseNumber(text, what, line = null) {
  const token = text.trim();
  if (NON_FINITE_RE.test(token)) throw new ScheduleError(`${what}: ${repr(token)} is not a finite number`, line);
  if (!NUMBER_RE.test(token)) throw new ScheduleError(`${what}: ${repr(token)} is not a number`, line);
  return checkValue(Number(token), what, line);
}

/** @param {number} value @param {string} what @param {number | null} line */
function checkX(value, what, line) {
  if (!(value >= 0 && value <= 1)) {
    throw new ScheduleError(`${what}: x=${formatNumber(value)} is outside [0, 1]`, line);
  }
  return value;
}

/** @param {string} value @param {string} what @param {number | null} line */
function checkPreset(value, what, line) {
  const length = [...value].length; // code points, as Python's len
  if (length > MAX_PRESET_CHARS) {
    throw new ScheduleError(`${what}: ${length} characters, at most ${MAX_PRESET_CHARS}`, line);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw new ScheduleError(`${what}: contains control characters`, line);
  }
  return value;
}

/** @param {string} value @param {string} what @param {number | null} line */
function checkIdent(value, what, line) {
  if (!IDENT_RE.test(value)) {
    throw new ScheduleError(`${what}: ${repr(value)} must be letters, digits, '_', '.' or '-'`, line);
  }
  return value;
}

/** @param {Point[]} points @param {string} what @param {number | null} line */
function sortPoints(points, what, line) {
  if (points.length > MAX_POINTS) {
    throw new ScheduleError(`${what}: ${points.length} points, at most ${MAX_POINTS} allowed`, line);
  }
  return [...points].sort((a, b) => a.x - b.x);
}

/** Python's type name of a JSON value, for identical messages. @param {unknown} v */
function typeName(v) {
  if (v === null) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  return "dict";
}

/** @param {unknown} raw @param {string} what @param {number | null} line */
function configNumber(raw, what, line) {
  if (typeof raw === "string") return parseNumber(raw, what, line);
  if (typeof raw !== "number") throw new ScheduleError(`${what}: expected a number, got ${typeName(raw)}`, line);
  return checkValue(raw, what, line);
}

/** @param {unknown} raw @param {string} what @param {number | null} line @returns {Point[]} */
function configPoints(raw, what, line) {
  if (raw === null || raw === undefined) return defaultPoints();
  if (!Array.isArray(raw)) throw new ScheduleError(`${what}: points must be a list, got ${typeName(raw)}`, line);
  const points = raw.map((p, i) => {
    const where = `${what}: point ${i + 1}`;
    let x;
    let y;
    if (p !== null && typeof p === "object" && !Array.isArray(p)) {
      if (!("x" in p) || !("y" in p)) throw new ScheduleError(`${where}: needs both x and y`, line);
      ({ x, y } = /** @type {{x: unknown, y: unknown}} */ (p));
    } else if (Array.isArray(p) && p.length === 2) {
      [x, y] = p;
    } else {
      throw new ScheduleError(`${where}: expected {"x": .., "y": ..}`, line);
    }
    return { x: checkX(configNumber(x, where, line), where, line), y: configNumber(y, where, line) };
  });
  return points.length ? sortPoints(points, what, line) : defaultPoints();
}

/**
 * Validate one JSON item (seed shape); `what` names it in errors.
 * @param {unknown} raw
 * @param {string} what
 * @param {number | null} [line]
 * @returns {LoraItem}
 */
export function itemFromConfig(raw, what, line = null) {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ScheduleError(`${what}: expected an object, got ${typeName(raw)}`, line);
  }
  const obj = /** @type {Record<string, unknown>} */ (raw);
  const name = obj.lora_name;
  if (typeof name !== "string" || !name.trim()) {
    throw new ScheduleError(`${what}: lora_name must be a non-empty string`, line);
  }
  what = `${what} (${name})`;
  /** Python's `obj.get(key, fallback)`: a present null stays null. @param {string} key @param {unknown} fallback */
  const get = (key, fallback) => (Object.hasOwn(obj, key) ? obj[key] : fallback);
  const enabled = get("enabled", true);
  if (typeof enabled !== "boolean") throw new ScheduleError(`${what}: enabled must be true or false`, line);
  const arch = obj.arch ?? UNKNOWN_ARCH;
  if (typeof arch !== "string") throw new ScheduleError(`${what}: arch must be a string`, line);
  const presetRaw = obj.preset ?? null;
  if (presetRaw !== null && typeof presetRaw !== "string") {
    throw new ScheduleError(`${what}: preset must be a string`, line);
  }
  const preset = presetRaw ? /** @type {string} */ (presetRaw).trim() : null;
  if (preset) checkPreset(preset, `${what}: preset`, line);
  const vectorsRaw = obj.vectors ?? {};
  if (typeof vectorsRaw !== "object" || Array.isArray(vectorsRaw)) {
    throw new ScheduleError(`${what}: vectors must be an object of block: value`, line);
  }
  /** @type {Record<string, number>} */
  const vectors = {};
  for (const [block, value] of Object.entries(vectorsRaw)) {
    checkIdent(block, `${what}: vectors block`, line);
    vectors[block] = configNumber(value, `${what}: vectors ${block}`, line);
  }
  return {
    lora_name: /** @type {string} */ (name).trim(),
    enabled,
    strength_model: configNumber(get("strength_model", 1), `${what}: strength_model`, line),
    strength_clip: configNumber(get("strength_clip", 1), `${what}: strength_clip`, line),
    points: configPoints(obj.points, what, line),
    arch: arch || UNKNOWN_ARCH,
    preset: preset || null,
    vectors,
  };
}

/** @param {string} text @param {string} where */
function parseJson(text, where) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ScheduleError(`${where}: malformed JSON: ${/** @type {Error} */ (err).message}`);
  }
}

/** @param {unknown[]} raw @param {string} where */
const itemsFromList = (raw, where) => raw.map((entry, i) => itemFromConfig(entry, `${where} item ${i + 1}`));

/**
 * The items of `schedule_config` (legacy list, or the active profile of a profiles object).
 * @param {string | null | undefined} text
 * @returns {LoraItem[]}
 */
export function parseScheduleConfig(text) {
  if (text === null || text === undefined || !text.trim()) return [];
  const data = parseJson(text, "schedule_config");
  if (Array.isArray(data)) return itemsFromList(data, "schedule_config");
  if (data === null || typeof data !== "object") {
    throw new ScheduleError(`schedule_config: expected a list or a profiles object, got ${typeName(data)}`);
  }
  const active = data.active_profile ?? "Default";
  const profiles = data.profiles ?? {};
  if (typeof profiles !== "object" || Array.isArray(profiles)) {
    throw new ScheduleError("schedule_config: profiles must be an object of name: profile");
  }
  const names = Object.keys(profiles);
  if (names.length === 0) return [];
  if (typeof active !== "string" || !Object.hasOwn(profiles, active)) {
    const shown = typeof active === "string" ? repr(active) : String(active);
    throw new ScheduleError(`schedule_config: active_profile ${shown} is not one of the profiles `
      + `(${names.map(repr).join(", ")})`);
  }
  const profile = profiles[active];
  const loras = profile !== null && typeof profile === "object" && !Array.isArray(profile)
    ? (profile.loras ?? []) : profile;
  if (!Array.isArray(loras)) throw new ScheduleError(`schedule_config: profile ${repr(active)} has no list of loras`);
  return itemsFromList(loras, `schedule_config profile ${repr(active)}`);
}

/**
 * The items of an external schedule string (JSON list, modern lines, legacy positional lines).
 * @param {string | null | undefined} text
 * @returns {LoraItem[]}
 */
export function parseScheduleString(text) {
  if (text === null || text === undefined || !text.trim()) return [];
  /** @type {ScheduleError | null} */
  let jsonError = null;
  if (text.trim().startsWith("[")) {
    let data;
    try {
      data = parseJson(text, "schedule string");
    } catch (err) {
      jsonError = /** @type {ScheduleError} */ (err);
    }
    if (jsonError === null) {
      if (!Array.isArray(data)) throw new ScheduleError("schedule string: a JSON schedule must be a list of items");
      return itemsFromList(data, "schedule string");
    }
  }
  const items = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (isScheduleLine(line)) items.push(parseLoraLine(line, i + 1));
    else items.push(...inlineItems(line, i + 1));
  }
  if (jsonError !== null && items.length === 0) throw jsonError;
  return items;
}

// Inline A1111-style tags (modules/schedule/prompt_tags.py): a line that is exactly one `<lora:...>` tag is
// a schedule line; in any other line each `<lora:NAME[:WEIGHT[:CLIP]]>` is an inline tag (CLIP = WEIGHT
// when omitted), and `promptWithoutTags` gives the text without them.
const TAG_RE = /<lora:([^<>]*)>/g;

/** Whether a trimmed line is one whole `<lora:...>` schedule line. @param {string} line */
export function isScheduleLine(line) {
  return line.startsWith("<lora:") && line.endsWith(">") && line.indexOf(">") === line.length - 1;
}

/**
 * The inline tags of one prompt line, in order.
 * @param {string} line @param {number} number its 1-based line number
 * @returns {LoraItem[]}
 */
export function inlineItems(line, number) {
  const items = [];
  for (const match of line.matchAll(TAG_RE)) {
    const parts = match[1].split(":");
    if (parts.length > 3) {
      throw new ScheduleError(`inline tag ${repr(match[0])}: inside text a tag is <lora:NAME:WEIGHT[:CLIP]>; `
        + "put a schedule line with a curve, preset or vectors on its own line", number);
    }
    const name = unescapeName(parts[0].trim());
    if (!name) throw new ScheduleError(`inline tag ${repr(match[0])}: empty LoRA name`, number);
    const weight = parts.length > 1 && parts[1].trim() ? parseNumber(parts[1], `${name}: weight`, number) : 1;
    const clip = parts.length > 2 && parts[2].trim() ? parseNumber(parts[2], `${name}: CLIP weight`, number) : weight;
    items.push({ lora_name: name, enabled: true, strength_model: weight, strength_clip: clip, points: defaultPoints(),
      arch: UNKNOWN_ARCH, preset: null, vectors: {} });
  }
  return items;
}

/** @param {string} line */
function tidy(line) {
  const out = line.replace(/[ \t]+/g, " ").replace(/ +,/g, ",").replace(/,(?: *,)+/g, ",");
  return out.replace(/^[ ,]+|[ ,]+$/g, "");
}

/**
 * The text without its LoRA tags and schedule lines (what the loader's `prompt` output carries).
 * @param {string | null | undefined} text
 */
export function promptWithoutTags(text) {
  if (text === null || text === undefined || !text.trim()) return "";
  if (text.trim().startsWith("[")) {
    try {
      if (Array.isArray(JSON.parse(text))) return "";
    } catch {
      // not JSON: prompt text that starts with "["
    }
  }
  const out = [];
  for (const raw of text.split("\n")) {
    if (isScheduleLine(raw.trim())) continue;
    if (!raw.match(TAG_RE)) {
      out.push(raw);
      continue;
    }
    const cleaned = tidy(raw.replace(TAG_RE, ""));
    if (cleaned) out.push(cleaned);
  }
  return out.join("\n");
}

/** @param {string[]} parts @param {number} index @param {string} what @param {number} line */
function strength(parts, index, what, line) {
  if (parts.length <= index || !parts[index].trim()) return 1;
  return parseNumber(parts[index], what, line);
}

/**
 * One trimmed `<lora:...>` line; `number` is its 1-based line number.
 * @param {string} line
 * @param {number} number
 * @returns {LoraItem}
 */
export function parseLoraLine(line, number) {
  const parts = line.slice("<lora:".length, -1).split(":");
  const name = unescapeName(parts[0].trim());
  if (!name) throw new ScheduleError("empty LoRA name", number);
  /** @type {LoraItem} */
  const item = {
    lora_name: name,
    enabled: true,
    strength_model: strength(parts, 1, `${name}: MODEL strength`, number),
    strength_clip: strength(parts, 2, `${name}: CLIP strength`, number),
    points: defaultPoints(),
    arch: UNKNOWN_ARCH,
    preset: null,
    vectors: {},
  };
  const p3 = parts.length > 3 ? parts[3].trim() : "";
  if (parts.length >= LEGACY_FIELDS && (NUMBER_RE.test(p3) || NON_FINITE_RE.test(p3))) {
    item.points = legacyPoints(parts, name, number);
  } else {
    modernFields(parts.slice(3), item, number);
  }
  return item;
}

/** `float(f"{v:.4f}")` of the seed. @param {number} value */
const round4 = (value) => Number(formatNumber(value)) + 0;

/** @param {string[]} parts @param {string} name @param {number} line */
function legacyPoints(parts, name, line) {
  if (parts.length !== LEGACY_FIELDS) {
    throw new ScheduleError(`${name}: the legacy positional form has ${LEGACY_FIELDS} fields `
      + `(NAME:MODEL:CLIP:S_START:S_END:IDX:P_START:P_END:COUNT), got ${parts.length}`, line);
  }
  const sStart = parseNumber(parts[3], `${name}: S_START`, line);
  const sEnd = parseNumber(parts[4], `${name}: S_END`, line);
  const pStart = checkX(parseNumber(parts[6], `${name}: P_START`, line), `${name}: P_START`, line);
  const pEnd = checkX(parseNumber(parts[7], `${name}: P_END`, line), `${name}: P_END`, line);
  const countText = parts[8].trim();
  if (!/^[0-9]+$/.test(countText) || !(Number(countText) >= 1 && Number(countText) <= 10000)) {
    throw new ScheduleError(`${name}: COUNT ${repr(countText)} must be a whole number from 1 to 10000`, line);
  }
  const count = Number(countText);
  const points = [];
  for (let i = 0; i < count; i++) {
    const t = count > 1 ? i / (count - 1) : 0;
    points.push({ x: round4(pStart + (pEnd - pStart) * t), y: round4(sStart + (sEnd - sStart) * t) });
  }
  return sortPoints(points, name, line);
}

/** @param {string[]} fields @param {LoraItem} item @param {number} line */
function modernFields(fields, item, line) {
  const name = item.lora_name;
  /** @type {Point[]} */
  const points = [];
  let i = 0;
  while (i < fields.length) {
    const field = fields[i].trim();
    i += 1;
    if (!field) continue;
    if (field.startsWith("preset=")) {
      const preset = unescapeName(field.slice("preset=".length).trim());
      if (!preset) throw new ScheduleError(`${name}: preset= needs a preset name`, line);
      if (item.preset !== null) {
        throw new ScheduleError(`${name}: preset given twice (${item.preset}, ${preset})`, line);
      }
      item.preset = checkPreset(preset, `${name}: preset`, line);
    } else if (field.startsWith("vectors=")) {
      i = readVectors(fields, i, field.slice("vectors=".length), item, line);
    } else if (field.includes(",")) {
      points.push(...readPoints(field, name, line));
    } else {
      throw new ScheduleError(`${name}: field ${repr(field)} is not preset=NAME, vectors=block=value;... `
        + "or x,y;x,y points", line);
    }
  }
  item.points = points.length ? sortPoints(points, name, line) : defaultPoints();
}

/**
 * `vectors=` entries; a `block:value` entry spans two `:` fields. Returns the next unread field index.
 * @param {string[]} fields @param {number} i @param {string} body @param {LoraItem} item @param {number} line
 */
function readVectors(fields, i, body, item, line) {
  const name = item.lora_name;
  /** @type {string | null} */
  let pending = null;
  for (;;) {
    const entries = body.split(";");
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k].trim();
      if (pending !== null) {
        setVector(item, pending, entry, line);
        pending = null;
        continue;
      }
      if (!entry) continue;
      const eq = entry.indexOf("=");
      if (eq >= 0) setVector(item, entry.slice(0, eq).trim(), entry.slice(eq + 1), line);
      else if (k === entries.length - 1 && i < fields.length) pending = entry;
      else throw new ScheduleError(`${name}: vectors=${entry}: expected block=value or block:value`, line);
    }
    if (pending === null) return i;
    body = fields[i];
    i += 1;
  }
}

/** @param {LoraItem} item @param {string} block @param {string} value @param {number} line */
function setVector(item, block, value, line) {
  const name = item.lora_name;
  if (!block) throw new ScheduleError(`${name}: vectors: an entry has no block name`, line);
  checkIdent(block, `${name}: vectors block`, line);
  if (Object.hasOwn(item.vectors, block)) {
    throw new ScheduleError(`${name}: vectors: block ${block} given twice`, line);
  }
  item.vectors[block] = parseNumber(value, `${name}: vectors ${block}`, line);
}

/** @param {string} field @param {string} name @param {number} line @returns {Point[]} */
function readPoints(field, name, line) {
  const points = [];
  for (const raw of field.split(";")) {
    const pair = raw.trim();
    if (!pair) continue;
    const coords = pair.split(",");
    if (coords.length !== 2) throw new ScheduleError(`${name}: point ${repr(pair)} is not x,y`, line);
    const what = `${name}: point ${pair}`;
    const x = checkX(parseNumber(coords[0], what, line), what, line);
    points.push({ x, y: parseNumber(coords[1], what, line) });
  }
  return points;
}

/** Characters a NAME field cannot hold as they are (mirrors schedule_model.NAME_ESCAPES). */
const NAME_ESCAPES = { "%": "%25", ":": "%3A", ">": "%3E", "\n": "%0A", "\r": "%0D" };

/**
 * A stem as written in a schedule string (%XX for the five characters above).
 * @param {string} stem
 */
export function escapeName(stem) {
  return Array.from(stem, (c) => NAME_ESCAPES[c] ?? c).join("");
}

/**
 * The inverse of `escapeName`: only those five codes are decoded.
 * @param {string} field
 */
export function unescapeName(field) {
  return field.replace(/%(25|3A|3E|0A|0D)/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * `Path(lora_name).stem` for names from either OS, stripping only model extensions.
 * @param {string} loraName
 */
export function loraStem(loraName) {
  const base = loraName.replaceAll("\\", "/").split("/").pop() ?? "";
  const dot = base.lastIndexOf(".");
  if (dot > 0 && MODEL_EXTENSIONS.includes(base.slice(dot).toLowerCase())) return base.slice(0, dot);
  return base;
}

/**
 * One `<lora:...>` line (seed 004 format).
 * @param {LoraItem} item
 */
export function serializeItem(item) {
  const stem = loraStem(item.lora_name);
  if (!stem.trim()) {
    throw new ScheduleError(`${repr(item.lora_name)}: this name cannot be written in a schedule string`);
  }
  const fields = [escapeName(stem), formatNumber(item.strength_model), formatNumber(item.strength_clip)];
  if (item.points && item.points.length) {
    fields.push(padPoints(item.points).map((p) => `${formatNumber(p.x)},${formatNumber(p.y)}`).join(";"));
  }
  const vectors = item.vectors ?? {};
  if (item.preset && item.preset !== CUSTOM_PRESET) {
    fields.push(`preset=${escapeName(item.preset)}`);
  }
  if (Object.keys(vectors).length && !(item.preset && BUILTIN_PRESETS.includes(item.preset))) {
    const keys = Object.keys(vectors).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    fields.push(`vectors=${keys.map((k) => `${k}=${formatNumber(vectors[k])}`).join(";")}`);
  }
  return `<lora:${fields.join(":")}>`;
}

/**
 * The enabled items, one line each.
 * @param {LoraItem[]} items
 */
export function serializeSchedule(items) {
  return items.filter((item) => item.enabled !== false).map(serializeItem).join("\n");
}
