// @ts-check
/**
 * Which recorded compositions (`GET /mad-nodes/compositions`) used a LoRA: a composition's inputs name
 * each LoRA as the combiner does (full ComfyUI name, or its stem as schedule strings write it), so a
 * record matches by the full name or by the stem. Pure.
 */

import { loraStem } from "./schedule.js";

/**
 * @param {any[]} records newest first @param {string} loraName ComfyUI's name of the LoRA
 * @returns {any[]} the records using it, in the same order
 */
export function compositionsUsing(records, loraName) {
  const full = loraName.replaceAll("\\", "/");
  const stem = loraStem(loraName);
  return records.filter((record) => (record?.inputs?.loras ?? []).some((/** @type {any} */ lora) => {
    const name = String(lora?.lora_name ?? lora?.name ?? "").replaceAll("\\", "/");
    return name === full || name === stem || (!name.includes("/") && loraStem(name) === stem);
  }));
}

/** One line for a record: "#12 · 2026-11-30 06:40 · node · 3 LoRAs · budget". @param {any} record */
export function compositionLine(record) {
  const when = typeof record.created_at === "number" ? new Date(record.created_at * 1000).toISOString().slice(0, 16).replace("T", " ") : "";
  const count = record.inputs?.loras?.length ?? 0;
  return [`#${record.id}`, when, record.source, `${count} LoRA${count === 1 ? "" : "s"}`, record.policy].filter(Boolean).join(" · ");
}
