// @ts-check
/**
 * Block-weight vectors for the editor: the blocks of a LoRA in the architecture's order and groups
 * (from `/mad-nodes/config` and the LoRA's inspect stats), preset expansion, slider edits and the
 * `vectors=` text the schedule string will carry. Pure: no DOM, no fetch.
 */

import { formatNumber } from "./schedule.js";

/**
 * @typedef {{id: string, label: string, group: string, tag: string}} Block
 * @typedef {{id: string, name: string, blocks: Block[]}} BlockGroup
 * @typedef {{ARCH_BLOCK_MAPPINGS?: Record<string, {blocks?: Block[]}>, BLOCK_GROUPS?: {id: string, name: string}[],
 *   PRESET_STRATEGIES?: Record<string, {label: string, weights: Record<string, number>}>,
 *   PRESET_COMPATIBLE_ARCHS?: string[]}} UiConfig
 * @typedef {{energy_distribution?: Record<string, number>,
 *   block_metadata?: Record<string, {label?: string, group?: string, tag?: string}>}} Stats
 */

/** Values within this of 1 are "unchanged" and not written (seed 004's rule). */
export const NEUTRAL_EPS = 0.001;

/**
 * The LoRA's blocks in display order: those its stats measured when there are stats, otherwise every
 * block of the architecture's layout; blocks named only in `vectors` are appended so none is lost.
 * @param {UiConfig} config @param {string} arch @param {Stats | null | undefined} stats
 * @param {Record<string, number>} [vectors]
 * @returns {Block[]}
 */
export function blocksFor(config, arch, stats, vectors = {}) {
  const layout = config.ARCH_BLOCK_MAPPINGS?.[arch]?.blocks ?? [];
  const byId = new Map(layout.map((b) => [b.id, b]));
  /** @type {Block[]} */
  let blocks;
  const measured = stats?.energy_distribution ? Object.keys(stats.energy_distribution) : null;
  if (measured && measured.length) {
    blocks = measured.map((id) => {
      const meta = stats?.block_metadata?.[id] ?? byId.get(id) ?? {};
      return { id, label: meta.label ?? id, group: meta.group ?? "OTHER", tag: meta.tag ?? meta.group ?? "OTHER" };
    });
  } else {
    blocks = layout.map((b) => ({ id: b.id, label: b.label ?? b.id, group: b.group ?? "OTHER", tag: b.tag ?? "OTHER" }));
  }
  const seen = new Set(blocks.map((b) => b.id));
  for (const id of Object.keys(vectors)) {
    if (!seen.has(id)) blocks.push({ id, label: id, group: "OTHER", tag: "OTHER" });
  }
  return blocks;
}

/**
 * Blocks grouped as `BLOCK_GROUPS` orders them (unknown groups last, in first-seen order).
 * @param {UiConfig} config @param {Block[]} blocks
 * @returns {BlockGroup[]}
 */
export function groupBlocks(config, blocks) {
  const known = config.BLOCK_GROUPS ?? [];
  /** @type {Map<string, BlockGroup>} */
  const groups = new Map(known.map((g) => [g.id, { id: g.id, name: g.name ?? g.id, blocks: [] }]));
  for (const block of blocks) {
    if (!groups.has(block.group)) groups.set(block.group, { id: block.group, name: block.group, blocks: [] });
    /** @type {BlockGroup} */ (groups.get(block.group)).blocks.push(block);
  }
  return [...groups.values()].filter((g) => g.blocks.length);
}

/** @param {number} v */
const clean = (v) => Number(formatNumber(v)) + 0;

/**
 * {block: value} of a preset over `blocks`, only values differing from 1 (as the backend expands it).
 * @param {UiConfig} config @param {Block[]} blocks @param {string} preset
 */
export function presetVector(config, blocks, preset) {
  const strategy = config.PRESET_STRATEGIES?.[preset];
  if (!strategy) throw new RangeError(`unknown preset ${JSON.stringify(preset)}`);
  /** @type {Record<string, number>} */
  const out = {};
  for (const block of blocks) {
    const value = strategy.weights[block.tag] ?? 1;
    if (Math.abs(value - 1) > NEUTRAL_EPS) out[block.id] = clean(value);
  }
  return out;
}

/**
 * The value each block will get: preset first, explicit vectors on top (explicit wins), 1 otherwise.
 * @param {UiConfig} config @param {Block[]} blocks @param {{preset: string | null, vectors: Record<string, number>}} item
 * @returns {Record<string, number>}
 */
export function effectiveVector(config, blocks, item) {
  const base = item.preset && config.PRESET_STRATEGIES?.[item.preset] ? presetVector(config, blocks, item.preset) : {};
  const merged = { ...base, ...item.vectors };
  return Object.fromEntries(blocks.map((b) => [b.id, merged[b.id] ?? 1]));
}

/**
 * Only the values that differ from 1, cleaned to 4 decimals.
 * @param {Record<string, number>} full
 */
export function sparseVector(full) {
  return Object.fromEntries(Object.entries(full).filter(([, v]) => Math.abs(v - 1) > NEUTRAL_EPS)
    .map(([k, v]) => [k, clean(v)]));
}

/**
 * One slider moved: the item leaves its preset and carries every non-neutral value explicitly, so the
 * schedule string (which writes either preset= or vectors=) says exactly what runs.
 * @param {UiConfig} config @param {Block[]} blocks
 * @param {{preset: string | null, vectors: Record<string, number>}} item @param {string} block @param {number} value
 */
export function setBlockValue(config, blocks, item, block, value) {
  const full = effectiveVector(config, blocks, item);
  full[block] = value;
  return { preset: null, vectors: sparseVector(full) };
}

/** The `vectors=` payload as the schedule string writes it (sorted, 4-decimal numbers). @param {Record<string, number>} v */
export function formatVectors(v) {
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => `${k}=${formatNumber(v[k])}`).join(";");
}

/**
 * Each block's share of the LoRA's change relative to the largest block, in [0, 1] (bar lengths).
 * @param {Stats | null | undefined} stats @param {Block[]} blocks
 */
export function energyBars(stats, blocks) {
  const dist = stats?.energy_distribution ?? {};
  const max = Math.max(0, ...blocks.map((b) => dist[b.id] ?? 0));
  return Object.fromEntries(blocks.map((b) => [b.id, max > 0 ? (dist[b.id] ?? 0) / max : 0]));
}

/** Whether the preset bar applies to this architecture. @param {UiConfig} config @param {string} arch */
export const presetsSupported = (config, arch) => (config.PRESET_COMPATIBLE_ARCHS ?? []).includes(arch);
