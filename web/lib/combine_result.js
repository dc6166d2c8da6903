// @ts-check
/**
 * Reading a `POST /mad-nodes/combine` answer for the editor: the heat map's input (included LoRAs, per
 * block their requested and achieved norms, budget, cosine matrix), the result rows (strengths, Inspire
 * vectors, exclusions) and the verdict lines. Pure: no DOM.
 */

import { formatNumber } from "./schedule.js";

/**
 * @typedef {{code: string, loras: string[], detail: string, excluded: boolean}} Verdict
 * @typedef {{name: string, included: boolean, reason: string, strengthModel: string, strengthClip: string,
 *   inspireVector: string, slotLabels: string, notes: string[]}} ResultRow
 */

/** @param {any} lora */
const isIncluded = (lora) => lora?.included !== false && !lora?.excluded_reason;

/** @param {unknown} v */
const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * The n × n cosine matrix of a block: the answer's matrix over the combined LoRAs (or `{"i-j": cos}`
 * pairs); a LoRA with no change in the block gets null on its row and column, the diagonal is 1 otherwise.
 * @param {any} cosines @param {number[]} requested the combined LoRAs' norms in the block
 * @returns {(number | null)[][]}
 */
export function cosineMatrix(cosines, requested) {
  const n = requested.length;
  const changes = (/** @type {number} */ i) => requested[i] > 0;
  /** @param {number} i @param {number} j @param {unknown} v */
  const value = (i, j, v) => {
    if (!changes(i) || !changes(j)) return null;
    if (i === j) return 1;
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  /** @type {(number | null)[][]} */
  const m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => value(i, j, null)));
  if (Array.isArray(cosines)) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i][j] = value(i, j, cosines[i]?.[j]);
  } else if (cosines && typeof cosines === "object") {
    for (const [key, v] of Object.entries(cosines)) {
      const [i, j] = key.split(/[-,:]/).map(Number);
      if (!(i >= 0 && j >= 0 && i < n && j < n)) continue;
      m[i][j] = value(i, j, v);
      m[j][i] = value(j, i, v);
    }
  }
  return m;
}

/**
 * The heat map's input: the included LoRAs (name and colour) and, per block, their norms.
 * @param {any} response @param {(name: string) => string} colorOf
 * @returns {import("./heat_map.js").HeatInput}
 */
export function heatInput(response, colorOf) {
  const included = (response?.loras ?? []).filter(isIncluded);
  const loras = included.map((/** @type {any} */ l) => ({ name: String(l.lora_name), color: colorOf(String(l.lora_name)) }));
  const blocks = (response?.blocks ?? []).map((/** @type {any} */ b) => {
    const requested = loras.map((_, i) => num(b.requested_norms?.[i]));
    const achieved = loras.map((_, i) => num(b.achieved_norms?.[i]));
    return { id: String(b.block_id), label: String(b.label ?? b.block_id), group: String(b.group ?? ""),
      budget: num(b.budget), requested, achieved, requestedTotal: num(b.requested_norm), achievedTotal: num(b.achieved_norm),
      cosines: cosineMatrix(b.cosines, requested) };
  });
  return { loras, blocks };
}

/** @param {unknown} v */
const fmt = (v) => (typeof v === "number" && Number.isFinite(v) ? formatNumber(v) : "–");

/**
 * One row per LoRA of the answer, in input order.
 * @param {any} response @returns {ResultRow[]}
 */
export function resultRows(response) {
  return (response?.loras ?? []).map((/** @type {any} */ l) => ({
    name: String(l.lora_name), included: isIncluded(l), reason: String(l.excluded_reason ?? ""),
    strengthModel: fmt(l.strength_model), strengthClip: fmt(l.inspire_strength_clip ?? l.strength_clip),
    inspireVector: String(l.inspire_vector ?? ""),
    slotLabels: Array.isArray(l.slot_labels) ? l.slot_labels.join(",") : String(l.slot_labels ?? ""),
    notes: Array.isArray(l.notes) ? l.notes.map(String) : [],
  }));
}

/**
 * The verdicts as lines: an error per exclusion, a warning per kept problem, or one "compatible" line.
 * @param {any} response @returns {{code: string, level: "ok" | "warn" | "error", text: string}[]}
 */
export function verdictLines(response) {
  /** @type {Verdict[]} */
  const verdicts = response?.verdicts ?? [];
  const included = (response?.loras ?? []).filter(isIncluded).length;
  if (!verdicts.length) {
    return [{ code: "compatible", level: "ok", text: `compatible: ${included} LoRA${included === 1 ? "" : "s"} combined` }];
  }
  return verdicts.map((v) => ({ code: String(v.code), level: v.excluded ? "error" : "warn",
    text: `${v.code}${v.excluded ? "" : " (warning)"}: ${v.detail}` }));
}

/**
 * One line for the node: how many LoRAs are combined, excluded, and the first problem.
 * @param {any} response @returns {{text: string, level: "ok" | "warn" | "error"}}
 */
export function verdictSummary(response) {
  const rows = resultRows(response);
  const kept = rows.filter((r) => r.included).length;
  const out = rows.length - kept;
  const lines = verdictLines(response);
  const worst = lines.find((l) => l.level === "error") ?? lines.find((l) => l.level === "warn") ?? lines[0];
  const head = `${kept}/${rows.length} combined`;
  if (worst.level === "ok") return { text: `✓ ${head}`, level: "ok" };
  return { text: `${worst.level === "error" ? "✕" : "⚠"} ${head}${out ? `, ${out} excluded` : ""} · ${worst.text}`, level: worst.level };
}

/**
 * Per LoRA name, how much of it survives at a glance: the ratio of its achieved to requested norm summed
 * over the blocks (1 = untouched), or the reason it was excluded.
 * @param {any} response
 * @returns {Map<string, {included: boolean, kept: number | null, reason: string}>}
 */
export function keptByLora(response) {
  /** @type {Map<string, {included: boolean, kept: number | null, reason: string}>} */
  const out = new Map();
  const loras = response?.loras ?? [];
  const included = loras.filter(isIncluded);
  const sums = included.map(() => ({ requested: 0, achieved: 0 }));
  for (const block of response?.blocks ?? []) {
    included.forEach((_, i) => {
      sums[i].requested += num(block.requested_norms?.[i]);
      sums[i].achieved += num(block.achieved_norms?.[i]);
    });
  }
  included.forEach((l, i) => out.set(String(l.lora_name), { included: true, reason: "",
    kept: sums[i].requested > 0 ? sums[i].achieved / sums[i].requested : null }));
  for (const l of loras) {
    if (!isIncluded(l)) out.set(String(l.lora_name), { included: false, kept: null, reason: String(l.excluded_reason ?? "excluded") });
  }
  return out;
}
