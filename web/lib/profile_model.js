// @ts-check
/**
 * Block-weight profiles in the browser (no DOM, no fetch). A profile (`/mad-nodes/profiles`) is
 * `{id, name, layout, weights, blocks}`: `weights[i]` weights main-stack block `blocks[i]` of a block
 * layout. Here: the main-stack blocks of an architecture's layout variants (from `/mad-nodes/config`),
 * a profile's weights from an editor vector, the editor vector of a profile (applied to a LoRA, with a
 * clear refusal when the layouts differ), and the checks of a draft the user typed, so the editor can
 * say what is wrong before the server does (the server still validates everything).
 */

import { NEUTRAL_EPS } from "./vectors.js";

export const MAX_NAME = 100;

/**
 * @typedef {{length: number, blocks: string[]}} Variant
 * @typedef {{id: number, name: string, layout: string, weights: number[], blocks?: string[], notes?: string}} Profile
 */

/**
 * The main-stack block ids of one variant, in run order (a `middle` section is the single `middle_0`),
 * as the backend's `block_layouts.main_blocks` lists them.
 * @param {string[]} sections @param {Record<string, number>} counts
 */
export function mainBlocks(sections, counts) {
  const out = [];
  for (const section of sections) {
    const n = section === "middle" ? 1 : Number(counts[section] ?? 0);
    for (let i = 0; i < n; i++) out.push(`${section}_${i}`);
  }
  return out;
}

/**
 * The layout of an architecture and its variants, smallest first; null when the architecture has no
 * block layout (profiles cannot apply to it).
 * @param {any} config `/mad-nodes/config` @param {string} arch
 * @returns {{layout: string, variants: Variant[]} | null}
 */
export function layoutOf(config, arch) {
  const mapping = config?.ARCH_BLOCK_MAPPINGS?.[arch];
  if (!mapping?.layout || !Array.isArray(mapping.sections) || !Array.isArray(mapping.variants)) return null;
  const variants = mapping.variants.map((/** @type {Record<string, number>} */ counts) => {
    const blocks = mainBlocks(mapping.sections, counts);
    return { length: blocks.length, blocks };
  }).sort((/** @type {Variant} */ a, /** @type {Variant} */ b) => a.length - b.length);
  return { layout: String(mapping.layout), variants };
}

/**
 * The variant a LoRA uses: the smallest whose blocks include every main-stack block the LoRA has
 * (`present`, e.g. its measured blocks); the largest when nothing is known.
 * @param {Variant[]} variants @param {string[]} present
 * @returns {Variant | null}
 */
export function variantFor(variants, present) {
  if (!variants.length) return null;
  const all = new Set(variants[variants.length - 1].blocks);
  const main = present.filter((b) => all.has(b));
  if (!main.length) return variants[variants.length - 1];
  return variants.find((v) => main.every((b) => v.blocks.includes(b))) ?? null;
}

/**
 * A profile's weights from an editor vector (every block of the variant; absent blocks weigh 1).
 * @param {Record<string, number>} vector @param {string[]} blocks
 */
export function weightsFromVector(vector, blocks) {
  return blocks.map((b) => (Number.isFinite(vector[b]) ? vector[b] : 1));
}

/**
 * Why `profile` cannot be applied to a LoRA of `arch` (null when it can). `present`: the LoRA's known
 * blocks (may be empty: then only the layout is checked).
 * @param {Profile} profile @param {any} config @param {string} arch @param {string[]} [present]
 * @returns {string | null}
 */
export function profileProblem(profile, config, arch, present = []) {
  const info = layoutOf(config, arch);
  if (!info) return `profile ${JSON.stringify(profile.name)}: this LoRA's architecture (${arch}) has no block layout`;
  if (info.layout !== profile.layout) {
    return `profile ${JSON.stringify(profile.name)} is for layout ${profile.layout}; this LoRA (${arch}) uses ${info.layout}`;
  }
  const variant = variantFor(info.variants, present);
  if (variant && present.length && variant.length !== profile.weights.length) {
    return `profile ${JSON.stringify(profile.name)} has ${profile.weights.length} weights; this LoRA's ${info.layout} ` +
      `variant has ${variant.length} blocks`;
  }
  if (!info.variants.some((v) => v.length === profile.weights.length)) {
    return `profile ${JSON.stringify(profile.name)} has ${profile.weights.length} weights; ${info.layout} needs ` +
      info.variants.map((v) => v.length).join(" or ");
  }
  return null;
}

