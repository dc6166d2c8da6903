// @ts-check
/**
 * Composition history for the combiner editor: a list row and a detail view of a recorded composition,
 * and the editor state that restores it (its LoRAs with strengths, vectors or profile, its policy and
 * headroom). Pure: no DOM. A record holds the combine request (`inputs`) and what came out (`result`).
 */

import { checkHeadroom, newCombinerItem } from "./combiner_model.js";
import { formatNumber } from "./schedule.js";

/**
 * @typedef {{lora_name: string, strength_model?: number, strength_clip?: number, vectors?: Record<string, number>,
 *   profile?: string | null, enabled?: boolean}} InputLora
 */

/** @param {any} entry @returns {{loras: InputLora[], policy: string, headroom: number}} */
function inputsOf(entry) {
  const inputs = entry?.inputs ?? entry?.request ?? entry ?? {};
  return { loras: Array.isArray(inputs.loras) ? inputs.loras : [], policy: String(inputs.policy ?? entry?.policy ?? ""),
    headroom: Number(inputs.headroom ?? entry?.headroom) };
}

/** @param {unknown} v */
const fmt = (v) => (typeof v === "number" && Number.isFinite(v) ? formatNumber(v) : "–");

/**
 * A record's time as local "YYYY-MM-DD HH:MM:SS" (seconds since the epoch or an ISO text).
 * @param {unknown} at
 */
export function formatWhen(at) {
  const date = typeof at === "number" ? new Date(at * 1000) : typeof at === "string" ? new Date(at) : null;
  if (!date || Number.isNaN(date.getTime())) return "unknown time";
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/**
 * @param {any} entry
 * @returns {{id: string | number, when: string, source: string, title: string, subtitle: string}}
 */
export function compositionRow(entry) {
  const { loras, policy, headroom } = inputsOf(entry);
  const names = loras.map((l) => String(l.lora_name));
  const shown = names.slice(0, 3).join(", ") + (names.length > 3 ? ` +${names.length - 3}` : "");
  const verdicts = entry?.result?.verdicts ?? entry?.verdicts ?? [];
  const excluded = verdicts.filter((/** @type {any} */ v) => v?.excluded).length;
  return { id: entry?.id ?? "", when: formatWhen(entry?.created_at ?? entry?.time), source: String(entry?.source ?? "combine"),
    title: shown || "(no LoRA)",
    subtitle: `${names.length} LoRA${names.length === 1 ? "" : "s"} · ${policy} ×${fmt(headroom)}`
      + (excluded ? ` · ${excluded} verdict${excluded === 1 ? "" : "s"} excluding` : "") };
}

/**
 * What the detail view lists: each input LoRA with its requested and resulting strengths.
 * @param {any} entry @returns {{heading: string, lines: string[]}}
 */
export function compositionDetail(entry) {
  const { loras, policy, headroom } = inputsOf(entry);
  const results = new Map((entry?.result?.loras ?? []).map((/** @type {any} */ l) => [String(l.lora_name), l]));
  const lines = loras.map((l) => {
    const out = /** @type {any} */ (results.get(String(l.lora_name)));
    const asked = `${fmt(l.strength_model ?? 1)}/${fmt(l.strength_clip ?? 1)}`;
    const extra = l.profile ? ` profile ${l.profile}` : l.vectors && Object.keys(l.vectors).length ? " with block vector" : "";
    const got = !out ? "" : out.included === false || out.excluded_reason
      ? ` → excluded (${out.excluded_reason ?? "excluded"})` : ` → ${fmt(out.strength_model)}/${fmt(out.strength_clip)}`;
    return `${l.lora_name}: ${asked}${extra}${got}`;
  });
  const schedule = entry?.result?.schedule_string;
  if (typeof schedule === "string" && schedule) lines.push(schedule);
  return { heading: `${formatWhen(entry?.created_at ?? entry?.time)} · ${policy} ×${fmt(headroom)}`, lines };
}

/**
 * The editor state that restores a record; Error naming the problem when the record has no LoRA or an
 * unusable headroom.
 * @param {any} entry @returns {import("./combiner_model.js").CombinerState}
 */
export function stateFromComposition(entry) {
  const { loras, policy, headroom } = inputsOf(entry);
  if (!loras.length) throw new Error("this composition has no LoRA to restore");
  /** @type {import("./combiner_model.js").CombinerItem[]} */
  const items = [];
  for (const l of loras) {
    const item = newCombinerItem(String(l.lora_name), items);
    item.strength_model = Number(l.strength_model ?? 1);
    item.strength_clip = Number(l.strength_clip ?? 1);
    item.enabled = l.enabled !== false;
    item.profile = typeof l.profile === "string" && l.profile ? l.profile : null;
    item.vectors = l.vectors && typeof l.vectors === "object" ? { ...l.vectors } : {};
    items.push(item);
  }
  return { items, policy, headroom: checkHeadroom(headroom) };
}