/**
 * A profile used as the LoRA's preset template: `preset` is the profile's name and `vectors` its value
 * for every block, so the schedule string says which profile it was and still runs, with the same
 * numbers, where the profile does not exist (`preset=NAME:vectors=...`). Throws with
 * `profileProblem`'s words when the profile does not fit the LoRA.
 * @param {Profile} profile @param {any} config @param {string} arch @param {string[]} [present]
 * @returns {{preset: string, vectors: Record<string, number>}}
 */
export function applyProfile(profile, config, arch, present = []) {
  const problem = profileProblem(profile, config, arch, present);
  if (problem) throw new RangeError(problem);
  const info = /** @type {{variants: Variant[]}} */ (layoutOf(config, arch));
  const blocks = profile.blocks?.length === profile.weights.length ? profile.blocks
    : /** @type {Variant} */ (info.variants.find((v) => v.length === profile.weights.length)).blocks;
  /** @type {Record<string, number>} */
  const full = {};
  blocks.forEach((b, i) => { full[b] = profile.weights[i]; });
  return { preset: profile.name, vectors: full };
}

/**
 * Whether an item's effective vector is exactly the profile's (the preset button shows as on).
 * @param {Profile} profile @param {Record<string, number>} effective block -> value for the LoRA's blocks
 */
export function profileMatches(profile, effective) {
  const blocks = profile.blocks ?? [];
  if (!blocks.length || blocks.length !== profile.weights.length) return false;
  return blocks.every((b, i) => Math.abs((effective[b] ?? 1) - profile.weights[i]) <= NEUTRAL_EPS);
}

/**
 * Weights typed as text ("1, 0.5 0;2"), and the problem of each token that is not a finite number.
 * @param {string} text
 * @returns {{weights: number[], problems: string[]}}
 */
export function parseWeights(text) {
  const tokens = text.split(/[\s,;]+/).filter(Boolean);
  const weights = [];
  const problems = [];
  for (const [i, token] of tokens.entries()) {
    const value = Number(token);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(token) || !Number.isFinite(value)) {
      problems.push(`weights[${i}]: ${JSON.stringify(token)} is not a finite number`);
    }
    weights.push(value);
  }
  return { weights, problems };
}

/**
 * Every problem of a draft profile: name (text, trimmed, not empty, length), layout known, weight count
 * one of the layout's lengths, each value finite.
 * @param {{name: unknown, layout: unknown, weights: unknown}} draft
 * @param {Record<string, {lengths: number[]}>} layouts `/mad-nodes/profiles/layouts`
 * @returns {string[]}
 */
export function draftProblems(draft, layouts) {
  const problems = [];
  const name = draft.name;
  if (typeof name !== "string" || !name.trim()) problems.push("name: must not be empty");
  else {
    if (name !== name.trim()) problems.push("name: remove the spaces at its start or end");
    if (name.length > MAX_NAME) problems.push(`name: ${name.length} characters, at most ${MAX_NAME}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) problems.push("name: contains control characters");
  }
  const layout = typeof draft.layout === "string" ? layouts[draft.layout] : undefined;
  if (!layout) problems.push(`layout: unknown ${JSON.stringify(draft.layout)}`);
  const weights = Array.isArray(draft.weights) ? draft.weights : null;
  if (!weights) problems.push("weights: expected a list of numbers");
  else {
    if (layout && !layout.lengths.includes(weights.length)) {
      problems.push(`weights: ${weights.length} values, layout ${draft.layout} needs ${layout.lengths.join(" or ")} (one per block)`);
    }
    weights.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v)) problems.push(`weights[${i}]: ${String(v)} is not finite`);
    });
  }
  return problems;
}
